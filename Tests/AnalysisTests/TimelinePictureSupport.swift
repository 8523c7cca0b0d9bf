import Foundation
import Testing

@testable import Analysis

/// What the timeline picture tests read back from an SVG: its size and its labels' boxes, as the
/// picture records them (`data-label`, `data-box`).
struct PictureGeometry {
    struct Label {
        var kind: String
        var box: LabelBox
        var text: String
    }

    var width: Double
    var height: Double
    var labels: [Label]

    init(_ svg: String) throws {
        let root = try #require(svg.firstMatch(of: /<svg [^>]*width="([0-9.]+)" height="([0-9.]+)"/))
        width = try #require(Double(root.1))
        height = try #require(Double(root.2))
        labels = []
        for m in svg.matches(
            of: /data-label="([^"]*)" data-box="([-0-9.]+) ([-0-9.]+) ([-0-9.]+) ([-0-9.]+)">(?:<title>[^<]*<\/title>)?([^<]*)<\/text>/)
        {
            let box = LabelBox(x0: Double(m.2)!, y0: Double(m.3)!, x1: Double(m.4)!, y1: Double(m.5)!)
            labels.append(Label(kind: String(m.1), box: box, text: String(m.6)))
        }
    }

    func labels(_ kind: String) -> [Label] { labels.filter { $0.kind == kind } }

    /// Labels that reach outside the picture.
    var outside: [Label] { labels.filter { $0.box.x0 < 0 || $0.box.y0 < 0 || $0.box.x1 > width || $0.box.y1 > height } }

    /// Pairs of labels whose boxes overlap.
    var overlapping: [(Label, Label)] {
        var out: [(Label, Label)] = []
        let sorted = labels.sorted { $0.box.x0 < $1.box.x0 }
        for (i, a) in sorted.enumerated() {
            for b in sorted[(i + 1)...] {
                if b.box.x0 >= a.box.x1 { break }
                if a.box.overlaps(b.box) { out.append((a, b)) }
            }
        }
        return out
    }
}

/// Tools the picture tests use when the machine has them.
enum PictureTools {
    static func find(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static let rsvgConvert = find("rsvg-convert")
    static let python = find("python3")

    /// Runs a program; its status and what it printed (standard output and error together,
    /// through one pipe, so neither can fill up unread).
    static func run(_ tool: String, _ args: [String]) throws -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The width and height a PNG's header gives.
    static func pngSize(_ data: Data) -> (Int, Int)? {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] else { return nil }
        func be(_ i: Int) -> Int { bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }
}
