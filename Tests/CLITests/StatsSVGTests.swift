import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `porttrace stats --format svg`: well-formed, self-contained, every boot drawn, and labels that
/// stay inside the picture and never overlap, measured by rendering each with rsvg-convert.
@Suite(.serialized) struct StatsSVGTests {
    static let rsvg = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A `<text>` of the picture: where it is anchored and what it says.
    struct Label {
        var x: Double
        var y: Double
        var size: Double
        var anchor: String
        var text: String
    }

    final class Labels: NSObject, XMLParserDelegate {
        var labels: [Label] = []
        var current: Label?
        var circles = 0
        var width = 0.0
        var height = 0.0
        var elements: Set<String> = []

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]
        ) {
            elements.insert(name)
            switch name {
            case "svg":
                width = Double(attributes["width"] ?? "") ?? 0
                height = Double(attributes["height"] ?? "") ?? 0
            case "circle": circles += 1
            case "text":
                current = Label(
                    x: Double(attributes["x"] ?? "") ?? .nan, y: Double(attributes["y"] ?? "") ?? .nan,
                    size: Double(attributes["font-size"] ?? "") ?? .nan, anchor: attributes["text-anchor"] ?? "start", text: "")
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { current?.text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text", let c = current {
                labels.append(c)
                current = nil
            }
        }
    }

    /// The width and height of a PNG (its IHDR chunk).
    static func pngSize(_ path: String) throws -> (Double, Double) {
        let d = try Data(contentsOf: URL(fileURLWithPath: path))
        try #require(d.count > 24 && d.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        func be32(_ at: Int) -> Double { Double(d[at..<at + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        return (be32(16), be32(20))
    }

    @Test(.enabled(if: rsvg != nil, "rsvg-convert (Debian's librsvg2-bin) is not installed"))
    func labelsFitAndDoNotOverlap() throws {
        let rsvg = try #require(Self.rsvg)
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A hostile group name (markup, quotes, control bytes, far too long) beside an ordinary one,
        // and a step only the candidates have, so one panel has a missing row.
        let hostile = "</text><script>alert(1)</script> & \"quoted\" \u{1b}[31m red build with a name far too long for its column"
        let a = try StatsCommandTests.boots(
            dir, "a", (0..<5).map { i in [(19, 0x01), (400, 0x20), (900, 0x40), (1200 + Double(i), 0x60)] }, build: "a")
        let b = try StatsCommandTests.boots(
            dir, "b", (0..<5).map { i in [(19, 0x01), (400, 0x20), (900, 0x40), (1000, 0x41), (1400 + Double(i * 3), 0x60)] },
            build: hostile)
        let svgPath = dir + "/stats.svg"
        let r = try porttrace(["stats", "--group-by", "build", "--threshold", "5%", "--format", "svg", "-o", svgPath] + a + b)
        #expect(r.status == 1, "\(r.stderr)")
        let svg = try Data(contentsOf: URL(fileURLWithPath: svgPath))
        let source = String(decoding: svg, as: UTF8.self)

        // Self-contained, and the hostile name is text.
        #expect(!source.contains("<script"))
        #expect(source.contains("&lt;/text&gt;&lt;script&gt;"))
        #expect(!source.contains("\u{1b}"))
        for load in ["href", "url(", "@import", "<image", "<foreignObject"] { #expect(!source.contains(load), "\(load)") }
        #expect(source.components(separatedBy: "http").count == 2, "only the SVG namespace names a URI")

        let labels = Labels()
        let parser = XMLParser(data: svg)
        parser.delegate = labels
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
        #expect(labels.width > 0 && labels.height > 0)

        // Every boot a dot: one per boot and duration, and the legend's.
        let json = try porttrace(["stats", "--group-by", "build", "--format", "json"] + a + b)
        let root = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let groups = try #require(root["groups"] as? [[String: Any]])
        let dots = groups.flatMap { ($0["metrics"] as? [[String: Any]]) ?? [] }
            .filter { $0["kind"] as? String != "time_since_vm_start" }
            .map { ($0["n"] as? Int) ?? 0 }.reduce(0, +)
        #expect(labels.circles == dots + 1)

        // It renders, at its own size.
        let png = dir + "/stats.png"
        let whole = try runProcess(rsvg, [svgPath, "-o", png])
        #expect(whole.status == 0, "\(whole.stderr)")
        let size = try Self.pngSize(png)
        #expect(size.0 == labels.width.rounded(.up) && size.1 == labels.height.rounded(.up))

        // Each label rendered alone (rsvg-convert --export-id crops to it): its real width.
        var tagged = source
        var n = 0
        while let range = tagged.range(of: "<text x=") {
            tagged.replaceSubrange(range, with: "<text id=\"label\(n)\" x=")
            n += 1
        }
        #expect(n == labels.labels.count)
        let taggedPath = dir + "/tagged.svg"
        try Data(tagged.utf8).write(to: URL(fileURLWithPath: taggedPath))
        var boxes: [(label: Label, x0: Double, x1: Double, y0: Double, y1: Double)] = []
        for (i, label) in labels.labels.enumerated() {
            let out = dir + "/label\(i).png"
            let one = try runProcess(rsvg, ["-i", "label\(i)", taggedPath, "-o", out])
            #expect(one.status == 0, "\(label.text): \(one.stderr)")
            let (w, _) = try Self.pngSize(out)
            let x0 = label.anchor == "end" ? label.x - w : label.anchor == "middle" ? label.x - w / 2 : label.x
            boxes.append((label, x0, x0 + w, label.y - 0.8 * label.size, label.y + 0.22 * label.size))
        }
        for b in boxes {
            #expect(b.x0 >= 0 && b.x1 <= labels.width && b.y0 >= 0 && b.y1 <= labels.height, "outside the picture: \(b.label.text)")
        }
        for (i, p) in boxes.enumerated() {
            for q in boxes[(i + 1)...] {
                let apart = p.x1 <= q.x0 + 0.5 || q.x1 <= p.x0 + 0.5 || p.y1 <= q.y0 + 0.5 || q.y1 <= p.y0 + 0.5
                #expect(apart, "'\(p.label.text)' overlaps '\(q.label.text)'")
            }
        }
    }

    /// A boot of thousands of steps: every step interval is a metric. The text lists them all;
    /// the picture draws the first 40 and says how many more there are; neither takes minutes
    /// (a one-boot group's intervals need no resampling, and panels are found by key).
    @Test func aBootOfManyStepsIsSummedUpNotDrawnWhole() throws {
        try withScratch { dir in
            let dump = try porttrace(["dump", "--format", "jsonl", "--header", DiffVerdictCLITests.trace("boot-demo.pt")])
            #expect(dump.status == 0, "\(dump.stderr)")
            var lines = dump.out.split(separator: "\n").map(String.init)
            let last = try #require(lines.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            let end = try #require(last["t_ns"] as? Int64)
            for i in 0..<3_000 {
                lines.append(
                    #"{"t_ns":\#(end + Int64(i + 1) * 1000),"vcpu":0,"port":128,"dir":"out","size":1,"count":1,"data":"\#(String(format: "%02x", i % 256))"}"#
                )
            }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: "\(dir)/many.jsonl"))
            let imported = try porttrace(["import", "--format", "jsonl", "\(dir)/many.jsonl", "-o", "\(dir)/many.pt"])
            #expect(imported.status == 0, "\(imported.stderr)")
            let text = try porttrace(["stats", "\(dir)/many.pt"])
            #expect(text.status == 0, "\(text.stderr)")
            #expect(text.out.split(separator: "\n").count > 1_000)
            let svg = try porttrace(["stats", "--format", "svg", "\(dir)/many.pt"])
            #expect(svg.status == 0, "\(svg.stderr)")
            let more = try #require(svg.out.range(of: #"[0-9]+ more metrics"#, options: .regularExpression), "\(svg.out.prefix(2000))")
            let count = Int(svg.out[more].split(separator: " ")[0]) ?? 0
            #expect(count > 1_000)
        }
    }
}
