import Foundation
import Testing

@testable import Analysis
@testable import Devices

struct CloudHypervisorLogTests {
    func parse(_ line: String, template: String? = nil) throws -> DebugPortLine? {
        let p = try CloudHypervisorLogParser(template: template)
        let bytes = Array(line.utf8)
        return bytes.withUnsafeBufferPointer { b in
            if case .success(let l) = p.parse(b, line: 1) { return l }
            return nil
        }
    }

    /// The reference's example lines (4.6), one per era.
    @Test(arguments: [
        (
            "cloud-hypervisor: 19.762449ms: DEBUG:vmm/src/vm.rs:527 -- [Debug I/O port: Firmware code 0x0] 0.019004 seconds",
            Profile.LoggerFormat.f0
        ),
        (
            "cloud-hypervisor: 1.5200001s: <vcpu0> WARN:devices/src/legacy/debug_port.rs:76 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds",
            .f1
        ),
        (
            "cloud-hypervisor: 19.004000ms: <vcpu0> WARN:devices/src/legacy/debug_port.rs:76 -- [Debug I/O port: Firmware code 0x0] 0.019004 seconds",
            .f2
        ),
        (
            "cloud-hypervisor: 19.004000ms: <vcpu0> WARN:devices/src/legacy/debug_port.rs:77 -- [Debug I/O port: Firmware code 0x0] 0.019004 seconds\r",
            .f3
        ),
        (
            "cloud-hypervisor:   1.520000s: <vcpu0> WARN:devices/src/legacy/debug_port.rs:74 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds\r",
            .f4
        ),
    ])
    func erasOfTheReferenceLines(line: String, era: Profile.LoggerFormat) throws {
        let l = try #require(try parse(line))
        let eras = CloudHypervisorLogParser.eras(time: l.timeText, thread: l.thread != nil, crlf: l.crlf)
        #expect(eras.contains(era), "\(eras)")
        #expect(CloudHypervisorLogParser.loggerTime(l.timeText, era: era) != nil)
    }

    @Test func fieldsOfALine() throws {
        let l = try #require(
            try parse(
                "cloud-hypervisor: 1.5200001s: <vcpu3> INFO:vmm/src/vm.rs:385 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds"))
        #expect(l.code == 0x41 && l.micros == 1_500_000 && l.thread == "vcpu3" && l.level == .info)
        #expect(l.location == SourceLocation("vmm/src/vm.rs", 385))
        #expect(CloudHypervisorLogParser.loggerTime(l.timeText, era: .f1) == 1_520_000_100)
    }

    @Test(arguments: [
        "cloud-hypervisor: 19.7ms: DEBUG:vm.rs:1 -- [Debug I/O port: Kernel code 0x0] 0.019004 seconds",  // wrong component
        "cloud-hypervisor: 19.7ms: DEBUG:vm.rs:1 -- [Debug I/O port: Firmware code 0x00] 0.019004 seconds",  // padded code
        "cloud-hypervisor: 19.7ms: DEBUG:vm.rs:1 -- [Debug I/O port: Firmware code 0x0] 1.019004 seconds",  // seconds != micros / 1e6
        "cloud-hypervisor: 19.7ms: DEBUG:vm.rs:1 -- [Debug I/O port: Firmware code 0x0] 0.19004 seconds",  // fewer than 6 digits
        "cloud-hypervisor: 19.7ms DEBUG:vm.rs:1 -- [Debug I/O port: Firmware code 0x0] 0.019004 seconds",  // prefix
        "[Debug I/O port: Firmware code 0x0]",
    ])
    func unreadableLines(line: String) throws {
        let p = try CloudHypervisorLogParser(template: nil)
        let r = Array(line.utf8).withUnsafeBufferPointer { p.parse($0, line: 7) }
        guard case .failure(.unreadable) = r else {
            Issue.record("\(line) read as \(r)")
            return
        }
    }

    @Test func otherLinesAreNotDebugPortLines() throws {
        let p = try CloudHypervisorLogParser(template: nil)
        let r = Array("cloud-hypervisor: 5.1ms: <vmm> INFO:vmm/src/lib.rs:200 -- API request event: VmBoot".utf8).withUnsafeBufferPointer {
            p.parse($0, line: 1)
        }
        #expect(r == .failure(.notDebugPort))
    }

    /// Every time each era prints comes back as a logger time that prints the same, for random durations.
    @Test func loggerTimesRoundTripInEveryEra() {
        var rng = Xoshiro256StarStar(seed: 3)
        for _ in 0..<20_000 {
            let scale = [1_000, 1_000_000, 1_000_000_000, 100_000_000_000][rng.index(below: 4)]
            let ns = rng.next() % UInt64(scale) + UInt64(rng.index(below: 2))
            let cases: [(Profile.LoggerFormat, String)] = [
                (.f1, RustFormat.durationDebug(ns)), (.f2, RustFormat.durationDebug6(ns)), (.f4, RustFormat.secondsF32(ns) + "s"),
                (.f5, RustFormat.secondsF32(ns)),
            ]
            for (era, text) in cases {
                guard let back = CloudHypervisorLogParser.loggerTime(text, era: era) else {
                    Issue.record("\(era) \(text) (\(ns) ns) has no logger time")
                    return
                }
                let again: String
                switch era {
                case .f1: again = RustFormat.durationDebug(back)
                case .f2: again = RustFormat.durationDebug6(back)
                case .f4: again = RustFormat.secondsF32(back) + "s"
                default: again = RustFormat.secondsF32(back)
                }
                #expect(again == text)
            }
        }
    }

    @Test func templatesAreParsedOrRefused() throws {
        let l = try #require(
            try parse(
                "W [vcpu2] 4242 devices/src/legacy/debug_port.rs:74 0.019762: [Debug I/O port: Firmware code 0x0] 0.019004 seconds\r",
                template: "{levelchar} [{thread}] {pid} {location} {boottime}: {msg}"))
        #expect(l.level == .warn && l.thread == "vcpu2" && l.pid == 4242 && l.timeText == "0.019762")
        #expect(throws: AnalysisError.self) { try CloudHypervisorLogParser(template: "{localglog} {msg}") }
        let w = try #require(
            try parse(
                "0229 23:59:59.999999 2024 W: [Debug I/O port: Firmware code 0x0] 0.019004 seconds",
                template: "{glog} {year} {levelchar}: {msg}"))
        // 2024-02-29T23:59:59.999999Z
        #expect(w.realtimeNs == 1_709_251_199_999_999_000)
        #expect(throws: AnalysisError.self) { try CloudHypervisorLogParser(template: "{msg} {level}") }
        #expect(throws: (any Error).self) { try CloudHypervisorLogParser(template: "{nope} {msg}") }
    }
}
