// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import CKVM
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// The `/dev/kvm` system file descriptor. One per process is enough.
public final class KVMSystem {
    let file: OwnedFile
    public var fd: Int32 { file.raw }
    /// Size of each vCPU's shared `kvm_run` mapping.
    public let vcpuMmapSize: Int

    /// Opens `/dev/kvm` and checks the API version.
    public init(path: String = "/dev/kvm") throws {
        do {
            file = try OwnedFile.openForReadingAndWriting(path)
        } catch {
            throw KVMError("open \(path)", errno: error.errno, openingTheDevice: true)
        }
        // A failure below closes the descriptor with `file`.
        let fd = file.raw
        let version = ckvm_ioctl_int(fd, CKVM_GET_API_VERSION, 0)
        guard version == CKVM_API_VERSION else {
            throw KVMError("KVM_GET_API_VERSION (got \(version), need \(CKVM_API_VERSION))", errno: version < 0 ? errno : EINVAL)
        }
        let size = ckvm_ioctl_int(fd, CKVM_GET_VCPU_MMAP_SIZE, 0)
        guard size > 0 else {
            throw KVMError("KVM_GET_VCPU_MMAP_SIZE", errno: errno)
        }
        vcpuMmapSize = Int(size)
    }

    /// Whether the kernel has `extension`. The corresponding ioctl is `KVM_CHECK_EXTENSION`.
    public func checkExtension(_ ext: Int32) -> Int32 {
        max(0, ckvm_ioctl_int(fd, CKVM_CHECK_EXTENSION, UInt(ext)))
    }

    /// The CPUID leaves KVM can present to a guest. The corresponding ioctl is `KVM_GET_SUPPORTED_CPUID`.
    public func supportedCPUID() throws -> CPUID {
        let cpuid = CPUID()
        // SAFETY: `cpuid.pointer` is a live allocation sized for CKVM_MAX_CPUID_ENTRIES entries, as nent says.
        guard ckvm_ioctl_ptr(fd, CKVM_GET_SUPPORTED_CPUID, cpuid.pointer) == 0 else {
            throw KVMError("KVM_GET_SUPPORTED_CPUID", errno: errno)
        }
        return cpuid
    }

    /// Creates a VM. The corresponding ioctl is `KVM_CREATE_VM`.
    public func createVM() throws -> VirtualMachine {
        let vmfd = ckvm_ioctl_int(fd, CKVM_CREATE_VM, 0)
        guard vmfd >= 0 else { throw KVMError("KVM_CREATE_VM", errno: errno) }
        return VirtualMachine(file: OwnedFile(adoptingRaw: vmfd), system: self)
    }
}

/// An owned `struct kvm_cpuid2` with room for the kernel's entries.
public final class CPUID {
    // SAFETY: allocated by ckvm_cpuid_alloc with room for nent entries, freed in deinit, never shared.
    let pointer: UnsafeMutablePointer<kvm_cpuid2>

    init() {
        guard let p = ckvm_cpuid_alloc() else { fatalError("out of memory allocating kvm_cpuid2") }
        pointer = p
    }

    deinit { free(pointer) }
}

#endif
