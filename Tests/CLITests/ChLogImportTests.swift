import Foundation
import Testing

/// `import --format ch-log`, then `replay -vvv` with no --profile, gives back the log's
/// debug-port lines byte for byte, in every era's layout. The logs are built from the
/// reference's rules and example lines (4.2, 4.6), with other lines mixed in.
@Suite(.serialized) struct ChLogImportTests {
    static func dbg(_ time: String, _ thread: String?, _ level: String, _ loc: String, _ comp: String, _ code: String, _ secs: String)
        -> String
    {
        "cloud-hypervisor: \(time): \(thread.map { "<\($0)> " } ?? "")\(level):\(loc) -- [Debug I/O port: \(comp) code \(code)] \(secs) seconds"
    }

    /// (name, line ending, lines); the debug-port lines of each file share one level and location.
    static let logs: [(String, String, [String])] = [
        (
            "seed (development build)", "\n",
            [
                "cloud-hypervisor: 5.1ms: INFO:vmm/src/lib.rs:200 -- API request event: VmBoot",
                "cloud-hypervisor: 19.762449ms: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Firmware code 0x0] 0.019004 seconds",
                "cloud-hypervisor: 403.499628ms: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Firmware code 0x1] 0.402744 seconds",
            ]
        ),
        (
            "F0 v0.2.0", "\n",
            [
                dbg("19.004ms", nil, "DEBUG", "vmm/src/vm.rs:527", "Firmware", "0x0", "0.019004"),
                "cloud-hypervisor: 19.5ms: WARN:vmm/src/vm.rs:500 -- something else",
                dbg("19.762449ms", nil, "DEBUG", "vmm/src/vm.rs:527", "Firmware", "0x0", "0.019004"),
                dbg("1.5200001s", nil, "DEBUG", "vmm/src/vm.rs:527", "Kernel", "0x41", "1.1500000"),
            ]
        ),
        (
            "F0 v0.10.0 with its unregistered-port warnings", "\n",
            [
                dbg("19.762449ms", nil, "DEBUG", "vmm/src/cpu.rs:401", "Firmware", "0x0", "0.019004"),
                "cloud-hypervisor: 19.781234ms: WARN:vmm/src/cpu.rs:354 -- Guest PIO write to unregistered address 0x80",
                dbg("2s", nil, "DEBUG", "vmm/src/cpu.rs:401", "Custom", "0xff", "1.1999999"),
            ]
        ),
        (
            "F1 v0.13.0", "\n",
            [
                dbg("19.004ms", "vcpu0", "DEBUG", "vmm/src/vm.rs:384", "Firmware", "0x0", "0.019004"),
                dbg("999ns", "vcpu1", "DEBUG", "vmm/src/vm.rs:384", "Firmware", "0x1f", "0.000000"),
                dbg("1.5µs", "vcpu1", "DEBUG", "vmm/src/vm.rs:384", "Bootloader", "0x20", "0.000001"),
                "cloud-hypervisor: 25.1ms: <vcpu0> WARN:vmm/src/vm.rs:434 -- Guest PIO read to unregistered address 0x80",
                dbg("61s", "vcpu0", "DEBUG", "vmm/src/vm.rs:384", "Userspace", "0x60", "60.60999999"),
            ]
        ),
        ("F1 v20.0", "\n", [dbg("19.762449ms", "vcpu0", "INFO", "vmm/src/vm.rs:385", "Firmware", "0x0", "0.019004")]),
        (
            "F1 v24.0", "\n",
            [
                dbg("19.762449ms", "vcpu0", "WARN", "devices/src/legacy/debug_port.rs:76", "Firmware", "0x0", "0.019004"),
                dbg("1.5200001s", "vcpu0", "WARN", "devices/src/legacy/debug_port.rs:76", "Kernel", "0x41", "1.1500000"),
            ]
        ),
        (
            "F2 v29.0", "\n",
            [
                dbg("19.004000ms", "vcpu0", "WARN", "devices/src/legacy/debug_port.rs:76", "Firmware", "0x0", "0.019004"),
                dbg("19.762449ms", "vcpu0", "WARN", "devices/src/legacy/debug_port.rs:76", "Firmware", "0x0", "0.019004"),
                dbg("1.520000s", "vcpu2", "WARN", "devices/src/legacy/debug_port.rs:76", "Kernel", "0x41", "1.1500000"),
            ]
        ),
        (
            "F3 v42.0", "\r\n",
            [
                "cloud-hypervisor: 1.000000ms: <main> INFO:vmm/src/lib.rs:9 -- starting",
                dbg("19.004000ms", "vcpu0", "WARN", "devices/src/legacy/debug_port.rs:77", "Firmware", "0x0", "0.019004"),
                dbg("999.999500ms", "vcpu0", "WARN", "devices/src/legacy/debug_port.rs:77", "Firmware", "0x1", "0.998999"),
                dbg("2.000000s", "vcpu0", "WARN", "devices/src/legacy/debug_port.rs:77", "Kernel", "0x40", "1.1999998"),
            ]
        ),
        (
            "F4/F5 v53.0", "\r\n",
            [
                dbg("  0.019004s", "vcpu0", "WARN", "devices/src/legacy/debug_port.rs:74", "Firmware", "0x0", "0.019004"),
                dbg("  0.019762s", "vcpu0", "WARN", "devices/src/legacy/debug_port.rs:74", "Firmware", "0x0", "0.019004"),
                "cloud-hypervisor:   0.025100s: <vcpu0> ERROR:devices/src/legacy/debug_port.rs:67 -- Invalid read to debug port",
                dbg("  1.520000s", "vcpu1", "WARN", "devices/src/legacy/debug_port.rs:74", "Kernel", "0x41", "1.1500000"),
                dbg("123.456787s", "vcpu1", "WARN", "devices/src/legacy/debug_port.rs:74", "Custom", "0x80", "123.123456789"),
                dbg("1000.123474s", "vcpu0", "WARN", "devices/src/legacy/debug_port.rs:74", "Userspace", "0x7f", "1000.1000123000"),
            ]
        ),
    ]

    func roundTrip(_ name: String, _ text: String, importArgs: [String] = []) throws {
        let dir = tempDir()
        try Data(text.utf8).write(to: URL(fileURLWithPath: "\(dir)/ch.log"))
        let imp = try porttrace(["import", "--format", "ch-log", "\(dir)/ch.log", "-o", "\(dir)/ch.pt"] + importArgs)
        #expect(imp.status == 0, "\(name): \(imp.stderr)")
        #expect(!imp.stderr.contains("note:"), "\(name): \(imp.stderr)")
        let rep = try porttrace(["replay", "\(dir)/ch.pt", "-vvv", "--log-file", "\(dir)/out.log"])
        #expect(rep.status == 0, "\(name): \(rep.stderr)")
        let original = Data(text.utf8).split(separator: 0x0a, omittingEmptySubsequences: false)
            .filter { String(decoding: $0, as: UTF8.self).contains("[Debug I/O port: ") }
        let out = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/out.log"))
        let regenerated = out.split(separator: 0x0a, omittingEmptySubsequences: false)
            .filter { String(decoding: $0, as: UTF8.self).contains("[Debug I/O port: ") }
        #expect(!original.isEmpty)
        #expect(regenerated == original, "\(name):\n\(String(decoding: out, as: UTF8.self))")
    }

    @Test func everyEraRoundTripsByteForByte() throws {
        for (name, ending, lines) in Self.logs {
            try roundTrip(name, lines.map { $0 + ending }.joined())
        }
    }

    @Test func aLogFormatTemplateRoundTrips() throws {
        let template = "{levelchar} [{thread}] {location} {boottime}: {msg}"
        let text = [
            "W [vcpu0] devices/src/legacy/debug_port.rs:74   0.019762: [Debug I/O port: Firmware code 0x0] 0.019004 seconds",
            "I [main] vmm/src/lib.rs:9   0.020000: something else",
            "W [vcpu1] devices/src/legacy/debug_port.rs:74   1.520000: [Debug I/O port: Kernel code 0x41] 1.1500000 seconds",
        ].map { $0 + "\r\n" }.joined()
        try roundTrip("template", text, importArgs: ["--log-format", template])
    }

    /// Templates with the UTC wall-clock tokens (v53.0) come back too: each line's time is kept.
    @Test func aWallClockTemplateRoundTrips() throws {
        let template =
            "{wallclock} {levelchar} {pid} [{thread}] {location} {glog} {year}/{month}/{day} {hour}:{minute}:{second}.{micros} {offset}: {msg}"
        let text = [
            "2024-01-15T10:30:45.123456Z W 4242 [vcpu0] devices/src/legacy/debug_port.rs:74 0115 10:30:45.123456 2024/01/15 10:30:45.123456 +00:00: [Debug I/O port: Firmware code 0x0] 0.019004 seconds",
            "2024-01-15T10:30:46.000001Z I 4242 [main] vmm/src/lib.rs:9 0115 10:30:46.000001 2024/01/15 10:30:46.000001 +00:00: something",
            "2024-02-29T23:59:59.999999Z W 4242 [vcpu1] devices/src/legacy/debug_port.rs:74 0229 23:59:59.999999 2024/02/29 23:59:59.999999 +00:00: [Debug I/O port: Kernel code 0x41] 1.1500000 seconds",
        ].map { $0 + "\r\n" }.joined()
        try roundTrip("wall-clock template", text, importArgs: ["--log-format", template])
    }

    @Test func theImportedTraceTimesTheBoot() throws {
        let dir = tempDir()
        let text = Self.logs.last!.2.map { $0 + "\r\n" }.joined()
        try Data(text.utf8).write(to: URL(fileURLWithPath: "\(dir)/ch.log"))
        #expect(try porttrace(["import", "--format", "ch-log", "\(dir)/ch.log", "-o", "\(dir)/ch.pt"]).status == 0)
        let t = try porttrace(["timeline", "\(dir)/ch.pt"])
        #expect(t.status == 0)
        #expect(t.out.contains("read as cloud-hypervisor v51.2 (the layout of the imported log)"))
        #expect(t.out.contains("0x41 Kernel"))
        let info = try porttrace(["info", "--json", "\(dir)/ch.pt"]).out
        #expect(info.contains(#""other":1"#))
    }

    @Test func unreadableLinesAreListedWithTheirNumbers() throws {
        let dir = tempDir()
        let text = """
            cloud-hypervisor: 19.762449ms: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Firmware code 0x0] 0.019004 seconds
            cloud-hypervisor: 20ms: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Kernel code 0x0] 0.019004 seconds
            cloud-hypervisor: 403.499628ms: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Firmware code 0x1] 0.402744 seconds

            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: "\(dir)/ch.log"))
        let r = try porttrace(["import", "--format", "ch-log", "\(dir)/ch.log", "-o", "\(dir)/ch.pt"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("ch.log:2: the message is not"))
        #expect(try porttrace(["dump", "\(dir)/ch.pt", "--port", "0x80"]).out.split(separator: "\n").count == 2)
    }

    @Test func badInputGetsOneLine() throws {
        let dir = tempDir()
        for args in [
            ["import", "--format", "ch-log", "\(dir)/missing.log", "-o", "\(dir)/x.pt"],
            ["import", "--format", "ch-log", dir, "-o", "\(dir)/x.pt"],
            ["import", "--format", "ch-log", "\(dir)/missing.log", "-o", "\(dir)/x.pt", "--log-format", "{localglog} {msg}"],
            ["import", "--format", "jsonl", "\(dir)/missing.log", "-o", "\(dir)/x.pt", "--log-format", "{msg}"],
        ] {
            let r = try porttrace(args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
    }
}
