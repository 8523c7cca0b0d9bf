import Foundation
import Testing

/// Intervals on the command line, checked against what people compute today.
@Suite(.serialized) struct BootIntervalTests {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("traces").path

    /// cloud-hypervisor's CI metric `boot_time_ms` (performance-metrics: the two "Debug I/O port:
    /// Kernel code" lines of the v53.0 log, each split on `--`, word 7 of the right side parsed as
    /// seconds, t(0x41) - t(0x40)) equals `--interval boot_time=0x40..0x41` to 1 us, on a small
    /// guest recorded by `run` that writes 0x40 and 0x41.
    @Test func bootTimeEqualsCloudHypervisorsArithmetic() throws {
        let trace = Self.traces + "/boot-demo-variant.pt"
        let log = try porttrace([
            "replay", trace, "--profile", "v53.0", "--debug-console", "off", "--firmware-debug", "off", "--serial", "off",
        ])
        // v53.0 ends its lines with \r\n; Rust's lines() (which the tool uses) takes both off.
        let lines = log.stderr.split(whereSeparator: \.isNewline).filter { $0.contains("Debug I/O port: Kernel code") }
        try #require(lines.count == 2, "\(log.stderr)")
        var seconds: [Double] = []
        for line in lines {
            let parts = line.components(separatedBy: "--")
            try #require(parts.count == 2)
            let words = parts[1].split(whereSeparator: \.isWhitespace)
            try #require(words.count == 8 && words.last == "seconds", "\(words)")
            seconds.append(try #require(Double(words[6])))
        }
        let bootTimeMs = (seconds[1] - seconds[0]) * 1000
        let json = try porttrace(["timeline", trace, "--interval", "boot_time=0x40..0x41", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let named = try #require(object["named_intervals"] as? [[String: Any]])
        let ns = try #require(named.first?["duration_ns"] as? Int)
        #expect(abs(Double(ns) / 1e6 - bootTimeMs) <= 0.001, "\(ns) ns against \(bootTimeMs) ms")
    }

    /// Bad specifications get one line and status 2.
    @Test func badSpecificationsAreRefused() throws {
        let trace = Self.traces + "/boot-demo.pt"
        for args in [
            ["--interval", "x"], ["--interval", "x=0x40"], ["--interval", "x=0x40..nosuchmark"], ["--phase", "p=0x40..end"],
            ["--marks", "windows"], ["--phase", "p=a..b", "--mark", "a=^x"],
        ] {
            let r = try porttrace(["timeline", trace] + args)
            #expect(r.status == 2, "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
    }

    /// Blame: the chain's intervals, slowest first.
    @Test func blameListsTheSlowestFirst() throws {
        let r = try porttrace(["timeline", Self.traces + "/boot-demo.pt", "--format", "blame"])
        #expect(r.status == 0)
        let first = r.out.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.contains("31.7ms") && first.contains("0x1 Firmware -> 0x20 Bootloader"), "\(r.out)")
    }

    /// A window: only what falls inside it, phases clipped.
    @Test func aTimeWindow() throws {
        let r = try porttrace(["timeline", Self.traces + "/boot-demo.pt", "--from", "30ms", "--to", "70ms"])
        #expect(r.status == 0)
        #expect(r.out.contains("0x20 Bootloader") && r.out.contains("0x40 Kernel"))
        #expect(!r.out.contains("0x60 Userspace") && !r.out.contains("0x1 Firmware"))
        // The summary does not add clipped phases up as if they were the boot.
        #expect(r.out.hasPrefix("From 30.0ms to 70.0ms: Firmware 5.8ms, Bootloader 29.7ms, Kernel 4.5ms"), "\(r.out)")
        #expect(!r.out.contains("Startup finished"))
        #expect(try porttrace(["timeline", Self.traces + "/boot-demo.pt", "--from", "70ms", "--to", "30ms"]).status == 2)
    }
}
