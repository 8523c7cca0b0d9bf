// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import Foundation

/// Maps VMM thread names to vCPU indices: QEMU `CPU 0/KVM`, cloud-hypervisor `vcpu0`,
/// Firecracker `fc_vcpu 0`, porttrace's own `vcpu0`.
public enum VCPUThreadNames {
    public static func vcpuIndex(threadName raw: String) -> UInt32? {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        func digits<S: StringProtocol>(_ s: S) -> UInt32? {
            guard !s.isEmpty, s.allSatisfy(\.isASCII), s.allSatisfy(\.isNumber) else { return nil }
            return UInt32(s)
        }
        if name.hasPrefix("CPU "), name.hasSuffix("/KVM") {
            return digits(name.dropFirst(4).dropLast(4))
        }
        if name.hasPrefix("fc_vcpu ") { return digits(name.dropFirst(8)) }
        if name.hasPrefix("fc_vcpu") { return digits(name.dropFirst(7)) }
        if name.hasPrefix("vcpu") { return digits(name.dropFirst(4)) }
        return nil
    }
}

#endif
