import Foundation
import Testing

@testable import Analysis
@testable import Devices
@testable import TraceFormat

/// Lines an importer used to trap on, size allocations by, drop without a word, or read in
/// quadratic time. Each is now read, or listed as unreadable with its line number.
final class HostileImportTests {
    /// A directory of each test's own, removed after it.
    let dir: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-import-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func file(_ name: String, _ text: String) throws -> LineReader {
        let path = "\(dir)/\(name)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try LineReader(path: path)
    }

    func parse(_ line: String, template: String? = nil) throws -> Result<DebugPortLine, CloudHypervisorLogParser.Failure> {
        let p = try CloudHypervisorLogParser(template: template)
        return Array(line.utf8).withUnsafeBufferPointer { p.parse($0, line: 1) }
    }

    func unreadable(_ r: Result<DebugPortLine, CloudHypervisorLogParser.Failure>) -> String? {
        if case .failure(.unreadable(let why)) = r { return why }
        return nil
    }

    /// Runs an importer; returns its report and, when a trace was made, its events.
    func chLog(_ text: String, template: String? = nil) throws -> (CloudHypervisorLogImport.Report, [PortIOEvent]) {
        let reader = try file("in.log", text)
        let out = "\(dir)/out.pt"
        let report = try CloudHypervisorLogImport(template: template).run(reader) { try TraceWriter(path: out, metadata: $0) }
        defer { unlink(out) }
        return (report, report.wroteTrace ? try TraceReader(path: out).readAll().events : [])
    }

    func perf(_ text: String, vmStart: UInt64? = nil) throws -> (PerfScriptImport.Report, [PortIOEvent]) {
        let reader = try file("in.perf", text)
        let out = "\(dir)/out.pt"
        let report = try PerfScriptImport(vmStart: vmStart).run(reader) { try TraceWriter(path: out, metadata: $0) }
        defer { unlink(out) }
        return (report, report.wroteTrace ? try TraceReader(path: out).readAll().events : [])
    }

    static let good = "cloud-hypervisor: 19.762449ms: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Firmware code 0x0] 0.019004 seconds"

    // MARK: Overflowing arithmetic

    @Test func messageSecondsPastTheTimeLimit() throws {
        let line =
            "cloud-hypervisor: 19.762449ms: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Firmware code 0x0] 100000000000.100000000000000000 seconds"
        #expect(unreadable(try parse(line))?.contains("over the limit of 4611686018 s") == true)
        // The largest the limit takes is read.
        let largest =
            "cloud-hypervisor: 19.762449ms: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Firmware code 0x0] 4611686018.4611686018427387 seconds"
        #expect(try parse(largest).get().micros == 4_611_686_018_427_387)
        let (report, events) = try chLog([Self.good, line, largest].joined(separator: "\n") + "\n")
        #expect(report.unreadable.listed.map(\.line) == [2])
        #expect(events.filter { $0.shape != nil }.map(\.timestamp) == [19_004_000, 4_611_686_018_427_387_000])
    }

    @Test func loggerTimeFractionsOfAnyLength() {
        #expect(CloudHypervisorLogParser.loggerTime("1.1234567890123456789", era: .f5) == nil)
        #expect(CloudHypervisorLogParser.loggerTime("99999999999999999999.000000", era: .f5) == nil)
        #expect(CloudHypervisorLogParser.loggerTime("  1.000000s", era: .f4) == 1_000_000_000)
        #expect(CloudHypervisorLogParser.loggerTime("18446744073709551615.999999999s", era: .f1) == nil)
    }

    @Test func wallClockYearsPastWhat64BitsHold() throws {
        let template = "{year}-{month}-{day} {level} {msg}"
        let msg = "[Debug I/O port: Firmware code 0x0] 0.019004 seconds"
        #expect(try parse("2554-07-21 DEBUG \(msg)", template: template).get().realtimeNs == 18_446_659_200_000_000_000)
        #expect(unreadable(try parse("2555-01-01 DEBUG \(msg)", template: template))?.contains("past 2554-07-21") == true)
        #expect(unreadable(try parse("9999-12-31 DEBUG \(msg)", template: template))?.contains("past 2554-07-21") == true)
        #expect(unreadable(try parse("2023-02-29 DEBUG \(msg)", template: template))?.contains("name no date") == true)
        #expect(try parse("2024-02-29 DEBUG \(msg)", template: template).get().realtimeNs == 1_709_164_800_000_000_000)
    }

    /// A caller that moves the VM's start in its header (as `--vm-start` does) is still held to
    /// the limit from it: ch-log stops at the line (status 2 in the command), perf lists it.
    @Test func anOriginMovedByTheCallerIsChecked() throws {
        let reader = try file("moved.log", Self.good + "\n")
        let out = "\(dir)/moved.pt"
        defer { unlink(out) }
        let moved: (TraceMetadata) throws -> TraceWriter = {
            var md = $0
            md.vmStartNs = .max
            return try TraceWriter(path: out, metadata: md)
        }
        #expect(throws: ImportRefusal.self) { try CloudHypervisorLogImport(template: nil).run(reader, makeWriter: moved) }
        let perfReader = try file("moved.perf", "  688.867936: pio_write at 0x80 size 1 count 1 val 0x0\n")
        let report = try PerfScriptImport().run(perfReader, makeWriter: moved)
        #expect(report.events == 0 && report.unreadable.listed.first?.reason.contains("before the VM's start") == true)
    }

    @Test func threadNumbersPastTheVCPULimit() throws {
        let (report, events) = try chLog(
            [
                Self.good.replacingOccurrences(of: "DEBUG", with: "<vcpu4294967295> DEBUG"),
                Self.good.replacingOccurrences(of: "DEBUG", with: "<vcpu99999999999999999999> DEBUG"),
                Self.good.replacingOccurrences(of: "DEBUG", with: "<vcpu4095> DEBUG"),
            ].joined(separator: "\n"))
        #expect(report.unreadable.listed.map(\.line) == [1, 2])
        #expect(report.unreadable.listed.first?.reason.contains("'vcpu4294967295' names a vCPU over the limit") == true)
        #expect(report.vcpus == 4096)
        #expect(events.contains { $0.vcpu == 4095 && $0.shape != nil })
    }

    // MARK: Allocations sized by the input

    /// `vcpu30000000` used to make the importer build a 30,000,001-entry tid list (1.8 GB).
    @Test func aHugeThreadNumberSizesNothing() throws {
        let (report, _) = try chLog(
            "1 vcpu30000000 DEBUG [Debug I/O port: Firmware code 0x0] 0.019004 seconds\n2 vcpu7 DEBUG [Debug I/O port: Firmware code 0x0] 0.019005 seconds\n",
            template: "{tid} {thread} {level} {msg}")
        #expect(report.unreadable.listed.map(\.line) == [1])
        #expect(report.vcpus == 8)
    }

    @Test func threadsWithoutNumbersStopAtTheLimit() throws {
        var numbering = ThreadNumbering()
        for i in 0..<3096 { #expect((try? numbering.vcpu("worker-\(i)").get()) == 1000 + UInt32(i)) }
        guard case .failure(let why) = numbering.vcpu("one-more") else {
            Issue.record("a 3097th unnamed thread got an index")
            return
        }
        #expect(why.description.contains("one more than the 3096 threads"))
        #expect((try? numbering.vcpu("worker-5").get()) == 1005)
    }

    // MARK: Silent loss

    @Test func aLineInNoErasLayoutIsListed() throws {
        let line = "cloud-hypervisor: 5: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Firmware code 0x0] 0.019004 seconds"
        let (report, _) = try chLog(line + "\n")
        #expect(!report.wroteTrace)
        #expect(report.unreadable.listed.first?.line == 1)
        #expect(report.unreadable.listed.first?.reason.contains("printed by no release's logger") == true)
        let (mixed, events) = try chLog(Self.good + "\n" + line + "\n")
        #expect(mixed.wroteTrace && mixed.unreadable.count == 1 && events.filter { $0.shape != nil }.count == 1)
    }

    @Test func anInputWithNothingToImportMakesNoTrace() throws {
        let (report, _) = try chLog("\u{28}\u{b5}\u{2f}\u{fd} not a log\nsecond line\n")
        #expect(!report.wroteTrace && report.lines == 2 && report.otherLines == 2)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out.pt"))
        let (perfReport, _) = try perf("  688.867936: kvm:kvm_pio: \n# comment\n")
        #expect(!perfReport.wroteTrace && perfReport.unreadable.listed.first?.reason.contains("trace field") == true)
    }

    @Test func problemsAreAllCountedAndTheFirstThousandListed() throws {
        let bad = "cloud-hypervisor: 20ms: DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Kernel code 0x0] 0.019004 seconds"
        let (report, _) = try chLog(([Self.good] + Array(repeating: bad, count: 1500)).joined(separator: "\n"))
        #expect(report.unreadable.count == 1500)
        #expect(report.unreadable.listed.count == 1000)
        #expect(report.unreadable.listed.last?.line == 1001)
    }

    @Test func linesOverTheLimitAreReportedByNumber() throws {
        let limit = LineReader.longestLine
        let text =
            "a\n" + String(repeating: "x", count: limit + 1) + "\nb\n" + String(repeating: "y", count: limit) + "\n"
            + String(repeating: "z", count: 3 * limit)
        let reader = try file("long.txt", text)
        var read: [(Int, Int)] = []
        var over: [Int] = []
        let count = try reader.forEachLine({ read.append(($0, $1.count)) }, overlong: { over.append($0) })
        #expect(count == 5)
        #expect(read.map(\.0) == [1, 3, 4] && read.map(\.1) == [1, 1, limit])
        #expect(over == [2, 5])
    }

    // MARK: perf script field sets

    /// `perf script` output of `perf record -e kvm:kvm_pio` over `porttrace run Guests/build/boot-demo.bin`
    /// (perf 6.1 on Linux 6.18), with `-F` as named.
    static let perfSamples: [(String, String)] = [
        (
            "default",
            "           vcpu0 18090 [000]   688.867936: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0 \n           vcpu0 18090 [000]   688.900193: kvm:kvm_pio: pio_read at 0x3fd size 1 count 1 val 0x60 "
        ),
        (
            "time,event,trace",
            "  688.867936: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0 \n  688.900193: kvm:kvm_pio: pio_read at 0x3fd size 1 count 1 val 0x60 "
        ),
        ("time,trace", "  688.867936: pio_write at 0x80 size 1 count 1 val 0x0 \n  688.900193: pio_read at 0x3fd size 1 count 1 val 0x60 "),
        (
            "time,event,trace,ip,sym",
            "  688.867936: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0  ffffffff8129c59a emulator_pio_out_emulated\n  688.900193: kvm:kvm_pio: pio_read at 0x3fd size 1 count 1 val 0x60  ffffffff8129d595 complete_emulator_pio_in"
        ),
        (
            "time,trace,ip,sym",
            "  688.867936: pio_write at 0x80 size 1 count 1 val 0x0  ffffffff8129c59a emulator_pio_out_emulated\n  688.900193: pio_read at 0x3fd size 1 count 1 val 0x60  ffffffff8129d595 complete_emulator_pio_in"
        ),
        (
            "comm,pid,tid,cpu,time,event,trace,ip,sym",
            "           vcpu0 18086/18090 [000]   688.867936: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0  ffffffff8129c59a emulator_pio_out_emulated\n           vcpu0 18086/18090 [000]   688.900193: kvm:kvm_pio: pio_read at 0x3fd size 1 count 1 val 0x60  ffffffff8129d595 complete_emulator_pio_in"
        ),
        (
            "time,event,trace,period",
            "  688.867936:          1 kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0 \n  688.900193:          1 kvm:kvm_pio: pio_read at 0x3fd size 1 count 1 val 0x60 "
        ),
        (
            "time,event,trace,ip,sym,dso",
            "  688.867936: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0  ffffffff8129c59a emulator_pio_out_emulated ([kernel.kallsyms])\n  688.900193: kvm:kvm_pio: pio_read at 0x3fd size 1 count 1 val 0x60  ffffffff8129d595 complete_emulator_pio_in ([kernel.kallsyms])"
        ),
    ]

    @Test(arguments: perfSamples) func perfFieldSetsAreRead(fields: String, text: String) throws {
        let (report, events) = try perf(text + "\n")
        #expect(report.unreadable.isEmpty && report.events == 2, "\(fields): \(report.unreadable.listed)")
        let accesses = events.filter { $0.shape != nil }
        #expect(accesses.map(\.timestamp) == [688_867_936_000, 688_900_193_000], "\(fields)")
        #expect(accesses.map { $0.shape!.port } == [0x80, 0x3fd] && accesses.last?.shape?.direction == .in, "\(fields)")
    }

    @Test func perfFieldSetsWithoutTimeOrTraceAreRefusedByName() throws {
        let (noTime, _) = try perf("kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0 \npio_write at 0x80 size 1 count 1 val 0x0 \n")
        #expect(!noTime.wroteTrace && noTime.unreadable.count == 2)
        #expect(noTime.unreadable.listed.allSatisfy { $0.reason.contains("give perf script the time field") })
        let (noTrace, _) = try perf("  688.867936: kvm:kvm_pio: \n")
        #expect(noTrace.unreadable.listed.first?.reason.contains("give perf script the trace field") == true)
        // Something else after the fields is still refused.
        let (junk, _) = try perf("  688.867936: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0 and more\n")
        #expect(junk.unreadable.listed.first?.reason.contains("unexpected text") == true)
    }

    @Test func perfLinesATraceCannotHoldAreListed() throws {
        let lines = [
            " vcpu4294967295 7 [000] 100.000001: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x1",  // numbered as unknown
            " vcpu0 8 [000] 100.000002: kvm:kvm_pio: pio_write at 0xe9 size 4 count 2000 val 0x41",  // 8,000 bytes
            " vcpu0 8 [000] 8589934591.000003: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x2",  // 272 years later
            " vcpu0 8 [000] 100.000004: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x3",
        ]
        let (report, events) = try perf(lines.joined(separator: "\n"))
        #expect(report.unreadable.listed.map(\.line) == [2, 3])
        #expect(report.unreadable.listed.first?.reason.contains("over the limit of 4096 bytes per access") == true)
        #expect(report.unreadable.listed.last?.reason.contains("over the limit of") == true)
        // vcpu4294967295 is no vCPU name: that thread is numbered first (0), and vcpu0's thread after it.
        #expect(events.filter { $0.shape != nil }.map(\.vcpu) == [0, 1])
        // A VM start the caller gives is the origin every line is checked against.
        let (moved, _) = try perf(lines[3], vmStart: .max)
        #expect(!moved.wroteTrace && moved.unreadable.count == 1)
    }

    @Test func perfThreadsStopAtTheVCPULimit() throws {
        let text = (0...4096).map { " t\($0) \($0 + 1) [000] 100.000001: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x1" }
        let (report, events) = try perf(text.joined(separator: "\n"))
        #expect(report.events == 4096 && report.unreadable.listed.map(\.line) == [4097])
        #expect(events.filter { $0.shape != nil }.map(\.vcpu).max() == 4095)
    }

    // MARK: Templates in linear time

    /// 100,000 fixed-width tokens on a 300 KB line: each token used to count the rest of the line
    /// (about 1.5 x 10^10 character steps, minutes); now the line is read once.
    @Test(.timeLimit(.minutes(1))) func manyTokenTemplatesReadInOnePass() throws {
        let n = 100_000
        let template = String(repeating: "{hour}:", count: n) + " {level} {msg}"
        let line = String(repeating: "12:", count: n) + " DEBUG [Debug I/O port: Firmware code 0x0] 0.019004 seconds"
        let l = try parse(line, template: template).get()
        #expect(l.level == .debug && l.realtimeNs == 946_728_000_000_000_000)
        // Tokens that run to the next literal: 100,000 of them on one line.
        let threads = String(repeating: "{thread}|", count: n) + " {level} {msg}"
        let many = String(repeating: "vcpu1|", count: n) + " INFO [Debug I/O port: Firmware code 0x0] 0.019004 seconds"
        #expect(try parse(many, template: threads).get().thread == "vcpu1")
    }
}
