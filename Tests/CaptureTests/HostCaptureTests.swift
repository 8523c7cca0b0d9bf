// Left out of builds without capture (see Package.swift's KVMCapture trait).
#if os(Linux) && KVMCapture
import Foundation
import Testing
@testable import Capture
import Devices
import TraceFormat

/// The parts of host capture that need no kernel.
@Suite struct HostCaptureTests {
    @Test(arguments: [
        ("CPU 0/KVM", UInt32?(0)), ("CPU 12/KVM", 12), ("vcpu3", 3), ("fc_vcpu 1", 1), ("fc_vcpu2", 2),
        ("qemu-system-x86", nil), ("vcpu", nil), ("CPU x/KVM", nil), ("vcpu3\n", 3), ("main", nil),
    ])
    func threadNames(name: String, expected: UInt32?) {
        #expect(VCPUThreadNames.vcpuIndex(threadName: name) == expected)
    }

    @Test func qemuCommandLines() {
        let a = VMMCommandLine([
            "timeout", "-s", "TERM", "4", "/usr/bin/qemu-system-x86_64", "-accel", "kvm", "-nodefaults",
            "-device", "isa-debugcon,iobase=0x402,chardev=dbg", "-serial", "file:/tmp/s",
        ])
        #expect(a.kind == .qemu)
        #expect(a.devices.models.map(\.rawValue) == ["debug-port", "firmware-debug", "serial"])
        #expect(a.devices.port(of: .firmwareDebug) == 0x402)
        let b = VMMCommandLine(["qemu-system-x86_64", "-device", "isa-debugcon,chardev=c", "-serial", "none"])
        #expect(b.devices.models.map(\.rawValue) == ["debug-port", "debug-console"])
        #expect(b.devices.devices.last?.port == 0xe9)
        let c = VMMCommandLine(["qemu-system-x86_64", "-nodefaults"])
        #expect(!c.devices.has(.serial))
    }

    @Test func cloudHypervisorAndOtherCommandLines() {
        let a = VMMCommandLine(["cloud-hypervisor", "--kernel", "k", "--debug-console", "file=/tmp/d,iobase=0xe8", "--serial", "off"])
        #expect(a.kind == .cloudHypervisor)
        #expect(a.devices.models.map(\.rawValue) == ["debug-port", "firmware-debug", "debug-console"])
        #expect(a.devices.devices.last?.port == 0xe8)
        let b = VMMCommandLine(["cloud-hypervisor", "--debug-console=off"])
        #expect(b.devices.models.map(\.rawValue) == ["debug-port", "firmware-debug", "serial"])
        #expect(VMMCommandLine(["firecracker", "--api-sock", "x"]).devices.models.map(\.rawValue) == ["serial"])
        #expect(VMMCommandLine(["my-vmm"]).kind == .unknown)
    }

    /// A tid read from /proc late may belong to a thread that reused it: the name counts only
    /// if the thread living there had started by the time of the access.
    @Test func procNamesAreCheckedAgainstTheThreadsStartTime() throws {
        let tid = getpid()
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nowNs = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        #expect(HostCapture.threadName(tid, runningAt: nowNs) != nil)
        #expect(HostCapture.threadName(tid, runningAt: 0) == nil)
    }

    @Test(
        .enabled(
            if: geteuid() == 0 && FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events/task/task_rename"),
            "needs root and the task:task_rename tracepoint"))
    func theReaderKnowsTheTaskNamingEvents() throws {
        #expect(try PioReader().tracksNames)
    }

    @Test func recordsBecomeEvents() {
        let out = PioRecord(timestamp: 5, tid: 9, rw: 1, port: 0x80, size: 1, count: 1, value: 0x41)
        #expect(out.event(vcpu: 2) == .access(at: 5, vcpu: 2, port: 0x80, .out, data: [0x41]))
        let wide = PioRecord(timestamp: 6, tid: 9, rw: 0, port: 0x3fd, size: 4, count: 1, value: 0x1122_3344)
        #expect(wide.event(vcpu: 0) == .access(at: 6, port: 0x3fd, .in, size: 4, data: [0x44, 0x33, 0x22, 0x11]))
        let string = PioRecord(timestamp: 7, tid: 9, rw: 1, port: 0xe9, size: 1, count: 16, value: 0x6b)
        let e = string.event(vcpu: 0)
        #expect(e?.shape?.incomplete == true && e?.shape?.count == 16)
        if case .access(_, let data)? = e?.payload { #expect(data == [0x6b]) }
        #expect(PioRecord(timestamp: 8, tid: 9, rw: 1, port: 0x80, size: 3, count: 1, value: 0).event(vcpu: 0) == nil)
        #expect(PioRecord(timestamp: 8, tid: 9, rw: 1, port: 0x1_0000, size: 1, count: 1, value: 0).event(vcpu: 0) == nil)
    }

    @Test func vcpuAssignmentByNameThenByAppearance() {
        var a = VCPUAssigner()
        let (v1, m1) = a.vcpu(for: 100) { "CPU 1/KVM" }
        #expect(v1 == 1 && m1?.name == "vcpu_thread")
        let (v2, m2) = a.vcpu(for: 101) { "worker" }
        #expect(v2 == 0 && m2?.name == "vcpu_unmapped")
        let (v3, _) = a.vcpu(for: 102) { nil }
        #expect(v3 == 2)
        let (again, none) = a.vcpu(for: 100) {
            Issue.record("name looked up twice")
            return nil
        }
        #expect(again == 1 && none == nil)
        #expect(a.unmappedThreads == 2)
    }

    /// Untrusted VMM command lines: an option item that is just "=" (or "=x") used to trap.
    @Test func oddOptionItemsAreIgnored() {
        let argv = ["qemu-system-x86_64", "-device", "isa-debugcon,=,iobase=0x402", "-device", "isa-debugcon,=x,,iobase=0x3e9"]
        let q = VMMCommandLine(argv)
        #expect(q.devices.port(of: .firmwareDebug) == 0x402)
        #expect(q.devices.port(of: .debugConsole) == 0x3e9)
        #expect(VMMCommandLine(["cloud-hypervisor", "--debug-console", "=", "--serial", "="]).devices.has(.serial))
    }

    /// Two threads never share a vCPU index: a named thread whose number another thread already
    /// has is numbered like an unnamed one, and says why.
    @Test func vcpuIndicesAreNeverShared() {
        var a = VCPUAssigner()
        let (u, _) = a.vcpu(for: 7) { "worker" }
        #expect(u == 0)
        let (named, m) = a.vcpu(for: 8) { "vcpu0" }
        #expect(named == 1)
        #expect(m?.name == "vcpu_unmapped" && m?.text.contains("belongs to tid 7") == true)
        let (twin, _) = a.vcpu(for: 9) { "CPU 1/KVM" }
        #expect(twin == 2)
        #expect(Set(a.byTID.values).count == a.byTID.count)
    }

    @Test func kernelFilterExpression() {
        #expect(HostCapture.filter([0x80...0x80, 0x3f8...0x3ff]) == "port == 128 || (port >= 1016 && port <= 1023)")
    }
}

#endif
