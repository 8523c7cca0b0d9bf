import Testing

@testable import Devices
@testable import TraceFormat

/// The one check of a trace's device map that `import` and `verify` make: what replay would refuse.
struct DeviceMapCheckTests {
    func metadata(_ devices: [(String, UInt64, UInt64)], profile: String = "v53.0") -> TraceMetadata {
        var md = TraceMetadata()
        md["profile"] = .string(profile)
        md["devices"] = .array(devices.map { .object([("model", .string($0.0)), ("port", .uint($0.1)), ("length", .uint($0.2))]) })
        return md
    }

    @Test func recordedMapsThatReplayBuilds() {
        #expect(DeviceMap.replayProblem(metadata: TraceMetadata()) == nil)
        let usual = metadata([("debug-port", 0x80, 1), ("debug-console", 0xe9, 1), ("firmware-debug", 0x402, 1), ("serial", 0x3f8, 8)])
        #expect(DeviceMap.replayProblem(metadata: usual) == nil)
        // Models this porttrace does not know are kept and left alone.
        #expect(DeviceMap.replayProblem(metadata: metadata([("virtio-mmio", 0x100, 16)])) == nil)
    }

    @Test func overlapsAndImpossibleRanges() {
        let two = metadata([("debug-port", 0x80, 1), ("debug-console", 0x80, 1)])
        #expect(DeviceMap.replayProblem(metadata: two) == "its devices: debug-port@0x80 and debug-console@0x80 overlap at port 0x80")
        let inSerial = metadata([("serial", 0x3f8, 8), ("debug-console", 0x3fc, 1)])
        #expect(DeviceMap.replayProblem(metadata: inSerial)?.contains("overlap at port 0x3fc") == true)
        #expect(DeviceMap.replayProblem(metadata: metadata([("serial", 0xfffc, 8)]))?.contains("is not a port range") == true)
        #expect(DeviceMap.replayProblem(metadata: metadata([("x", 0x10, 0)]))?.contains("of length 0") == true)
    }

    @Test func mapsTheTracesReleaseCannotBuild() {
        // A debug console on v53.0's ACPI shutdown port; and on 0x80, where v24.0+ has its debug port.
        let acpi = metadata([("debug-console", 0x600, 1)])
        #expect(DeviceMap.replayProblem(metadata: acpi)?.hasPrefix("its devices cannot be built as cloud-hypervisor v53.0") == true)
        #expect(DeviceMap.replayProblem(metadata: metadata([("debug-console", 0x80, 1)])) != nil)
        // A layout template no release reads.
        var md = TraceMetadata()
        md["ch_log_layout"] = .object([
            ("format", .string("F5")), ("line_ending", .string("\n")), ("level", .string("DEBUG")),
            ("location", .string("vm.rs:1")), ("template", .string("{nope} {msg}")),
        ])
        #expect(LogLayout(metadata: md)?.template == "{nope} {msg}")
        #expect(DeviceMap.replayProblem(metadata: md)?.contains("Unknown format token '{nope}'") == true)
    }

    @Test func threadNamesPastTheVCPULimitAreNoVCPUs() {
        #expect(VCPUThreadNames.vcpuIndex(threadName: "vcpu4095") == 4095)
        #expect(VCPUThreadNames.vcpuIndex(threadName: "vcpu4096") == nil)
        #expect(VCPUThreadNames.vcpuIndex(threadName: "CPU 4294967295/KVM") == nil)
        var a = VCPUAssigner()
        #expect(a.vcpu(for: 7) { "vcpu4294967295" }.0 == 0)
        #expect(a.vcpu(for: 8) { "vcpu0" }.0 == 1)
    }
}
