import Foundation
import Testing

/// Inputs that once trapped, aborted or wrote a trace that could not be read back (the
/// hardening issue's confirmed failures): each gets one line on stderr and a status.
@Suite(.serialized) struct HardeningTests {
    static let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("traces/boot-demo.pt").path

    func expectOneLine(_ r: RunResult, status: Int32 = 2, containing text: String, _ what: String) {
        #expect(r.status == status, "\(what): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(what): \(r.stderr)")
        #expect(r.stderr.contains(text), "\(what): \(r.stderr)")
    }

    @Test func timesOutOfRange() throws {
        #expect(try porttrace(["dump", Self.demo, "--from", "9223372036.8s"]).status == 0)
        for args in [
            ["dump", Self.demo, "--from", "9223372036.9s"], ["replay", Self.demo, "--to", "9223372036.9s"],
            ["dump", Self.demo, "--to", "1e9"],
        ] {
            expectOneLine(try porttrace(args), containing: "porttrace: ", "\(args)")
        }
    }

    /// A string-I/O access of 4 x 4,294,967,295 bytes: refused at import, naming the limit
    /// (it used to be written, and replay then tried to allocate 16 GiB).
    @Test func anAccessOverTheLimitIsRefusedAtImport() throws {
        let dir = tempDir()
        let line = #"{"t_ns":2000,"vcpu":0,"port":1026,"dir":"in","size":4,"count":4294967295,"data":"e9000000","incomplete":true}"#
        try Data((line + "\n").utf8).write(to: URL(fileURLWithPath: "\(dir)/in.jsonl"))
        expectOneLine(
            try porttrace(["import", "\(dir)/in.jsonl", "-o", "\(dir)/t.pt"]),
            containing: "line 1: size 4 x count 4294967295 = 17179869180 bytes is over the limit of 4096 bytes per access", "count")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/t.pt"))
    }

    /// Marker texts and names over their limits are refused with a message that names the limit;
    /// at the limit they are written and read back whole.
    @Test func markerLimits() throws {
        let dir = tempDir()
        func importing(_ lines: [String]) throws -> RunResult {
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: "\(dir)/in.jsonl"))
            return try porttrace(["import", "\(dir)/in.jsonl", "-o", "\(dir)/t.pt"])
        }
        let post = #"{"t_ns":3000,"vcpu":0,"port":128,"dir":"out","size":1,"count":1,"data":"40"}"#
        let tooLong = #"{"t_ns":2000,"vcpu":0,"marker":"m","text":"\#(String(repeating: "x", count: 65537))"}"#
        expectOneLine(try importing([tooLong, post]), containing: "marker text is 65537 bytes, over the limit of 65536", "text")
        let longName = #"{"t_ns":2000,"vcpu":0,"marker":"\#(String(repeating: "n", count: 70000))"}"#
        expectOneLine(try importing([longName, post]), containing: "marker name is 70000 bytes, over the limit of 4096", "name")
        let atLimit = #"{"t_ns":2000,"vcpu":0,"marker":"m","text":"\#(String(repeating: "x", count: 65536))"}"#
        #expect(try importing([atLimit, post]).status == 0)
        #expect(try porttrace(["verify", "\(dir)/t.pt"]).status == 0)
        #expect(try porttrace(["dump", "\(dir)/t.pt", "--port", "0x80"]).out.contains("out 0x0080"))
    }

    /// A header over 1 MiB (a long label) is refused when written, not written and then unreadable.
    @Test func aHeaderOverTheLimitIsRefused() throws {
        let dir = tempDir()
        let header = #"{"header":{"labels":{"big":"\#(String(repeating: "x", count: 1_100_000))"}}}"#
        let post = #"{"t_ns":3000,"vcpu":0,"port":128,"dir":"out","size":1,"count":1,"data":"40"}"#
        try Data((header + "\n" + post + "\n").utf8).write(to: URL(fileURLWithPath: "\(dir)/in.jsonl"))
        let r = try porttrace(["import", "\(dir)/in.jsonl", "-o", "\(dir)/t.pt"])
        expectOneLine(r, containing: "over the limit of 1048552 a trace header holds", "header")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/t.pt"))
    }

    @Test(.enabled(if: captureBuilt && kvmMissing == nil, "\(kvmMissing ?? "built without capture")"))
    func memorySizesAreExactOrRefused() throws {
        let dir = tempDir()
        let guest = URL(fileURLWithPath: Self.demo).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "Guests/build/boot-demo.bin"
        ).path
        let r = try porttrace(["run", guest, "-o", "\(dir)/t.pt", "--mem", "1.5G"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try porttrace(["info", "--json", "\(dir)/t.pt"]).out.contains(#""memory":1610612736"#))
        for bad in ["1.3G", "0", "-1G", "1.5.5G", "99999999999G", "G"] {
            expectOneLine(try porttrace(["run", guest, "-o", "\(dir)/t.pt", "--mem", bad]), containing: "--mem", bad)
        }
    }
}
