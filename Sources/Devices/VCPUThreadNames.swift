import Foundation
import TraceFormat

/// Maps VMM thread names to vCPU indices: QEMU `CPU 0/KVM`, cloud-hypervisor `vcpu0`,
/// Firecracker `fc_vcpu 0`, porttrace's own `vcpu0`. Used by `record` (thread names from the
/// kernel) and by `import --format perf-script` (thread names perf printed). A number at or over
/// `TraceLimits.maxVCPUs` is no vCPU's: such a thread is numbered like an unknown one.
public enum VCPUThreadNames {
    /// What a thread's name says about it.
    public enum Reading: Equatable, Sendable {
        /// A vCPU thread's name with its index.
        case vcpu(UInt32)
        /// A vCPU thread's name whose number is at or over `TraceLimits.maxVCPUs`.
        case overLimit
        /// Not a vCPU thread's name.
        case other
    }

    public static func read(threadName raw: String) -> Reading {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        func digits<S: StringProtocol>(_ s: S) -> Reading {
            guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .other }
            guard let n = UInt32(s), n < TraceLimits.maxVCPUs else { return .overLimit }
            return .vcpu(n)
        }
        if name.hasPrefix("CPU "), name.hasSuffix("/KVM") {
            return digits(name.dropFirst(4).dropLast(4))
        }
        if name.hasPrefix("fc_vcpu ") { return digits(name.dropFirst(8)) }
        if name.hasPrefix("fc_vcpu") { return digits(name.dropFirst(7)) }
        if name.hasPrefix("vcpu") { return digits(name.dropFirst(4)) }
        return .other
    }

    /// The vCPU index a thread's name gives, if it gives one below the limit.
    public static func vcpuIndex(threadName raw: String) -> UInt32? {
        if case .vcpu(let n) = read(threadName: raw) { return n }
        return nil
    }
}

/// Assigns vCPU indices to threads: by thread name where the VMM names its vCPU threads,
/// otherwise in order of first appearance (and says so with a marker).
public struct VCPUAssigner: Sendable {
    public private(set) var byTID: [Int32: UInt32] = [:]
    private var nextUnnamed: UInt32 = 0
    public private(set) var unmappedThreads = 0

    public init() {}

    /// The vCPU for `tid`; `name` is consulted the first time a thread is seen. Returns the
    /// index and, the first time, a marker describing the mapping.
    public mutating func vcpu(for tid: Int32, name: () -> String?) -> (UInt32, Marker?) {
        if let v = byTID[tid] { return (v, nil) }
        let threadName = name()
        var conflict = ""
        if let n = threadName, let v = VCPUThreadNames.vcpuIndex(threadName: n) {
            // Two threads never share an index: a name whose number an earlier thread has
            // (two VMMs' vcpu0, or a thread numbered by appearance) is numbered like an unnamed one.
            if let holder = byTID.first(where: { $0.value == v })?.key {
                conflict = "; its number \(v) belongs to tid \(holder)"
            } else {
                byTID[tid] = v
                return (v, Marker("vcpu_thread", value: UInt64(v), text: "tid \(tid) \"\(n)\""))
            }
        }
        // Unknown names: give indices past any named vCPU seen so far, in order of appearance.
        let used = Set(byTID.values)
        while used.contains(nextUnnamed) { nextUnnamed += 1 }
        let v = nextUnnamed
        nextUnnamed += 1
        byTID[tid] = v
        unmappedThreads += 1
        return (
            v,
            Marker(
                "vcpu_unmapped", value: UInt64(v),
                text: conflict.isEmpty
                    ? "tid \(tid) \(threadName.map { "\"\($0)\"" } ?? "(thread gone)") is not a known vCPU thread name"
                    : "tid \(tid) \"\(threadName ?? "")\"\(conflict)")
        )
    }
}
