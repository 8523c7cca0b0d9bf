import Foundation
import Testing
import TraceFormat

@testable import Analysis

/// The Perfetto view (and the SVG's account of the same things): every kept console line drawn,
/// what the timeline did not keep counted in `left_out`, overlapping phases on threads where
/// they nest, a window drawn from its start, and console text without control sequences.
@Suite struct TimelinePerfettoTests {
    typealias Event = [String: Any]

    static func events(_ t: BootTimeline) throws -> (events: [Event], metadata: [String: Any]) {
        let data = Data(TimelinePerfetto.value(t).serialized().utf8)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (try #require(root["traceEvents"] as? [Event]), try #require(root["metadata"] as? [String: Any]))
    }

    static func number(_ v: Any?) -> Double { (v as? NSNumber)?.doubleValue ?? .nan }

    /// Each thread's complete slices nest strictly: any two are apart or one holds the other.
    static func expectNesting(_ events: [Event], sourceLocation: SourceLocation = #_sourceLocation) {
        let slices = events.filter { $0["ph"] as? String == "X" }
        let byThread = Dictionary(grouping: slices) { ($0["tid"] as? NSNumber)?.intValue ?? -1 }
        for (tid, list) in byThread {
            let spans = list.map { (number($0["ts"]), number($0["ts"]) + number($0["dur"]), $0["name"] as? String ?? "") }
            for (i, a) in spans.enumerated() {
                for b in spans[(i + 1)...] {
                    let apart = a.1 <= b.0 + 1e-6 || b.1 <= a.0 + 1e-6
                    let nested = (a.0 >= b.0 - 1e-6 && a.1 <= b.1 + 1e-6) || (b.0 >= a.0 - 1e-6 && b.1 <= a.1 + 1e-6)
                    #expect(apart || nested, "thread \(tid): \(a.2) and \(b.2) overlap without nesting", sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// A boot of 50,016 console lines whose last is its `login:` prompt.
    static func manyLines() -> TraceBuilder {
        var b = TraceBuilder()
        b.post(1, 0x40)
        var text = ""
        for i in 0..<50_015 { text += "l\(i)\n" }
        text += "debian login: "
        b.print(2, text, stepMs: 0.0001)
        b.post(10, 0x60)
        return b
    }

    /// More than 10,000 console lines: every one is an instant, the last (`login:`) too, and
    /// `left_out` says nothing was left out; with the timeline keeping fewer, it says how many.
    @Test func everyKeptConsoleLineIsDrawnAndTheRestCounted() throws {
        let path = try Self.manyLines().write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = try TimelineBuilder.build(path: path)
        #expect(t.consoleLines.count == 50_016 && t.consoleLinesLeftOut == 0)
        let (events, metadata) = try Self.events(t)
        let lines = events.filter { $0["ph"] as? String == "i" && ($0["tid"] as? NSNumber)?.intValue == TimelinePerfetto.consoleThread }
        #expect(lines.count == 50_016)
        #expect(lines.last?["name"] as? String == "debian login:" || lines.last?["name"] as? String == "debian login: ")
        let leftOut = try #require(metadata["left_out"] as? [String: Any])
        #expect(Self.number(leftOut["console_lines"]) == 0 && Self.number(leftOut["steps"]) == 0)
        // The SVG draws a tick per pixel and says how many lines it could not label.
        let svg = TimelineSVG.render(t)
        #expect(svg.utf8.count < 2_000_000, "\(svg.utf8.count) bytes")
        let g = try PictureGeometry(svg)
        let note = try #require(g.labels("left-out").first { $0.text.hasPrefix("console lines: ") })
        #expect(note.text.contains(" of 50016 have no label"), "\(note.text)")
        #expect(svg.contains("debian login:"), "the last line's text is in its tick's tooltip")

        var o = TimelineOptions()
        o.keptLines = 10_000
        let kept = try TimelineBuilder.build(path: path, options: o)
        #expect(kept.consoleLinesLeftOut == 40_016)
        let (keptEvents, keptMetadata) = try Self.events(kept)
        #expect(
            keptEvents.filter { ($0["tid"] as? NSNumber)?.intValue == TimelinePerfetto.consoleThread && $0["ph"] as? String == "i" }.count
                == 10_000)
        let keptLeftOut = try #require(keptMetadata["left_out"] as? [String: Any])
        #expect(Self.number(keptLeftOut["console_lines"]) == 40_016)
        let keptSVG = try PictureGeometry(TimelineSVG.render(kept))
        #expect(keptSVG.labels("left-out").contains { $0.text.hasPrefix("40016 console lines past the most a timeline keeps: not drawn") })
    }

    @Test func stepsTheTimelineDidNotKeepAreCounted() throws {
        var b = TraceBuilder()
        for i in 0..<300 { b.post(Double(i) * 0.01, UInt8(0x40 + i % 2)) }
        var o = TimelineOptions()
        o.keptSteps = 100
        let path = try b.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = try TimelineBuilder.build(path: path, options: o)
        #expect(t.stepsLeftOut == 200)
        let leftOut = try #require(try Self.events(t).metadata["left_out"] as? [String: Any])
        #expect(Self.number(leftOut["steps"]) == 200)
        let g = try PictureGeometry(TimelineSVG.render(t))
        #expect(g.labels("left-out").contains { $0.text.hasPrefix("200 POST steps past the most a timeline keeps: not drawn") })
        #expect(g.labels("left-out").contains { $0.text.hasPrefix("POST codes: ") && $0.text.contains(" of 100 have no label") })
    }

    /// `--phase` phases that overlap go on threads of their own; every thread nests.
    @Test func overlappingPhasesNest() throws {
        // a from 3.8 to 65.5 ms, b from 35.8 to 93.3, c from 4.2 to 93.0: each overlaps the
        // others without nesting; inner (35.8 to 65.5) lies within a.
        let t = try TimelinePictureTests.recorded("boot-demo.pt") { o in
            o.phases = try ["a=0x0..0x40", "b=0x20..0x61", "c=0x1..0x60", "inner=0x20..0x40"].map(PhaseSpec.parse)
        }
        let (events, _) = try Self.events(t)
        Self.expectNesting(events)
        let slices = events.filter { $0["ph"] as? String == "X" }
        #expect(Set(slices.compactMap { $0["name"] as? String }) == ["boot", "a", "b", "c", "inner"])
        #expect(Set(slices.compactMap { ($0["tid"] as? NSNumber)?.intValue }).count == 3)
        let names = events.filter { $0["name"] as? String == "thread_name" }.compactMap {
            ($0["args"] as? [String: Any])?["name"] as? String
        }
        #expect(names.contains("boot phases 2") && names.contains("boot phases 3"))
        // The mark-set and POST-code phases all nest in the boot, on one thread.
        for t in [
            try TimelinePictureTests.recorded("boot-demo.pt"), try TimelinePictureTests.recorded("linux-boot-2.pt") { $0.markSet = .linux },
        ] {
            let (events, _) = try Self.events(t)
            Self.expectNesting(events)
            #expect(Set(events.filter { $0["ph"] as? String == "X" }.compactMap { ($0["tid"] as? NSNumber)?.intValue }) == [1])
        }
    }

    /// A window: the picture starts where the window does (ts 0 at its start, the first tick
    /// at the left of the plot), and holds only what lies in it.
    @Test func aWindowIsDrawnFromItsStart() throws {
        let t = try TimelinePictureTests.recorded("boot-demo.pt").window(from: 30_000_000, to: 70_000_000)
        let (events, metadata) = try Self.events(t)
        let times = events.compactMap { $0["ts"] }.map(Self.number)
        #expect(times.min() == 0 && times.max()! <= 40_000)
        let boot = try #require(events.first { $0["name"] as? String == "boot" })
        #expect(Self.number(boot["ts"]) == 0 && Self.number(boot["dur"]) == 40_000)
        #expect(Self.number(metadata["vm_start_ts"]) == -30_000)
        let window = try #require(metadata["window"] as? [String: Any])
        #expect(Self.number(window["from_ns"]) == 30_000_000 && Self.number(window["to_ns"]) == 70_000_000)
        Self.expectNesting(events)

        let svg = TimelineSVG.render(t)
        let g = try PictureGeometry(svg)
        let first = try #require(g.labels("tick").min { $0.box.x0 < $1.box.x0 })
        #expect(first.text == "30.0ms")
        // The axis's first piece starts where the first phase (Firmware, clipped) does.
        let axis = try #require(svg.firstMatch(of: /<line x1="([0-9.]+)"/))
        let firmware = try #require(svg.firstMatch(of: /<rect x="([0-9.]+)"[^>]*><title>Firmware: 30.0ms/))
        #expect(axis.1 == firmware.1)
        #expect(first.box.x0 == Double(axis.1)!)
        #expect(Set(g.labels("phase").map(\.text)) == ["Firmware 5.8ms, clipped", "Bootloader 29.7ms", "Kernel 4.5ms, clipped"])
    }

    /// SeaBIOS clears the screen (`ESC c ESC[?7l ESC[2J`) before its banner; a title is set
    /// with OSC. Labels in the SVG, Perfetto and JSON show the text a person reads.
    @Test func consoleTextIsShownWithoutControlSequences() throws {
        var b = TraceBuilder()
        b.print(1, "\u{1B}c\u{1B}[?7l\u{1B}[2J\u{1B}[0mSeaBIOS (version 1.16.2)\n", port: 0x402)
        b.print(3, "\u{1B}]0;my title\u{07}debian login: \u{1B}[1mroot\u{1B}[0m\n")
        b.post(5, 0x40)
        let t = try TimelinePictureTests.built(b) { $0.marks = [try TimelineOptions.mark("bios=SeaBIOS")] }
        let svg = TimelineSVG.render(t)
        let perfetto = TimelinePerfetto.value(t).serialized()
        let json = TimelineJSON.value(t).serialized()
        for (name, text) in [("svg", svg), ("perfetto", perfetto), ("json", json)] {
            #expect(!text.contains("\u{1B}") && !text.contains("\\u001b") && !text.contains("\\u001B"), "\(name) has an ESC")
            for junk in ["[?7l", "[2J", "[0m", "[1m", "my title", "\u{07}", "\\u0007"] {
                #expect(!text.contains(junk), "\(name) shows \(junk)")
            }
            #expect(text.contains("SeaBIOS (version 1.16.2)"), "\(name)")
        }
        let g = try PictureGeometry(svg)
        #expect(g.labels("step").contains { $0.text == "firmware debug: SeaBIOS (version 1.16.2)" }, "\(g.labels("step").map(\.text))")
        #expect(g.labels("step").contains { $0.text == "debug console: debian login: root" }, "\(g.labels("step").map(\.text))")
        let (events, _) = try Self.events(t)
        #expect(events.contains { $0["name"] as? String == "SeaBIOS (version 1.16.2)" })
        #expect(events.contains { $0["name"] as? String == "debian login: root" })
        #expect(events.contains { ($0["args"] as? [String: Any])?["line"] as? String == "SeaBIOS (version 1.16.2)" })
    }
}
