// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import CKVM
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// A KVM virtual machine file descriptor.
public final class VirtualMachine {
    let file: OwnedFile
    public var fd: Int32 { file.raw }
    public let system: KVMSystem
    public private(set) var memory: [GuestMemory] = []

    init(file: consuming OwnedFile, system: KVMSystem) {
        self.file = file
        self.system = system
    }

    /// Sets the three-page TSS area Intel VMX needs below 4 GiB. The corresponding ioctl is `KVM_SET_TSS_ADDR`.
    public func setTSSAddress(_ address: UInt64) throws {
        guard ckvm_ioctl_int(fd, CKVM_SET_TSS_ADDR, UInt(address)) == 0 else { throw KVMError("KVM_SET_TSS_ADDR", errno: errno) }
    }

    /// Maps anonymous host memory as guest RAM at `guestAddress`.
    /// The corresponding ioctl is `KVM_SET_USER_MEMORY_REGION`.
    public func addMemory(slot: UInt32, guestAddress: UInt64, size: Int) throws -> GuestMemory {
        let mem = try GuestMemory(guestAddress: guestAddress, size: size)
        var region = kvm_userspace_memory_region(
            slot: slot, flags: 0, guest_phys_addr: guestAddress,
            memory_size: UInt64(size), userspace_addr: UInt64(UInt(bitPattern: mem.base)))
        // SAFETY: `region` lives for the call; the mapping it names stays alive as long as `memory` holds it,
        // which is as long as the VM.
        guard ckvm_ioctl_ptr(fd, CKVM_SET_USER_MEMORY_REGION, &region) == 0 else {
            throw KVMError("KVM_SET_USER_MEMORY_REGION", errno: errno)
        }
        memory.append(mem)
        return mem
    }

    /// Creates vCPU `index` and maps its `kvm_run`. The corresponding ioctl is `KVM_CREATE_VCPU`.
    public func createVCPU(_ index: UInt32) throws -> VCPU {
        let vcpufd = ckvm_ioctl_int(fd, CKVM_CREATE_VCPU, UInt(index))
        guard vcpufd >= 0 else { throw KVMError("KVM_CREATE_VCPU \(index)", errno: errno) }
        return try VCPU(file: OwnedFile(adoptingRaw: vcpufd), index: index, mmapSize: system.vcpuMmapSize)
    }
}

/// Guest RAM: an anonymous private mapping, unmapped when released.
// SAFETY: the mapping lives as long as this object; the host writes guest RAM only while setting
// the machine up, before any vCPU runs; after that only the guest (through KVM) touches it.
public final class GuestMemory: @unchecked Sendable {
    public let guestAddress: UInt64
    public let size: Int
    public let base: UnsafeMutableRawPointer

    init(guestAddress: UInt64, size: Int) throws {
        // SAFETY: anonymous private memory of exactly `size` bytes, handed to KVM as guest RAM and unmapped in deinit.
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), p != MAP_FAILED else {
            throw KVMError("mmap guest memory (\(size) bytes)", errno: errno)
        }
        self.guestAddress = guestAddress
        self.size = size
        base = p
    }

    deinit { munmap(base, size) }

    /// Copies `bytes` to guest-physical `address`; throws if they do not fit.
    public func write(_ bytes: UnsafeRawBufferPointer, at address: UInt64) throws {
        guard address >= guestAddress, address - guestAddress <= UInt64(size),
            UInt64(bytes.count) <= UInt64(size) - (address - guestAddress)
        else {
            throw MachineSetupError(
                "\(bytes.count) bytes at guest address 0x\(String(address, radix: 16)) do not fit in \(size >> 20) MiB of RAM")
        }
        // An empty buffer may have no address at all: there is nothing to copy.
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        // SAFETY: the destination range was just checked to lie inside the mapping, and `source`
        // holds `bytes.count` bytes.
        (base + Int(address - guestAddress)).copyMemory(from: source, byteCount: bytes.count)
    }

    public func write(_ bytes: [UInt8], at address: UInt64) throws {
        // SAFETY: the array's bytes are valid for the closure; write checks the range against guest RAM before copying.
        try bytes.withUnsafeBytes { try write($0, at: address) }
    }

    public func write64(_ value: UInt64, at address: UInt64) throws {
        // SAFETY: the value's bytes are valid for the closure; write checks the range against guest RAM before copying.
        try withUnsafeBytes(of: value.littleEndian) { try write($0, at: address) }
    }

    /// Reads `count` bytes at guest-physical `address` (for tests and diagnostics).
    public func read(at address: UInt64, count: Int) throws -> [UInt8] {
        guard address >= guestAddress, address - guestAddress + UInt64(count) <= UInt64(size) else {
            throw MachineSetupError("read outside guest RAM at 0x\(String(address, radix: 16))")
        }
        // SAFETY: the source range was just checked to lie inside the mapping.
        return Array(UnsafeRawBufferPointer(start: base + Int(address - guestAddress), count: count))
    }
}

#endif
