// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import CKVM
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// The calling thread's kernel thread id. The corresponding call is `gettid(2)`.
public func currentThreadID() -> UInt64 { ckvm_gettid() }

/// Names the calling thread (15 characters at most). The corresponding call is `pthread_setname_np`.
public func setCurrentThreadName(_ name: String) { _ = ckvm_set_thread_name(name) }

/// Why `VCPU.run()` returned.
public enum VCPUExit: Equatable, Sendable {
    /// `out`/`outs`: the data is in `VCPU.ioData` (size x count bytes).
    case ioOut(port: UInt16, size: UInt8, count: UInt32)
    /// `in`/`ins`: fill `VCPU.ioData` before the next `run()`.
    case ioIn(port: UInt16, size: UInt8, count: UInt32)
    /// HLT (this VM has no in-kernel interrupt controller, so every HLT comes here).
    case halt
    /// Triple fault or similar.
    case shutdown
    /// A guest access to an address with no memory.
    case mmio(address: UInt64)
    case failEntry(reason: UInt64)
    case internalError(suberror: UInt32)
    case systemEvent(type: UInt32)
    /// KVM_RUN was interrupted by a signal (how another thread stops a vCPU).
    case interrupted
    case unsupported(UInt32)

    public var name: String {
        switch self {
        case .ioOut: return "KVM_EXIT_IO (out)"
        case .ioIn: return "KVM_EXIT_IO (in)"
        case .halt: return "KVM_EXIT_HLT"
        case .shutdown: return "KVM_EXIT_SHUTDOWN"
        case .mmio(let a): return "KVM_EXIT_MMIO at 0x\(String(a, radix: 16))"
        case .failEntry(let r): return "KVM_EXIT_FAIL_ENTRY (hardware reason 0x\(String(r, radix: 16)))"
        case .internalError(let s): return "KVM_EXIT_INTERNAL_ERROR (suberror \(s))"
        case .systemEvent(let t): return "KVM_EXIT_SYSTEM_EVENT (type \(t))"
        case .interrupted: return "KVM_EXIT_INTR"
        case .unsupported(let r): return "exit reason \(r)"
        }
    }
}

/// A vCPU file descriptor with its mapped `kvm_run` structure.
// SAFETY: a VCPU is created on one thread and handed to the vCPU thread that runs it; `run` is
// the kvm_run page mapped in init and unmapped in deinit, touched only by that thread, and only
// while KVM_RUN is not running.
public final class VCPU: @unchecked Sendable {
    let file: OwnedFile
    public var fd: Int32 { file.raw }
    public let index: UInt32
    let run: UnsafeMutablePointer<kvm_run>
    let mmapSize: Int

    /// A failure closes the descriptor with `file`.
    init(file: consuming OwnedFile, index: UInt32, mmapSize: Int) throws {
        let fd = file.raw
        // SAFETY: maps the size KVM_GET_VCPU_MMAP_SIZE reports for this vCPU's descriptor; checked against MAP_FAILED.
        guard let p = mmap(nil, mmapSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw KVMError("mmap kvm_run of vCPU \(index)", errno: errno)
        }
        self.file = file
        self.index = index
        self.mmapSize = mmapSize
        // SAFETY: the kernel maps a `struct kvm_run` at offset 0 of the vCPU fd.
        run = p.assumingMemoryBound(to: kvm_run.self)
    }

    deinit {
        munmap(run, mmapSize)
    }

    /// Runs the vCPU until the next exit. The corresponding ioctl is `KVM_RUN`.
    /// EINTR is not retried: it is returned as `.interrupted`, because a signal is how
    /// another thread stops this vCPU.
    @inline(__always)
    public func runOnce() throws -> VCPUExit {
        if ckvm_ioctl_int(fd, CKVM_RUN, 0) != 0 {
            let e = errno
            if e == EINTR || e == EAGAIN { return .interrupted }
            throw KVMError("KVM_RUN", errno: e)
        }
        // SAFETY: `run` is the live kvm_run mapping; the kernel filled it before KVM_RUN returned.
        let reason = ckvm_run_exit_reason(run)
        switch Int(reason) {
        case CKVM_EXIT_IO:
            let io = ckvm_run_io(run)
            return Int(io.direction) == CKVM_EXIT_IO_OUT
                ? .ioOut(port: io.port, size: io.size, count: io.count)
                : .ioIn(port: io.port, size: io.size, count: io.count)
        case CKVM_EXIT_HLT: return .halt
        case CKVM_EXIT_SHUTDOWN: return .shutdown
        case CKVM_EXIT_MMIO: return .mmio(address: ckvm_run_mmio_address(run))
        case CKVM_EXIT_FAIL_ENTRY: return .failEntry(reason: ckvm_run_fail_entry_reason(run))
        case CKVM_EXIT_INTERNAL_ERROR: return .internalError(suberror: ckvm_run_internal_suberror(run))
        case CKVM_EXIT_SYSTEM_EVENT: return .systemEvent(type: ckvm_run_system_event_type(run))
        case CKVM_EXIT_INTR: return .interrupted
        default: return .unsupported(reason)
        }
    }

    /// The data area of the current I/O exit: size x count bytes inside the kvm_run page.
    @inline(__always)
    public var ioData: UnsafeMutableRawBufferPointer {
        let io = ckvm_run_io(run)
        let length = Int(io.size) * Int(io.count)
        // SAFETY: KVM places the data at `data_offset` within the vCPU mapping and keeps it inside it;
        // the bounds are checked against the mapping size anyway.
        let offset = Int(io.data_offset)
        precondition(offset >= 0 && offset + length <= mmapSize, "KVM I/O data outside the kvm_run mapping")
        return UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(run) + offset, count: length)
    }

    /// Makes the next (or current) KVM_RUN return at once; used with a signal to stop the vCPU.
    public func requestImmediateExit(_ on: Bool = true) {
        // SAFETY: `run` is the live mapping; the field is a byte written atomically.
        ckvm_run_set_immediate_exit(run, on ? 1 : 0)
    }

    /// The corresponding ioctl is `KVM_GET_REGS`.
    public func registers() throws -> kvm_regs {
        var regs = kvm_regs()
        guard ckvm_ioctl_ptr(fd, CKVM_GET_REGS, &regs) == 0 else { throw KVMError("KVM_GET_REGS", errno: errno) }
        return regs
    }

    /// The corresponding ioctl is `KVM_SET_REGS`.
    public func setRegisters(_ regs: kvm_regs) throws {
        var r = regs
        guard ckvm_ioctl_ptr(fd, CKVM_SET_REGS, &r) == 0 else { throw KVMError("KVM_SET_REGS", errno: errno) }
    }

    /// The corresponding ioctl is `KVM_GET_SREGS`.
    public func specialRegisters() throws -> kvm_sregs {
        var sregs = kvm_sregs()
        guard ckvm_ioctl_ptr(fd, CKVM_GET_SREGS, &sregs) == 0 else { throw KVMError("KVM_GET_SREGS", errno: errno) }
        return sregs
    }

    /// The corresponding ioctl is `KVM_SET_SREGS`.
    public func setSpecialRegisters(_ sregs: kvm_sregs) throws {
        var s = sregs
        guard ckvm_ioctl_ptr(fd, CKVM_SET_SREGS, &s) == 0 else { throw KVMError("KVM_SET_SREGS", errno: errno) }
    }

    /// The corresponding ioctl is `KVM_SET_CPUID2`.
    public func setCPUID(_ cpuid: CPUID) throws {
        // SAFETY: `cpuid.pointer` is a live kvm_cpuid2 whose nent matches its allocation.
        guard ckvm_ioctl_ptr(fd, CKVM_SET_CPUID2, cpuid.pointer) == 0 else { throw KVMError("KVM_SET_CPUID2", errno: errno) }
    }

    /// The guest's instruction pointer, for error messages.
    public var instructionPointer: UInt64 { (try? registers().rip) ?? 0 }
}

#endif
