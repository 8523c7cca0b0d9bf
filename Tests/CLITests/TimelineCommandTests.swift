import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `porttrace timeline` on the recorded demo boot: every format against its golden file, the SVG
/// parsed as XML, the Perfetto JSON parsed and its slices checked for nesting.
@Suite(.serialized) struct TimelineCommandTests {
    static let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("traces/boot-demo.pt").path

    func golden(_ name: String, _ got: String) throws {
        let url = Self.goldenDir.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["PORTTRACE_UPDATE_GOLDEN"] != nil { try Data(got.utf8).write(to: url) }
        #expect(got == (try? String(contentsOf: url, encoding: .utf8)), "\(name) differs from \(url.path)")
    }

    @Test(arguments: ["text", "json", "svg", "perfetto"])
    func goldenOutput(format: String) throws {
        // From the trace's own folder, so the path (and the SVG's label boxes around it) do not
        // depend on where the repository is.
        let folder = URL(fileURLWithPath: Self.demo).deletingLastPathComponent().path
        let r = try porttrace(["timeline", "boot-demo.pt", "--format", format, "--mark", "kernel: booting"], directory: folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        try golden("timeline-boot-demo.\(format == "perfetto" ? "perfetto.json" : format)", r.out)
    }

    @Test func svgIsWellFormedXML() throws {
        for trace in ["boot-demo.pt", "smp64-4cpu.pt", "console-burst.pt"] {
            let path = URL(fileURLWithPath: Self.demo).deletingLastPathComponent().appendingPathComponent(trace).path
            let r = try porttrace(["timeline", path, "--format", "svg"])
            #expect(r.status == 0)
            let parser = XMLParser(data: r.stdout)
            #expect(parser.parse(), "\(trace): \(String(describing: parser.parserError))")
        }
    }

    @Test func perfettoSlicesNest() throws {
        let r = try porttrace(["timeline", Self.demo, "--format", "perfetto"])
        let root = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        let events = try #require(root["traceEvents"] as? [[String: Any]])
        let slices = events.filter { $0["ph"] as? String == "X" }
        #expect(slices.count == 5)  // the boot and its four phases
        let spans = slices.map {
            (($0["ts"] as! NSNumber).doubleValue, ($0["ts"] as! NSNumber).doubleValue + ($0["dur"] as! NSNumber).doubleValue)
        }
        let boot = spans[0]
        for (i, s) in spans.dropFirst().enumerated() {
            #expect(s.0 >= boot.0 && s.1 <= boot.1 + 1e-6, "phase \(i) lies inside the boot")
            if i > 0 { #expect(s.0 >= spans[i].1 - 1e-6, "phases do not overlap") }
        }
        let names = Set(
            events.filter { $0["ph"] as? String == "M" && $0["name"] as? String == "thread_name" }.compactMap {
                ($0["args"] as? [String: Any])?["name"] as? String
            })
        #expect(names.isSuperset(of: ["boot phases", "vcpu0"]))
        #expect(events.contains { $0["ph"] as? String == "C" })
        #expect(events.filter { $0["ph"] as? String == "i" }.count >= 6)
    }

    /// Phases from `--phase` that overlap: on threads of their own, each thread's slices nested;
    /// a window (`--from/--to`) starts the trace's time at its start.
    @Test func perfettoSlicesNestWithOverlappingPhasesAndAWindow() throws {
        for extra in [[], ["--from", "30ms", "--to", "70ms"]] {
            let r = try porttrace(
                [
                    "timeline", Self.demo, "--format", "perfetto", "--phase", "a=0x0..0x40", "--phase", "b=0x20..0x61", "--phase",
                    "c=0x1..0x60",
                ]
                    + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let root = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
            let events = try #require(root["traceEvents"] as? [[String: Any]])
            let slices = events.filter { $0["ph"] as? String == "X" }
            #expect(Set(slices.compactMap { $0["name"] as? String }) == ["boot", "a", "b", "c"])
            let threads = Dictionary(grouping: slices) { ($0["tid"] as! NSNumber).intValue }
            // a, b and c overlap without nesting; clipped to the window, c holds a and b.
            #expect(threads.count == (extra.isEmpty ? 3 : 2), "\(extra)")
            for (tid, list) in threads {
                let spans = list.map {
                    (($0["ts"] as! NSNumber).doubleValue, ($0["ts"] as! NSNumber).doubleValue + ($0["dur"] as! NSNumber).doubleValue)
                }
                for (i, x) in spans.enumerated() {
                    for y in spans[(i + 1)...] {
                        let apart = x.1 <= y.0 + 1e-6 || y.1 <= x.0 + 1e-6
                        let nested = (x.0 >= y.0 - 1e-6 && x.1 <= y.1 + 1e-6) || (y.0 >= x.0 - 1e-6 && y.1 <= x.1 + 1e-6)
                        #expect(apart || nested, "thread \(tid): \(x) and \(y)")
                    }
                }
            }
            let times = events.compactMap { ($0["ts"] as? NSNumber)?.doubleValue }
            #expect(times.min() == 0)
            if !extra.isEmpty { #expect(times.max()! <= 40_000, "the window is 40 ms long") }
            let metadata = try #require(root["metadata"] as? [String: Any])
            #expect(metadata["left_out"] is [String: Any])
        }
    }

    /// The SVG of a window starts its axis at the window: its first time label reads 30.0ms.
    @Test func svgOfAWindowStartsAtIt() throws {
        let r = try porttrace(["timeline", Self.demo, "--format", "svg", "--from", "30ms", "--to", "70ms"])
        #expect(r.status == 0, "\(r.stderr)")
        let first = try #require(r.out.firstMatch(of: /data-label="tick" data-box="[^"]*">([^<]*)</))
        #expect(first.1 == "30.0ms")
        #expect(r.out.contains("shown: from 30.0ms to 70.0ms since the VM started"))
    }

    @Test func badInputGetsOneLine() throws {
        let dir = tempDir()
        try Data("not a trace".utf8).write(to: URL(fileURLWithPath: "\(dir)/junk"))
        for args in [
            ["timeline", "\(dir)/missing.pt"], ["timeline", "\(dir)/junk"], ["timeline", Self.demo, "--format", "pdf"],
            ["timeline", Self.demo, "--codes", "0x20-0x10"], ["timeline", Self.demo, "--mark", "(open"],
            ["timeline", Self.demo, "--profile", "v99"],
        ] {
            let r = try porttrace(args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.hasPrefix("porttrace: "))
        }
    }

    /// A trace whose recorder stopped before closing it (state byte 0): read as far as it goes.
    /// A report of it exits 1 after the whole report; a verdict (diff) takes it with a note.
    @Test func anUnclosedTraceIsReadAsFarAsItGoes() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: Self.demo))
        bytes[16] = 0
        try bytes.write(to: URL(fileURLWithPath: "\(dir)/open.pt"))
        let line = "\(dir)/open.pt: not closed cleanly (the recorder stopped early); read as far as it goes\n"
        for args in [["timeline", "\(dir)/open.pt"], ["stats", "\(dir)/open.pt"]] {
            let r = try porttrace(args)
            #expect(r.status == 1, "\(args): \(r.stderr)")
            #expect(r.stderr == "porttrace: " + line)
            #expect(!r.out.isEmpty)
        }
        let r = try porttrace(["diff", "\(dir)/open.pt", Self.demo, "--ignore", "metadata"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "porttrace: note: " + line)
    }

    /// A damaged trace: the report covers what was readable, then one line with the offset and status 1.
    @Test func damageExitsOneAfterTheReport() throws {
        let dir = tempDir()
        let burst = URL(fileURLWithPath: Self.demo).deletingLastPathComponent().appendingPathComponent("console-burst.pt")
        var bytes = try Data(contentsOf: burst)
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: "\(dir)/bad.pt"))
        let r = try porttrace(["timeline", "\(dir)/bad.pt"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("damaged at byte "), "\(r.stderr)")
        #expect(r.out.hasPrefix("No phases in"), "\(r.out)")
    }
}
