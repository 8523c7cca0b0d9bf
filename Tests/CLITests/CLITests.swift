import Foundation
import Testing

@Suite(.serialized) struct CLITests {
    @Test func badInputsGetOneLineAndStatus2() throws {
        let dir = tempDir()
        try Data().write(to: URL(fileURLWithPath: "\(dir)/empty"))
        try Data("hello".utf8).write(to: URL(fileURLWithPath: "\(dir)/text"))
        let cases: [([String], String)] = [
            (["info", "\(dir)/missing"], "No such file"),
            (["info", dir], "is a directory"),
            (["verify", "\(dir)/empty"], "empty file"),
            (["dump", "\(dir)/text"], "not a porttrace trace"),
            (["replay", "\(dir)/text", "--profile", "v24"], "nearest known: v24.0"),
            (["dump", "x.pt", "--bogus"], "--bogus"),
            (["import", "\(dir)/text", "-o", "\(dir)/x.pt"], "line 1"),
        ]
        for (args, needle) in cases {
            let r = try porttrace(args)
            #expect(r.status == 2, "\(args)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error"), "\(args)")
        }
    }

    @Test func importDumpRoundTripAndVerify() throws {
        let dir = tempDir()
        try Data(goldenInput().utf8).write(to: URL(fileURLWithPath: "\(dir)/in.jsonl"))
        #expect(try porttrace(["import", "\(dir)/in.jsonl", "-o", "\(dir)/a.pt"]).status == 0)
        let first = try porttrace(["dump", "--format", "jsonl", "--header", "\(dir)/a.pt"])
        #expect(first.status == 0)
        #expect(try porttrace(["import", "-", "-o", "\(dir)/b.pt"], stdin: first.stdout).status == 0)
        let second = try porttrace(["dump", "--format", "jsonl", "--header", "\(dir)/b.pt"])
        #expect(second.stdout == first.stdout)
        #expect(try porttrace(["verify", "\(dir)/b.pt"]).status == 0)
        let info = try porttrace(["info", "--json", "\(dir)/a.pt"])
        for key in [
            "\"events\":", "\"file_bytes\":", "\"complete\":true", "\"duration_ns\":", "\"vcpus\":2", "\"vmm_start_ns\":1000000",
            "\"vm_start_ns\":2000000", "\"ports\":{", "\"0x80\":9", "\"incomplete_events\":0", "\"lost_events\":0", "\"source\":\"import\"",
        ] {
            #expect(info.out.contains(key), "\(key)")
        }
        // A window and a port filter, in text.
        let window = try porttrace(["dump", "\(dir)/a.pt", "--port", "0x80", "--from", "1s", "--to", "61s"])
        #expect(window.out.split(separator: "\n").count == 3)
        // A cut file: verify says 1 and what was recovered.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/a.pt"))
        try bytes.prefix(bytes.count - 30).write(to: URL(fileURLWithPath: "\(dir)/cut.pt"))
        let cut = try porttrace(["verify", "\(dir)/cut.pt"])
        #expect(cut.status == 1)
        #expect(cut.stderr.contains("recovered"))
    }

    @Test func replayIsDeterministicAcrossTimeZonesAndLocales() throws {
        let dir = tempDir()
        try Data(goldenInput().utf8).write(to: URL(fileURLWithPath: "\(dir)/in.jsonl"))
        #expect(try porttrace(["import", "\(dir)/in.jsonl", "-o", "\(dir)/a.pt"]).status == 0)
        var outputs: [Data] = []
        for env in [["TZ": "UTC"], ["TZ": "Asia/Tokyo"], ["LC_ALL": "C"], ["LC_ALL": "de_DE.UTF-8", "TZ": "Europe/Berlin"]] {
            for profile in ["v0.13.0", "v29.0", "latest"] {
                let out = "\(dir)/out-\(profile)-\(env.values.joined())"
                let args =
                    ["replay", "\(dir)/a.pt", "--profile", profile, "-vvv", "--out-dir", out]
                    + (profile == "latest" ? ["--log-format", "{wallclock} {localglog} {pid} <{thread}> {msg}"] : [])
                let r = try porttrace(args, environment: env)
                #expect(r.status == 0, "\(r.stderr)")
                var all = Data()
                for name in ["vmm.log", "debug-console.out", "firmware-debug.out", "serial.out"] {
                    all.append(try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(name)")))
                }
                outputs.append(all)
            }
        }
        for i in 3..<outputs.count { #expect(outputs[i] == outputs[i % 3]) }
        let log = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(dir)/out-latest-UTC/vmm.log")), as: UTF8.self)
        #expect(
            log.hasPrefix(
                "2024-01-15T10:30:45.002000Z 0115 10:30:45.002000 77 <vcpu0> [Debug I/O port: Firmware code 0x1f] 0.000000 seconds\r\n"))
        #expect(log.contains("[Debug I/O port: Custom code 0xff] 1001.1001000000 seconds"))
    }

    @Test func goldenLogPerEra() throws {
        let dir = tempDir()
        try Data(goldenInput().utf8).write(to: URL(fileURLWithPath: "\(dir)/in.jsonl"))
        #expect(try porttrace(["import", "\(dir)/in.jsonl", "-o", "\(dir)/a.pt"]).status == 0)
        let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
        for profile in ["v0.2.0", "v0.10.0", "v0.13.0", "v20.0", "v24.0", "v29.0", "v33.0", "v49.0", "v53.0"] {
            let r = try porttrace(["replay", "\(dir)/a.pt", "--profile", profile, "-vvv", "--log-file", "\(dir)/\(profile).log"])
            #expect(r.status == 0, "\(r.stderr)")
            let got = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(profile).log"))
            let golden = goldenDir.appendingPathComponent("\(profile).log")
            if ProcessInfo.processInfo.environment["PORTTRACE_UPDATE_GOLDEN"] != nil { try got.write(to: golden) }
            #expect(got == (try? Data(contentsOf: golden)), "\(profile) differs from \(golden.path)")
        }
    }

    /// Without --profile, replay reads a trace under the release its header names.
    @Test func replayDefaultsToTheTracesRelease() throws {
        let dir = tempDir()
        let named = goldenInput().replacingOccurrences(of: #"{"header":{"#, with: #"{"header":{"profile":"v24.0","#)
        try Data(named.utf8).write(to: URL(fileURLWithPath: "\(dir)/in.jsonl"))
        #expect(try porttrace(["import", "\(dir)/in.jsonl", "-o", "\(dir)/a.pt"]).status == 0)
        let r = try porttrace(["replay", "\(dir)/a.pt", "-vvv", "--log-file", "\(dir)/default.log"])
        #expect(r.status == 0, "\(r.stderr)")
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/v24.0.log")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/default.log")) == Data(contentsOf: golden))
        // --profile still wins.
        let latest = try porttrace(["replay", "\(dir)/a.pt", "--profile", "v53.0", "-vvv", "--log-file", "\(dir)/latest.log"])
        #expect(latest.status == 0)
        let v53 = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/v53.0.log")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/latest.log")) == Data(contentsOf: v53))
    }

    @Test func checkReportsDivergingInValues() throws {
        let dir = tempDir()
        try Data(goldenInput().utf8).write(to: URL(fileURLWithPath: "\(dir)/in.jsonl"))
        #expect(try porttrace(["import", "\(dir)/in.jsonl", "-o", "\(dir)/a.pt"]).status == 0)
        // The recorded LSR read says 0x00; the model's 16550 says 0x60.
        let r = try porttrace(["replay", "\(dir)/a.pt", "--check", "--out-dir", dir])
        #expect(r.status == 1)
        #expect(r.stderr.contains("1 IN values differ"))
        #expect(r.stderr.contains("in 0x3fd: recorded 00, modelled 60"))
    }
}
