// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import SystemCalls

/// A failed KVM operation: which ioctl (or call) and the errno it returned.
public struct KVMError: Error, Equatable, CustomStringConvertible, Sendable {
    public let operation: String
    public let errno: Int32
    /// Opening the KVM device itself failed (no module, no permission): KVM is unavailable.
    public let openingTheDevice: Bool

    public init(_ operation: String, errno: Int32, openingTheDevice: Bool = false) {
        self.operation = operation
        self.errno = errno
        self.openingTheDevice = openingTheDevice
    }

    public var description: String {
        SystemError(operation, errno: errno).description
    }
}

/// A problem with what the guest or the user asked for, not with a system call.
public struct MachineSetupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

#endif
