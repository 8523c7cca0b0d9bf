import Foundation
import Testing

/// `porttrace diff` through the command line: exit statuses, formats and bad input.
@Suite(.serialized) struct DiffCommandTests {
    /// A boot as JSON lines: POST codes at the given ms, and a console line in the kernel phase.
    static func boot(_ codes: [(ms: Double, code: UInt8)], console: String = "kernel: up\n") -> String {
        var lines = [
            #"{"header":{"vmm_start_ns":500000,"vm_start_ns":1000000,"profile":"v53.0","devices":[{"model":"debug-port","port":128,"length":1},{"model":"debug-console","port":233,"length":1}]}}"#
        ]
        for (ms, code) in codes {
            lines.append(
                #"{"t_ns":\#(1_000_000 + UInt64(ms * 1e6)),"vcpu":0,"port":128,"dir":"out","size":1,"count":1,"data":"\#(String(format: "%02x", code))"}"#
            )
        }
        let t = 1_000_000 + UInt64(codes[2].ms * 1e6) + 1000
        let hex = console.utf8.map { String(format: "%02x", $0) }.joined()
        lines.append(#"{"t_ns":\#(t),"vcpu":0,"port":233,"dir":"out","size":1,"count":\#(console.utf8.count),"data":"\#(hex)"}"#)
        return lines.joined(separator: "\n") + "\n"
    }

    static func trace(_ dir: String, _ name: String, _ jsonl: String) throws -> String {
        try Data(jsonl.utf8).write(to: URL(fileURLWithPath: "\(dir)/\(name).jsonl"))
        let r = try porttrace(["import", "\(dir)/\(name).jsonl", "-o", "\(dir)/\(name).pt"])
        #expect(r.status == 0, "\(r.stderr)")
        return "\(dir)/\(name).pt"
    }

    @Test func statusesAndFormats() throws {
        let dir = tempDir()
        let a = try Self.trace(dir, "a", Self.boot([(19, 0x01), (400, 0x20), (900, 0x40), (1200, 0x60)]))
        let same = try Self.trace(dir, "same", Self.boot([(19, 0x01), (400, 0x20), (901, 0x40), (1200.5, 0x60)]))
        let slower = try Self.trace(
            dir, "slower", Self.boot([(19, 0x01), (400, 0x21), (1500, 0x40), (1800, 0x60)], console: "kernel: slow\n"))

        let equal = try porttrace(["diff", a, same, "--ignore", "metadata"])
        #expect(equal.status == 0, "\(equal.out)")
        #expect(equal.out.contains("SAME"))

        let text = try porttrace(["diff", a, slower, "--color", "never"])
        #expect(text.status == 1)
        #expect(text.out.contains("DIFFERENT"))
        #expect(text.out.contains("~  0x20 Bootloader | 0x21 Bootloader"))
        #expect(text.out.contains("-kernel: up"))
        #expect(text.out.contains("+kernel: slow"))
        #expect(!text.out.contains("\u{1b}["))
        #expect(try porttrace(["diff", a, slower, "--color", "always"]).out.contains("\u{1b}[31m"))

        let json = try porttrace(["diff", a, slower, "--format", "json"])
        #expect(json.status == 1)
        let root = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect(root["different"] as? Bool == true)
        #expect((root["steps"] as? [[String: Any]])?.contains { $0["change"] as? String == "changed" } == true)

        let md = try porttrace(["diff", a, slower, "--format", "markdown"])
        #expect(md.status == 1)
        #expect(md.out.contains("```diff"))

        // Leaving every judged section out leaves the code change, which always counts.
        let ignored = try porttrace(["diff", a, slower, "--ignore", "times", "--ignore", "outputs", "--ignore", "counts"])
        #expect(ignored.status == 1)
        #expect(ignored.out.contains("POST code sequences differ"))
        #expect(!ignored.out.contains("Outputs"))
    }

    @Test func oneTraceUnderTwoReleases() throws {
        let dir = tempDir()
        let a = try Self.trace(dir, "a", Self.boot([(19, 0x01), (400, 0x20), (900, 0x40), (1200, 0x60)]))
        let r = try porttrace(["diff", a, "--profile", "v24.0", "--against", "v53.0", "--color", "never"])
        #expect(r.status == 1)
        #expect(r.out.contains("Guest PIO write to unregistered address 0xe9"))
        #expect(try porttrace(["diff", a, "--profile", "v44.0", "--against", "v45.0"]).status == 0)
        let all = try porttrace(["diff", a, "--profiles", "v36.0..latest", "--color", "never"])
        #expect(all.status == 1)
        #expect(all.out.contains("v38.0"))
    }

    @Test func badInputGetsOneLine() throws {
        let dir = tempDir()
        let a = try Self.trace(dir, "a", Self.boot([(19, 0x01), (400, 0x20), (900, 0x40), (1200, 0x60)]))
        for args in [
            ["diff", a], ["diff", a, "\(dir)/missing.pt"], ["diff", a, a, "--against", "v24.0"], ["diff", a, "--against", "v99"],
            ["diff", a, "--profiles", "v1..v2"], ["diff", a, a, "--tolerance", "soon"], ["diff", a, a, "--ignore", "everything"],
            ["diff", a, "--against", "v24.0", "--profiles", "all"],
        ] {
            let r = try porttrace(args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
    }
}
