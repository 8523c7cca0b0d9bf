// Left out of builds without capture (see Package.swift's KVMCapture trait).
#if os(Linux) && KVMCapture
import Foundation
import Testing
@testable import Capture
import Devices
import KVM
import TraceFormat

/// Real guests under real KVM. Serialized: a nested KVM host has little room for parallel VMs.
@Suite(.serialized) struct BuiltInMachineTests {
    @Test(.enabled(if: kvmUnavailable == nil, "\(kvmUnavailable ?? "")")) func bootDemoOutputsCodesAndInValues() throws {
        let run = try liveRun("boot-demo.bin", verbosity: 0)
        defer { unlink(run.trace) }
        #expect(run.outcome == .halted)
        #expect(text(run.devices.sinks.firmwareDebug) == "firmware: POST ok\n")
        #expect(text(run.devices.sinks.serial) == "bootloader: loading kernel\r\n")
        #expect(text(run.devices.sinks.debugConsole) == "kernel: booting\nuserspace: ready\n")
        let (_, codes, events) = try demux(run.trace)
        #expect(codes[0] == [0x00, 0x01, 0x20, 0x40, 0x60, 0x61])
        // IN values returned by the models are what the trace holds.
        let ins = events.compactMap { e -> (UInt16, [UInt8])? in
            guard case .access(let s, let d) = e.payload, s.direction == .in else { return nil }
            return (s.port, d)
        }
        #expect(ins.first { $0.0 == 0x402 }?.1 == [0xe9])
        #expect(ins.filter { $0.0 == 0x3fd }.allSatisfy { $0.1 == [0x60] })
        #expect(ins.contains { $0.0 == 0x3fd })
        // The log: six WARN lines for v53.0.
        let log = text(run.devices.sinks.log)
        #expect(log.components(separatedBy: "\r\n").filter { $0.contains("[Debug I/O port:") }.count == 6)
        #expect(try TraceReader(path: run.trace).isComplete)
    }

    @Test(
        .enabled(if: kvmUnavailable == nil, "\(kvmUnavailable ?? "")"), arguments: [GuestMode.real, .protected, .long], [UInt32(1), 2, 4])
    func accessesInEveryModeAndVCPUCount(mode: GuestMode, cpus: UInt32) throws {
        let image = ["real": "iotest16.bin", "protected": "iotest32.bin", "long": "iotest64.bin"][mode.rawValue]!
        let run = try liveRun(image, mode: mode, cpus: cpus, verbosity: 1)
        defer { unlink(run.trace) }
        #expect(run.outcome == .halted)
        let (bytes, codes, events) = try demux(run.trace)
        let modeCode: UInt8 = ["real": 0x11, "protected": 0x12, "long": 0x13][mode.rawValue]!
        #expect(codes[0] == [0x60, modeCode])
        #expect(bytes[0]?[0xe9] == Array("ABCDEF\nstring io\nvcpu 0\n".utf8))
        #expect(bytes[0]?[0x402] == Array("Y".utf8))
        #expect(bytes[0]?[0x3f8] == Array("Sok\r\n".utf8))
        for k in 1..<cpus {
            #expect(codes[k] == [0x60 + UInt8(k)])
            #expect(bytes[k]?[0xe9] == Array("vcpu \(k)\n".utf8))
        }
        // Access widths as the guest made them.
        let consoleShapes = events.compactMap { $0.shape }.filter { $0.port == 0xe9 && $0.vcpu == 0 }
        #expect(consoleShapes.prefix(3).map(\.size) == [1, 2, 4])
        // Timestamps never go backwards in recorded order.
        let ts = events.filter { $0.marker == nil }.map(\.timestamp)
        #expect(zip(ts, ts.dropFirst()).allSatisfy { $0 <= $1 })
        // Live output equals the replayed output, byte for byte.
        let (replayed, report) = try replay(run, verbosity: 1)
        for (live, again) in zip(run.devices.sinks.all, replayed.sinks.all) { #expect(live.captured == again.captured) }
        #expect(report.divergenceCount == 0)
    }

    @Test(.enabled(if: kvmUnavailable == nil, "\(kvmUnavailable ?? "")")) func liveEqualsReplayAcrossProfiles() throws {
        for profile in ["v0.10.0", "v20.0", "v29.0", "v53.0"] {
            let run = try liveRun("boot-demo.bin", profile: profile, verbosity: 3)
            defer { unlink(run.trace) }
            let (replayed, _) = try replay(run, profile: profile, verbosity: 3)
            #expect(!run.devices.sinks.log.captured.isEmpty)
            for (live, again) in zip(run.devices.sinks.all, replayed.sinks.all) { #expect(live.captured == again.captured, "\(profile)") }
        }
    }

    @Test(.enabled(if: kvmUnavailable == nil, "\(kvmUnavailable ?? "")"), arguments: ["hello32.elf", "hello64.elf"])
    func elfImagesLoadAndRun(name: String) throws {
        let image = try GuestImage(path: try guest(name), load: 0)
        #expect(image.kind == (name.contains("64") ? .elf64 : .elf32))
        #expect(image.elfEntry == 0x200000)
        let run = try liveRun(name)
        defer { unlink(run.trace) }
        #expect(run.outcome == .halted)
        #expect(text(run.devices.sinks.firmwareDebug) == "hello from ELF\(name.contains("64") ? "64" : "32")\n")
        #expect(try demux(run.trace).codes[0] == [0x7e])
    }

    @Test(.enabled(if: kvmUnavailable == nil, "\(kvmUnavailable ?? "")")) func smpGuestWritesOneLinePerVCPU() throws {
        let run = try liveRun("smp64.bin", mode: .long, cpus: 4)
        defer { unlink(run.trace) }
        #expect(run.outcome == .halted)
        let (bytes, codes, _) = try demux(run.trace)
        for k in UInt32(0)..<4 {
            #expect(bytes[k]?[0xe9] == Array("vcpu \(k) of 4\n".utf8))
            #expect(codes[k] == [0x60 + UInt8(k)])
        }
    }

    @Test(.enabled(if: kvmUnavailable == nil, "\(kvmUnavailable ?? "")")) func timeoutStopsASpinningGuestAndClosesTheTrace() throws {
        let run = try liveRun("spin.bin", timeout: .milliseconds(300))
        defer { unlink(run.trace) }
        #expect(run.outcome == .timeout)
        let reader = try TraceReader(path: run.trace)
        #expect(reader.isComplete)
        let (_, codes, _) = try demux(run.trace)
        #expect(codes[0]?.first == 0x42)
        #expect((codes[0]?.count ?? 0) > 3)
    }

    @Test(.enabled(if: kvmUnavailable == nil, "\(kvmUnavailable ?? "")")) func tripleFaultIsReported() throws {
        let run = try liveRun("triple.bin", mode: .protected)
        defer { unlink(run.trace) }
        guard case .shutdown(let vcpu, _) = run.outcome else {
            Issue.record("outcome \(run.outcome)")
            return
        }
        #expect(vcpu == 0)
    }

    @Test func missingKVMIsAClearError() {
        #expect(throws: KVMError.self) { try KVMSystem(path: "/nonexistent/kvm") }
        do {
            _ = try KVMSystem(path: "/nonexistent/kvm")
        } catch let e as KVMError {
            #expect(e.openingTheDevice)
            #expect(CaptureError.converting(e) is CaptureError)
            #expect((CaptureError.converting(e) as? CaptureError)?.kvmUnavailable == true)
        } catch {
            Issue.record("\(error)")
        }
        // A file that is not KVM opens and fails the API check: not "unavailable", and closed.
        #expect((CaptureError.converting(KVMError("KVM_GET_API_VERSION", errno: EINVAL)) as? CaptureError)?.kvmUnavailable == false)
    }

    /// The KVM objects own their descriptors: 200 machines with a vCPU each, made and dropped,
    /// leave no descriptor open.
    @Test(.enabled(if: kvmUnavailable == nil, "\(kvmUnavailable ?? "")")) func descriptorsAreClosedWithTheirOwners() throws {
        func openDescriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0 }
        let system = try KVMSystem()
        let before = openDescriptors()
        for _ in 0..<200 {
            let vm = try system.createVM()
            _ = try vm.createVCPU(0)
        }
        #expect(openDescriptors() <= before + 2, "before \(before), after \(openDescriptors())")
        // A device that is not KVM: opened, refused by the API check, and closed again.
        let dir = NSTemporaryDirectory() + "porttrace-kvm-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: "\(dir)/not-kvm", contents: Data([0]))
        let start = openDescriptors()
        for _ in 0..<50 { #expect(throws: KVMError.self) { try KVMSystem(path: "\(dir)/not-kvm") } }
        #expect(openDescriptors() <= start + 2)
    }

    /// Every ELF field is untrusted: a program header table offset of 2^63 or more used to trap.
    @Test func hostileELFHeadersAreRefused() throws {
        func elf(_ patch: (inout [UInt8]) -> Void) throws -> String {
            var b = [UInt8](repeating: 0, count: 128)
            b[0...3] = [0x7f, 0x45, 0x4c, 0x46]
            b[4] = 2  // 64-bit
            b[5] = 1
            b[16] = 2  // ET_EXEC
            b[18] = 62  // x86-64
            b[54] = 56  // phentsize
            b[56] = 1  // phnum
            patch(&b)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-elf-\(UUID().uuidString)").path
            try Data(b).write(to: URL(fileURLWithPath: path))
            return path
        }
        for patch in [
            { (b: inout [UInt8]) in b[39] = 0x80 },  // e_phoff = 2^63
            { (b: inout [UInt8]) in
                b[32] = 0xff
                b[33] = 0xff
                b[34] = 0xff
                b[35] = 0xff
                b[36] = 0xff
                b[37] = 0xff
                b[38] = 0xff
                b[39] = 0x7f
            },
            { (b: inout [UInt8]) in b[32] = 120 },  // the table runs past the file's end
        ] {
            let path = try elf(patch)
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(throws: CaptureError.self) { try GuestImage(path: path, load: 0) }
        }
    }
}

#endif
