import Foundation
import Testing

/// Traces of both format versions in `traces/`: the format-1 ones written before value coding
/// (byte planes only) and `qemu-seabios.pt`, a format-2 recording of QEMU + SeaBIOS whose blocks
/// are mostly value-coded and whose metadata is compressed.
@Suite struct FormatVersionTests {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("traces")
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    @Test(arguments: [("boot-demo.pt", 1), ("console-burst.pt", 1), ("smp64-4cpu.pt", 1), ("qemu-seabios.pt", 2)])
    func bothVersionsRead(name: String, version: Int) throws {
        let path = Self.traces.appendingPathComponent(name).path
        let info = try porttrace(["info", "--json", path])
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.out.contains("\"format_version\":\(version)"))
        // Format 1 has only byte planes; the format-2 recording is value-coded in 9 of its 10 blocks.
        #expect(info.out.contains("\"value_coded_blocks\":\(version == 1 ? 0 : 9)"), "\(info.out.prefix(400))")
        let v = try porttrace(["verify", path])
        #expect(v.status == 0, "\(v.stderr)")
    }

    /// The format-2 trace replays to the bytes QEMU itself wrote to its debugcon and serial files
    /// when the trace was recorded (kept beside the golden reports).
    @Test func theFormat2RecordingReplaysToQEMUsOwnOutput() throws {
        let dir = tempDir()
        let r = try porttrace(["replay", Self.traces.appendingPathComponent("qemu-seabios.pt").path, "--out-dir", dir])
        #expect(r.status == 0, "\(r.stderr)")
        for (mine, qemu) in [("firmware-debug.out", "qemu-seabios.firmware-debug.out"), ("serial.out", "qemu-seabios.serial.out")] {
            let a = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(mine)"))
            let b = try Data(contentsOf: Self.golden.appendingPathComponent(qemu))
            #expect(a == b, "\(mine)")
        }
    }

    /// Rewriting a format-1 trace (import of its JSON lines) makes a format-2 trace with the same
    /// events, smaller.
    @Test func aFormat1TraceRewrittenIsTheSameEventsSmaller() throws {
        let dir = tempDir()
        let source = Self.traces.appendingPathComponent("console-burst.pt").path
        let lines = try porttrace(["dump", "--format", "jsonl", "--header", source])
        try Data(lines.out.utf8).write(to: URL(fileURLWithPath: "\(dir)/burst.jsonl"))
        let imp = try porttrace(["import", "--format", "jsonl", "\(dir)/burst.jsonl", "-o", "\(dir)/burst.pt"])
        #expect(imp.status == 0, "\(imp.stderr)")
        let again = try porttrace(["dump", "--format", "jsonl", "\(dir)/burst.pt"])
        let original = try porttrace(["dump", "--format", "jsonl", source])
        #expect(again.out == original.out)
        let before = try FileManager.default.attributesOfItem(atPath: source)[.size] as! Int
        let after = try FileManager.default.attributesOfItem(atPath: "\(dir)/burst.pt")[.size] as! Int
        #expect(after < before * 95 / 100, "\(after) vs \(before)")
    }
}
