// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import KVM

/// The processor mode a guest starts in (see the README's guest contract).
public enum GuestMode: String, Sendable, CaseIterable {
    case real, protected, long

    var cpuMode: CPUMode {
        switch self {
        case .real: return .real
        case .protected: return .protected
        case .long: return .long
        }
    }
}

/// Why the built-in machine could not be set up or run: a KVM call that failed, or a request
/// (image, memory, vCPUs) that cannot be met. One line, naming what failed.
public struct CaptureError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// Opening /dev/kvm itself failed (no module, no permission).
    public let kvmUnavailable: Bool

    init(_ description: String, kvmUnavailable: Bool = false) {
        self.description = description
        self.kvmUnavailable = kvmUnavailable
    }

    /// The KVM layer's errors as `CaptureError`s; others unchanged.
    static func converting(_ error: Error) -> Error {
        switch error {
        case let e as KVMError: return CaptureError("\(e)", kvmUnavailable: e.openingTheDevice)
        case let e as MachineSetupError: return CaptureError(e.description)
        default: return error
        }
    }

    /// Runs `body`, reporting the KVM layer's errors as `CaptureError`s.
    static func wrapping<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch { throw converting(error) }
    }
}

/// What `porttrace run` boots.
public struct RunConfiguration: Sendable {
    /// The vCPU counts and guest memory sizes (bytes, in whole 4 KiB pages) a machine can have.
    public static let vcpuCounts: ClosedRange<UInt32> = 1...64
    public static let memorySizes: ClosedRange<UInt64> = (1 << 20)...(4 << 30)

    public var image: GuestImage
    public var mode: GuestMode
    /// Where a flat image was loaded (for real mode, CS = load >> 4).
    public var load: UInt64
    /// Entry point; defaults to the ELF header's, or to `load`.
    public var entry: UInt64?
    public var memorySize: UInt64
    public var cpus: UInt32
    /// Stop the guest after this long (the trace is closed cleanly).
    public var timeout: Duration?

    public init(
        image: GuestImage, mode: GuestMode, load: UInt64, entry: UInt64? = nil, memorySize: UInt64 = 64 << 20,
        cpus: UInt32 = 1, timeout: Duration? = nil
    ) {
        self.image = image
        self.mode = mode
        self.load = load
        self.entry = entry
        self.memorySize = memorySize
        self.cpus = cpus
        self.timeout = timeout
    }

    public var effectiveEntry: UInt64 { entry ?? image.elfEntry ?? load }
}

/// How a run ended.
public enum RunOutcome: Equatable, Sendable {
    /// Every vCPU executed HLT.
    case halted
    /// A vCPU hit a triple fault or shutdown.
    case shutdown(vcpu: UInt32, rip: UInt64)
    case timeout
    case signal(Int32)
    /// An exit the machine does not handle.
    case unexpectedExit(vcpu: UInt32, exit: String, rip: UInt64)
    /// KVM itself failed.
    case failed(String)

    public var markerName: String {
        switch self {
        case .halted: return "guest_halted"
        case .shutdown: return "shutdown"
        case .timeout: return "timeout"
        case .signal: return "signal"
        case .unexpectedExit: return "unexpected_exit"
        case .failed: return "failed"
        }
    }

    public var message: String {
        switch self {
        case .halted: return "every vCPU halted"
        case .shutdown(let v, let rip): return "vCPU \(v) shut down (triple fault) at RIP 0x\(String(rip, radix: 16))"
        case .timeout: return "stopped at the timeout"
        case .signal(let s): return "stopped by signal \(s)"
        case .unexpectedExit(let v, let exit, let rip): return "vCPU \(v): unhandled \(exit) at RIP 0x\(String(rip, radix: 16))"
        case .failed(let why): return why
        }
    }
}

/// What a run measured: exits handled and the guest's running time, from the release of the
/// vCPUs to the last one's exit (the same window a bare KVM_RUN loop measures).
public struct RunStatistics: Sendable {
    public var exits: UInt64 = 0
    public var guestNs: UInt64 = 0
    public var exitsPerSecond: Double { guestNs == 0 ? 0 : Double(exits) / (Double(guestNs) / 1e9) }
}

#endif
