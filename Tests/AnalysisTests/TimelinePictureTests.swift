import Foundation
import Testing
import TraceFormat

@testable import Analysis

/// The timeline's pictures (SVG and Perfetto) on boots from 100 us to minutes: every phase
/// labelled, no two labels on one another, a legend, nothing left out without saying so, the
/// window drawn from its start, and console text without terminal control sequences.
@Suite struct TimelinePictureTests {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("traces")
    static let inkScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("label_ink.py").path

    static func recorded(_ name: String, _ configure: (inout TimelineOptions) throws -> Void = { _ in }) throws -> BootTimeline {
        var o = TimelineOptions()
        try configure(&o)
        return try TimelineBuilder.build(path: traces.appendingPathComponent(name).path, options: o)
    }

    static func built(_ b: TraceBuilder, _ configure: (inout TimelineOptions) throws -> Void = { _ in }) throws -> BootTimeline {
        let path = try b.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var o = TimelineOptions()
        try configure(&o)
        return try TimelineBuilder.build(path: path, options: o)
    }

    /// A 4.7 s QEMU boot: SeaBIOS prints on its debug port for 2.8 s (at the times of
    /// traces/qemu-seabios.pt), then the guest's POST codes and console lines come in the last
    /// 100 ms, as boot-demo's do.
    static func qemuBoot() -> TraceBuilder {
        var b = TraceBuilder()
        let seabios: [(Double, String)] = [
            (57.6, "SeaBIOS (version 1.16.2-debian-1.16.2-1)"), (57.9, "BUILD: gcc: (Debian 12.2.0-14) 12.2.0 binutils: (GNU Binutils)"),
            (842, "No VGA found, scan for other display"), (1294, "Space available for UMB: c2800-e8800, f5500-f5990"),
            (2718, "enter handle_19:"), (2718.4, "  NULL"), (2790, "Booting from ROM..."),
        ]
        for (ms, line) in seabios { b.print(ms, line + "\n", port: 0x402) }
        for (ms, code) in [(4603.8, 0x00), (4604.2, 0x01), (4635.8, 0x20), (4665.5, 0x40), (4693.0, 0x60), (4693.3, 0x61)] {
            b.post(ms, UInt8(code))
        }
        for (ms, line) in [
            (4603.9, "firmware: POST ok"), (4636.0, "bootloader: loading kernel"), (4665.6, "kernel: booting"),
            (4693.1, "userspace: ready"),
        ] {
            b.print(ms, line + "\n")
        }
        b.input(4700, 0x3fd, [0x60])
        return b
    }

    /// Every kind of timeline the pictures draw, by name.
    static func kinds() throws -> [(String, BootTimeline)] {
        var backSteps = TraceBuilder()
        backSteps.post(1, 0x01)
        backSteps.post(5, 0x40)
        backSteps.post(2500, 0x00)
        backSteps.post(2500.2, 0x00)
        backSteps.post(3000, 0x60)
        backSteps.print(2, "kernel: starting\n")
        return [
            ("boot-demo (93 ms, POST-code phases)", try recorded("boot-demo.pt")),
            ("4.7 s QEMU boot", try built(qemuBoot())),
            ("linux-boot-2 (3 min, console only)", try recorded("linux-boot-2.pt")),
            ("linux-boot-2 --marks linux (unfinished)", try recorded("linux-boot-2.pt") { $0.markSet = .linux }),
            (
                "linux-boot-2 --marks linux, 3min 6s to 3min 8s",
                try recorded("linux-boot-2.pt") { $0.markSet = .linux }.window(from: 186_000_000_000, to: 188_000_000_000)
            ),
            ("qemu-seabios (console only, no phases)", try recorded("qemu-seabios.pt")),
            ("console-burst (one line of 100,000 bytes)", try recorded("console-burst.pt")),
            ("smp64-4cpu (4 vCPUs)", try recorded("smp64-4cpu.pt")),
            ("back-steps and repeats", try built(backSteps)),
            (
                "overlapping --phase phases",
                try recorded("boot-demo.pt") { o in
                    o.marks = [try TimelineOptions.mark("fw=firmware: POST"), try TimelineOptions.mark("k=kernel: booting")]
                    o.phases = try ["early=0x1..0x40", "late=0x20..0x61", "console=fw..k", "never=0x40..0x7f"].map(PhaseSpec.parse)
                }
            ),
        ]
    }

    @Test func everyPhaseLabelIsDrawnInsideThePictureAndNoLabelsOverlap() throws {
        for (name, t) in try Self.kinds() {
            let svg = TimelineSVG.render(t)
            let g = try PictureGeometry(svg)
            #expect(g.labels("phase").count == t.phases.count, "\(name): \(g.labels("phase").map(\.text)) for \(t.phases.map(\.name))")
            for p in t.phases {
                #expect(g.labels("phase").contains { $0.text.hasPrefix("\(p.name) \(TimeText.span(p.duration))") }, "\(name): \(p.name)")
            }
            #expect(g.outside.isEmpty, "\(name): outside the picture: \(g.outside.map(\.text))")
            #expect(g.overlapping.isEmpty, "\(name): overlapping: \(g.overlapping.map { ($0.0.text, $0.1.text) })")
            #expect(!g.labels("legend").isEmpty, "\(name): no legend")
        }
    }

    /// The 4.7 s QEMU boot: every phase, and the steps 0x20, 0x40 and 0x60, labelled; the
    /// SeaBIOS stretch cut, so the 93 ms of steps get the width.
    @Test func aQEMUBootsStepsAreReadable() throws {
        let t = try Self.built(Self.qemuBoot())
        #expect(t.phases.count == 4)
        let g = try PictureGeometry(TimelineSVG.render(t))
        for label in ["0x20 Bootloader", "0x40 Kernel", "0x60 Userspace"] {
            #expect(g.labels("step").contains { $0.text == label }, "\(label): \(g.labels("step").map(\.text))")
        }
        // The phases' labels fit inside their bars (all but Userspace's 300 us).
        let inside = g.labels("phase").filter { l in ["Firmware", "Bootloader", "Kernel"].contains { l.text.hasPrefix($0) } }
        #expect(inside.count == 3)
        #expect(!g.labels("cut").isEmpty, "the stretch before the first step is cut")
    }

    /// Each picture, rendered by rsvg-convert: it renders, at the size it says, and each label's
    /// ink (drawn alone) lies in the box the picture declares for it, so boxes that do not
    /// overlap are labels that do not overlap.
    @Test(.enabled(if: PictureTools.rsvgConvert != nil && PictureTools.python != nil, "needs rsvg-convert (librsvg2-bin) and python3"))
    func rsvgConvertRendersEachKindAndLabelsDrawInTheirBoxes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-svg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (i, (name, t)) in try Self.kinds().enumerated() {
            let svg = TimelineSVG.render(t)
            let g = try PictureGeometry(svg)
            try svg.write(toFile: "\(dir)/\(i).svg", atomically: false, encoding: .utf8)
            let r = try PictureTools.run(PictureTools.rsvgConvert!, ["\(dir)/\(i).svg", "-o", "\(dir)/\(i).png"])
            #expect(r.status == 0, "\(name): \(r.out)")
            let png = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(i).png"))
            let size = try #require(PictureTools.pngSize(png))
            #expect(size.0 == Int(g.width.rounded(.up)) && size.1 == Int(g.height.rounded(.up)), "\(name): \(size)")
            // PORTTRACE_PICTURES=DIR keeps the pictures there, to look at.
            if let keep = ProcessInfo.processInfo.environment["PORTTRACE_PICTURES"] {
                let file = name.replacing(/[^A-Za-z0-9.-]+/, with: "_")
                try svg.write(toFile: "\(keep)/\(file).svg", atomically: false, encoding: .utf8)
                try png.write(to: URL(fileURLWithPath: "\(keep)/\(file).png"))
            }

            // The labels alone, on nothing.
            let lines = svg.split(separator: "\n")
            let root = try #require(lines.first { $0.hasPrefix("<svg ") })
            let text = ([root] + lines.filter { $0.hasPrefix("<text ") } + ["</svg>"]).joined(separator: "\n")
            try text.write(toFile: "\(dir)/\(i)-labels.svg", atomically: false, encoding: .utf8)
            let boxes = g.labels.map { "\($0.box.x0) \($0.box.y0) \($0.box.x1) \($0.box.y1)" }.joined(separator: "\n")
            try boxes.write(toFile: "\(dir)/\(i).boxes", atomically: false, encoding: .utf8)
            let l = try PictureTools.run(PictureTools.rsvgConvert!, ["\(dir)/\(i)-labels.svg", "-o", "\(dir)/\(i)-labels.png"])
            #expect(l.status == 0, "\(name): \(l.out)")
            let ink = try PictureTools.run(PictureTools.python!, [Self.inkScript, "\(dir)/\(i)-labels.png", "\(dir)/\(i).boxes"])
            #expect(ink.status == 0 && ink.out.hasPrefix("ok "), "\(name): \(ink.out)")
        }
    }

    @Test func theLegendExplainsWhatIsDrawn() throws {
        let marks = try PictureGeometry(TimelineSVG.render(try Self.recorded("linux-boot-2.pt") { $0.markSet = .linux }))
        let legend = marks.labels("legend").map(\.text)
        for entry in [
            "Firmware phase", "Bootloader phase", "Kernel phase", "unfinished phase", "xN over T", "console mark", "console line",
            "port I/O per", "cut:",
        ] {
            #expect(legend.contains { $0.hasPrefix(entry) }, "\(entry): \(legend)")
        }
        var b = TraceBuilder()
        b.post(1, 0x20)
        b.post(2, 0x40)
        b.post(3, 0x00)
        b.post(4, 0x60)
        let back = try PictureGeometry(TimelineSVG.render(try Self.built(b)))
        #expect(back.labels("legend").contains { $0.text.hasPrefix("back-step:") })
        #expect(back.labels("step").contains { $0.text == "0x0 Firmware (back-step)" })
    }

    /// Repeats show their count; an unfinished phase says so, and is hatched with an open end.
    @Test func repeatsAndUnfinishedPhasesSaySo() throws {
        let t = try Self.recorded("linux-boot-2.pt") { $0.markSet = .linux }
        let svg = TimelineSVG.render(t)
        let g = try PictureGeometry(svg)
        #expect(g.labels("step").contains { $0.text == "0x0 Firmware x6 over 132us" }, "\(g.labels("step").map(\.text))")
        #expect(g.labels("phase").contains { $0.text == "Kernel 1.417s, unfinished" })
        #expect(svg.contains("unfinished: its end never came"))
        // The three minutes between `Booting from ROM` and `Linux version` are cut.
        #expect(g.labels("cut").contains { $0.text.hasPrefix("cut 3min") }, "\(g.labels("cut").map(\.text))")
    }
}
