import Foundation
import Testing

@testable import TraceFormat

/// Issue 20, section 3: one- and two-line inputs that trapped the importers and the analysis
/// commands, sized allocations, or were lost without a word. Each now gets a clear answer.
@Suite struct HostileInputCLITests {
    static let good = "cloud-hypervisor: 19.762449ms: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Firmware code 0x0] 0.019004 seconds"

    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Every analysis command on `trace`: none traps (a trap ends the process by SIGILL, which
    /// `Process` reports as status 4, a shell as 132); each exits 0, 1 or 2.
    func analyses(_ trace: String, _ dir: String) throws -> [([String], RunResult)] {
        var runs: [[String]] = ["text", "json", "svg", "perfetto"].map { ["timeline", trace, "--format", $0] }
        runs += [["diff", trace, trace], ["stats", trace], ["verify", trace], ["info", trace]]
        runs += ["events", "steps", "phases"].map { ["export", trace, "--table", $0, "-o", "\(dir)/export-\($0).csv"] }
        return try runs.map { args in
            let r = try porttrace(args)
            #expect((0...2).contains(r.status), "\(args): \(r.status) \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrac"), "\(args): \(r.stderr)")
            return (args, r)
        }
    }

    // MARK: Files that are not files

    /// A FIFO given as a trace is refused at once (a FIFO without a writer used to block every
    /// reading command forever); as an import's input it is read once, like standard input.
    @Test func aFIFOIsNoTraceButCanBeImported() throws {
        try withScratch { dir in
            let fifo = "\(dir)/fifo"
            #expect(mkfifo(fifo, 0o600) == 0)
            for args in [["timeline", fifo], ["diff", fifo, fifo], ["info", fifo], ["stats", fifo], ["dump", fifo]] {
                let r = try porttrace(args)
                #expect(r.status == 2, "\(args): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
                #expect(r.stderr.contains("not a regular file"), "\(args): \(r.stderr)")
            }
            // The writer opens the FIFO from another thread; the import reads it to its end.
            let writer = Thread {
                if let h = FileHandle(forWritingAtPath: fifo) {
                    h.write(Data((Self.good + "\n").utf8))
                    try? h.close()
                }
            }
            writer.start()
            let r = try porttrace(["import", "--format", "ch-log", fifo, "-o", "\(dir)/t.pt"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try porttrace(["dump", "\(dir)/t.pt"]).out.contains("vcpu0 out 0x0080 1x1 00"))
        }
    }

    // MARK: Overflowing arithmetic

    @Test func chLogSecondsThatOverflowAreListed() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad =
            "cloud-hypervisor: 19.762449ms: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Firmware code 0x0] 100000000000.100000000000000000 seconds"
        try write(Self.good + "\n" + bad + "\n", to: "\(dir)/a.log")
        let r = try porttrace(["import", "--format", "ch-log", "\(dir)/a.log", "-o", "\(dir)/a.pt"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("a.log:2: its time 100000000000 s is over the limit"), "\(r.stderr)")
        #expect(try porttrace(["verify", "\(dir)/a.pt"]).status == 0)
    }

    @Test func chLogThreadNumbersOverTheLimitAreListed() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = Self.good.replacingOccurrences(of: "DEBUG", with: "<vcpu4294967295> DEBUG")
        try write(bad + "\n" + Self.good.replacingOccurrences(of: "DEBUG", with: "<vcpu1> DEBUG") + "\n", to: "\(dir)/d.log")
        let r = try porttrace(["import", "--format", "ch-log", "\(dir)/d.log", "-o", "\(dir)/d.pt"])
        #expect(r.status == 1 && r.stderr.contains("d.log:1: its thread 'vcpu4294967295' names a vCPU over the limit"), "\(r.stderr)")
        _ = try analyses("\(dir)/d.pt", dir)
    }

    /// A 75-byte line used to make the importer allocate 1.8 GB for a tid list.
    @Test func aTemplateLogsThreadNumberSizesNothing() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("1 vcpu30000000 DEBUG [Debug I/O port: Firmware code 0x0] 0.019004 seconds\n", to: "\(dir)/c.log")
        let r = try porttrace(
            ["import", "--format", "ch-log", "--log-format", "{tid} {thread} {level} {msg}", "\(dir)/c.log", "-o", "\(dir)/c.pt"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("c.log:1: its thread 'vcpu30000000' names a vCPU over the limit"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/c.pt"))
    }

    @Test func jsonLinesWithAVCPUOverTheLimitAreRefused() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(#"{"t_ns":1,"vcpu":4294967295,"port":128,"dir":"out","size":1,"count":1,"data":"00"}"# + "\n", to: "\(dir)/v.jsonl")
        let r = try porttrace(["import", "\(dir)/v.jsonl", "-o", "\(dir)/v.pt"])
        #expect(r.status == 2 && r.stderr.contains("line 1: vCPU 4294967295 is over the limit"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func jsonLinesWithATimeOverTheLimitAreRefused() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lines = [
            #"{"header":{"vm_start_ns":9223372036854775808}}"#,
            #"{"t_ns":9223372036854775808,"vcpu":0,"port":128,"dir":"out","size":1,"count":1,"data":"00"}"#,
            #"{"t_ns":5,"vcpu":0,"port":128,"dir":"out","size":1,"count":1,"data":"01"}"#,
        ]
        try write(lines.joined(separator: "\n") + "\n", to: "\(dir)/t.jsonl")
        let r = try porttrace(["import", "\(dir)/t.jsonl", "-o", "\(dir)/t.pt"])
        #expect(r.status == 2 && r.stderr.contains("line 3: time 5 ns is 9223372036854775803 ns before the VM's start"), "\(r.stderr)")
        // --vm-start moves the origin every line is checked against.
        let moved = try porttrace(["import", "\(dir)/t.jsonl", "-o", "\(dir)/t.pt", "--vm-start", "0"])
        #expect(moved.status == 2 && moved.stderr.contains("line 2: time 9223372036854775808 ns is"), "\(moved.stderr)")
    }

    /// A perf capture whose thread is named vcpu4294967295 used to import, and then trap every
    /// analysis command.
    @Test func aPerfThreadNamedPastTheLimitIsAnalysed() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(
            " vcpu4294967295 1234 [000] 100.000001: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x1\n", to: "\(dir)/v.perf")
        let r = try porttrace(["import", "--format", "perf-script", "\(dir)/v.perf", "-o", "\(dir)/v.pt"])
        #expect(r.status == 0, "\(r.stderr)")
        for (args, run) in try analyses("\(dir)/v.pt", dir) { #expect(run.status == 0, "\(args): \(run.stderr)") }
    }

    /// Traces a writer without limits could leave: a vCPU index past the limit, times 2^63 ns either
    /// side of the VM's start, times at 0 and 2^64 - 616 ns (read as 616 ns backwards). Each is
    /// damage, named, and no command traps or prints a wrapped time.
    @Test func tracesOverTheLimitsAreDamageInEveryCommand() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var wide = TraceMetadata()
        wide.vmStartNs = 1 << 63
        let cases: [(String, TraceMetadata, [[PortIOEvent]], String)] = [
            ("vcpu", TraceMetadata(), [[.access(at: 5, vcpu: 4_294_967_295, port: 0x80, .out, data: [1])]], "vCPU 4294967295 is over"),
            (
                "wide", wide, [[.access(at: 0, port: 0x80, .out, data: [1]), .access(at: .max, port: 0x80, .out, data: [0x41])]],
                "ns before the VM's start"
            ),
            (
                "wrap", TraceMetadata(),
                [[.access(at: 0, port: 0x80, .out, data: [1]), .access(at: UInt64.max - 615, port: 0x80, .out, data: [0x41])]],
                "ns after the VM's start"
            ),
        ]
        for (name, md, blocks, why) in cases {
            let path = "\(dir)/\(name).pt"
            try writeTraceWithoutLimits(path, metadata: md, blocks: blocks)
            let verify = try porttrace(["verify", path])
            #expect(verify.status == 1 && verify.stderr.contains(why), "\(name): \(verify.stderr)")
            for (args, run) in try analyses(path, dir) {
                #expect(run.status != 0, "\(name) \(args): damage unreported")
                #expect(!run.out.contains("-616ns"), "\(name) \(args)")
            }
        }
    }

    /// The widest trace the limits allow, with a boot 146 years each side of its VM's start: every
    /// command reads it, and nothing wraps.
    @Test func theWidestTraceIsAnalysed() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bound = UInt64(Int64.max / 2)
        let lines = [
            #"{"header":{"vm_start_ns":\#(bound),"profile":"v53.0"}}"#,
            #"{"t_ns":0,"vcpu":4095,"port":128,"dir":"out","size":1,"count":1,"data":"01"}"#,
            #"{"t_ns":\#(bound),"vcpu":0,"port":128,"dir":"out","size":1,"count":1,"data":"41"}"#,
            #"{"t_ns":\#(2 * bound),"vcpu":1,"port":233,"dir":"out","size":1,"count":1,"data":"0a"}"#,
            #"{"t_ns":\#(2 * bound),"vcpu":1,"port":128,"dir":"out","size":1,"count":1,"data":"61"}"#,
        ]
        try write(lines.joined(separator: "\n") + "\n", to: "\(dir)/w.jsonl")
        let imp = try porttrace(["import", "\(dir)/w.jsonl", "-o", "\(dir)/w.pt"])
        #expect(imp.status == 0, "\(imp.stderr)")
        for (args, run) in try analyses("\(dir)/w.pt", dir) {
            #expect(run.status == 0, "\(args): \(run.stderr)")
            #expect(!run.out.contains("--"), "\(args)")
        }
        let json = try porttrace(["timeline", "\(dir)/w.pt", "--format", "json"]).out
        #expect(json.contains(#""total_ns":\#(2 * bound)"#), "\(json)")
    }

    // MARK: Silent loss

    @Test func aChLogLineInNoErasLayoutIsListed() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(
            "cloud-hypervisor: 5: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Firmware code 0x0] 0.019004 seconds\n", to: "\(dir)/b.log")
        let r = try porttrace(["import", "--format", "ch-log", "\(dir)/b.log", "-o", "\(dir)/b.pt"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("b.log:1: its time '5' is printed by no release's logger"), "\(r.stderr)")
        #expect(r.stderr.contains("no trace written"))
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/b.pt"))
    }

    @Test func inputsWithNothingToImportWriteNoTrace() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trace = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("traces/boot-demo.pt").path
        let chLog = try porttrace(["import", "--format", "ch-log", trace, "-o", "\(dir)/x.pt"])
        #expect(chLog.status == 2 && chLog.stderr.contains("no '[Debug I/O port: ...]' line could be read"), "\(chLog.stderr)")
        #expect(chLog.stderr.split(separator: "\n").count == 1)
        let perf = try porttrace(["import", "--format", "perf-script", trace, "-o", "\(dir)/x.pt"])
        #expect(perf.status == 2 && perf.stderr.contains("expected 'perf script' output"), "\(perf.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/x.pt"))
    }

    /// `perf script -F time,trace`, which `--help` says is read, used to give an empty trace.
    @Test func perfTimeAndTraceFieldsAreRead() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = """
              688.867936: pio_write at 0x80 size 1 count 1 val 0x0
              688.868051: pio_write at 0x402 size 1 count 1 val 0x66
              688.900193: pio_read at 0x3fd size 1 count 1 val 0x60
              688.962000: pio_write at 0x80 size 1 count 1 val 0x41

            """
        try write(text, to: "\(dir)/t.perf")
        let r = try porttrace(["import", "--format", "perf-script", "\(dir)/t.perf", "-o", "\(dir)/t.pt"])
        #expect(r.status == 0, "\(r.stderr)")
        let t = try porttrace(["timeline", "\(dir)/t.pt"])
        #expect(t.out.contains("0x41 Kernel") && t.out.contains("(firmware)"), "\(t.out)")
        // Without the time field, the lines are refused by name.
        try write("kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0 \n", to: "\(dir)/e.perf")
        let e = try porttrace(["import", "--format", "perf-script", "\(dir)/e.perf", "-o", "\(dir)/e.pt"])
        #expect(e.status == 2 && e.stderr.contains("e.perf:1: no 'SECONDS:' before the event (give perf script the time field)"))
    }

    @Test func aPerfLineOverTheLengthLimitIsListedAndTheRestKept() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let line = { (t: Int, v: Int) in " vcpu0 1234 [000] 100.00000\(t): kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x\(v)" }
        let text = line(1, 1) + "\n" + line(2, 2) + String(repeating: " ", count: 1 << 21) + "\n" + line(3, 3) + "\n"
        try write(text, to: "\(dir)/long.perf")
        let r = try porttrace(["import", "--format", "perf-script", "\(dir)/long.perf", "-o", "\(dir)/long.pt"])
        #expect(r.status == 1 && r.stderr.contains("long.perf:2: the line is over 1048576 bytes"), "\(r.stderr)")
        #expect(try porttrace(["dump", "\(dir)/long.pt", "--port", "0x80"]).out.split(separator: "\n").count == 2)
    }

    @Test func everyUnreadableLineIsCounted() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = "cloud-hypervisor: 20ms: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Kernel code 0x0] 0.019004 seconds"
        try write(([Self.good] + Array(repeating: bad, count: 1500)).joined(separator: "\n") + "\n", to: "\(dir)/many.log")
        let r = try porttrace(["import", "--format", "ch-log", "\(dir)/many.log", "-o", "\(dir)/many.pt"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("many.log: 1500 lines could not be read"), "\(r.stderr)")
        #expect(r.stderr.contains("many.log: 1490 more such lines"), "\(r.stderr)")
        #expect(try porttrace(["info", "--json", "\(dir)/many.pt"]).out.contains(#""unreadable":1500"#))
    }

    // MARK: Device maps

    static let twoOn0x80 =
        #"{"header":{"profile":"v53.0","devices":[{"model":"debug-port","port":128,"length":1},{"model":"debug-console","port":128,"length":1}]}}"#

    @Test func importRefusesTwoDevicesOnOnePort() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(
            Self.twoOn0x80 + "\n" + #"{"t_ns":1,"vcpu":0,"port":128,"dir":"out","size":1,"count":1,"data":"00"}"# + "\n",
            to: "\(dir)/two.jsonl")
        let r = try porttrace(["import", "\(dir)/two.jsonl", "-o", "\(dir)/two.pt"])
        #expect(r.status == 2 && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(
            r.stderr.contains("two.jsonl:1: refused: the header's devices: debug-port@0x80 and debug-console@0x80 overlap at port 0x80"),
            "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/two.pt"))
    }

    /// The check `verify` makes is the one the analysis commands would fail: a map they refuse is damage.
    @Test func verifyReportsADeviceMapReplayRefuses() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // One the release cannot build though its devices do not overlap: a debug console on the
        // ACPI shutdown port of v26.0 and later.
        let headers = [
            ("two", Self.twoOn0x80, "overlap at port 0x80"),
            (
                "acpi", #"{"header":{"profile":"v53.0","devices":[{"model":"debug-console","port":1536,"length":1}]}}"#,
                "cannot be built as cloud-hypervisor v53.0"
            ),
        ]
        for (name, header, why) in headers {
            let md = try TraceMetadata(json: JSONParser.parse(header)["header"]!)
            let w = try TraceWriter(path: "\(dir)/\(name).pt", metadata: md)
            w.append(.access(at: 1, port: 0x80, .out, data: [1]))
            try w.close(at: 2)
            let v = try porttrace(["verify", "\(dir)/\(name).pt"])
            #expect(v.status == 1 && v.stderr.contains("header: its devices") && v.stderr.contains(why), "\(name): \(v.stderr)")
            #expect(try porttrace(["timeline", "\(dir)/\(name).pt"]).status == 2)
        }
    }
}
