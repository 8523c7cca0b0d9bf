// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import Devices
import Foundation
import KVM
import TraceFormat

/// porttrace's own KVM machine: guest RAM, the image, N vCPUs, each on its own thread.
/// Every KVM_EXIT_IO is timestamped, handed to the device models (which supply IN values)
/// and appended to the trace, all under one lock, so the order the models saw is the order
/// recorded and timestamps never go backwards in it.
public final class BuiltInMachine {
    public let configuration: RunConfiguration
    // The KVM objects: visible inside this package (tests, the benchmark), never to the executable's API.
    package let system: KVMSystem
    package let vm: VirtualMachine
    package let memory: GuestMemory
    package let vcpus: [VCPU]
    /// Monotonic ns right after KVM_CREATE_VM: the 0x80 device's time origin.
    public let vmStartNs: UInt64

    /// Opens /dev/kvm, creates the VM and its vCPUs, loads the image and sets the start state.
    public convenience init(configuration c: RunConfiguration, kvmPath: String = "/dev/kvm") throws {
        do {
            try self.init(setting: c, kvmPath: kvmPath)
        } catch {
            throw CaptureError.converting(error)
        }
    }

    private init(setting c: RunConfiguration, kvmPath: String) throws {
        configuration = c
        guard RunConfiguration.vcpuCounts.contains(c.cpus) else { throw MachineSetupError("\(c.cpus) vCPUs: a machine has 1 to 64") }
        guard RunConfiguration.memorySizes.contains(c.memorySize), c.memorySize % 4096 == 0 else {
            throw MachineSetupError("guest memory of \(c.memorySize) bytes: it must be 1 MiB to 4 GiB, in whole pages")
        }
        system = try KVMSystem(path: kvmPath)
        vm = try system.createVM()
        vmStartNs = Monotonic.now()
        try vm.setTSSAddress(0xfffb_d000)
        memory = try vm.addMemory(slot: 0, guestAddress: 0, size: Int(c.memorySize))
        try X86Boot.writeTables(memory, mode: c.mode.cpuMode)
        try c.image.load(into: memory)
        let cpuid = try system.supportedCPUID()
        var created: [VCPU] = []
        for i in 0..<c.cpus {
            let v = try vm.createVCPU(i)
            try v.setCPUID(cpuid)
            let entry = c.mode == .real ? c.load : c.effectiveEntry
            try X86Boot.start(v, index: i, count: c.cpus, mode: c.mode.cpuMode, entry: entry, memorySize: c.memorySize)
            created.append(v)
        }
        vcpus = created
    }

    /// Runs until every vCPU halts, one shuts down, the timeout passes or SIGINT/SIGTERM arrives.
    /// `ready` is called once every vCPU thread is up, with their kernel thread ids, and returns the
    /// trace writer (or nil); it runs before the guest executes its first instruction.
    public func run(devices: DebugMachine, ready: ([UInt64]) throws -> TraceWriter?) throws -> (RunOutcome, endNs: UInt64) {
        let (outcome, end, _) = try runMeasured(devices: devices, ready: ready)
        return (outcome, end)
    }

    /// `run`, also returning exit counts and the guest's running time.
    public func runMeasured(devices: DebugMachine, ready: ([UInt64]) throws -> TraceWriter?) throws -> (
        RunOutcome, endNs: UInt64, statistics: RunStatistics
    ) {
        let state = RunState(count: vcpus.count)
        let signals = StopSignals()
        state.mainThread = pthread_self()
        defer { signals.restore() }

        // The models are used only under `state.lock`.
        let shared = LockedDevices(devices)
        for vcpu in vcpus {
            let t = Thread { [state] in
                // Named as cloud-hypervisor names vCPU threads, so a host capture maps them too.
                setCurrentThreadName("vcpu\(vcpu.index)")
                state.threadStarted(vcpu.index)
                guard state.waitForGo() else { return }
                var exits: UInt64 = 0
                let outcome = Self.vcpuLoop(vcpu, devices: shared.machine, state: state, exits: &exits)
                state.vcpuFinished(vcpu.index, outcome: outcome, exits: exits, at: Monotonic.now())
            }
            t.name = "vcpu\(vcpu.index)"
            t.stackSize = 1 << 20
            t.start()
        }
        let tids = state.waitForThreads()
        let writer: TraceWriter?
        do {
            writer = try ready(tids)
        } catch {
            state.go(false)
            throw error
        }
        state.writer = writer
        state.go(true)

        let deadline = configuration.timeout.map { ContinuousClock.now + $0 }
        var outcome: RunOutcome?
        while outcome == nil {
            if let done = state.finalOutcome {
                outcome = done
                break
            }
            // Sleep until a signal, the wake signal from a vCPU, or the deadline: no polling while the guest runs.
            var waitMs = 1000
            if let deadline {
                let left = deadline - ContinuousClock.now
                if left <= .zero {
                    outcome = .timeout
                    break
                }
                waitMs = min(waitMs, max(1, Int(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            }
            if let signal = signals.wait(milliseconds: waitMs), signal != StopSignals.wakeSignal { outcome = .signal(signal) }
            // The trace cannot take more (a full disk): stop now rather than run on unrecorded.
            if outcome == nil, let e = writer?.error { outcome = .failed("the trace stopped taking events: \(e)") }
        }
        // Stop every vCPU still running: immediate_exit plus a signal to break KVM_RUN.
        state.requestStop()
        while !state.allExited {
            for (i, vcpu) in vcpus.enumerated() where !state.exited(i) {
                vcpu.requestImmediateExit()
                state.kick(i)
            }
            state.waitForExits(milliseconds: 2)
        }
        // A vCPU's own ending (a fault) wins over the timeout or signal that stopped the others.
        let result = state.finalOutcome ?? outcome!
        let end = state.lock.withLock {
            let t = Monotonic.now()
            writer?.append(marker: Marker(result.markerName, text: result.message), timestamp: t)
            return t
        }
        return (result, end, state.statistics)
    }

    /// One vCPU's exit loop. Returns nil when stopped from outside.
    static func vcpuLoop(_ vcpu: VCPU, devices: DebugMachine, state: RunState, exits: inout UInt64) -> RunOutcome? {
        let index = vcpu.index
        // Constant while the guest runs: read once, not per exit.
        let lock = state.lock
        let writer = state.writer
        while true {
            exits &+= 1
            let exit: VCPUExit
            do {
                exit = try vcpu.runOnce()
            } catch {
                return .failed("vCPU \(index): \(error)")
            }
            switch exit {
            case .ioOut(let port, let size, let count):
                let data = vcpu.ioData
                let shape = EventShape(vcpu: index, port: port, direction: .out, size: size, count: count)
                lock.lock()
                let t = Monotonic.now()
                // SAFETY: `data` points into this vCPU's kvm_run page, valid until its next KVM_RUN, which this thread issues only after the models and the writer have copied what they need.
                devices.write(timestamp: t, vcpu: index, port: port, length: data.count, data: UnsafeRawBufferPointer(data))
                writer?.append(timestamp: t, shape: shape, data: UnsafeRawBufferPointer(data))
                lock.unlock()
            case .ioIn(let port, let size, let count):
                let data = vcpu.ioData
                let shape = EventShape(vcpu: index, port: port, direction: .in, size: size, count: count)
                lock.lock()
                let t = Monotonic.now()
                // A device that leaves the buffer untouched: the guest gets what is there, and so does the trace.
                _ = devices.read(timestamp: t, vcpu: index, port: port, into: data)
                // SAFETY: as for OUT: the kvm_run page stays valid until this thread's next KVM_RUN; the writer copies the bytes.
                writer?.append(timestamp: t, shape: shape, data: UnsafeRawBufferPointer(data))
                lock.unlock()
            case .halt:
                lock.withLock {
                    writer?.append(marker: Marker(Marker.vcpuHalted, value: UInt64(index)), timestamp: Monotonic.now(), vcpu: index)
                }
                return .halted
            case .interrupted:
                if state.stopRequested { return nil }
            case .shutdown:
                return .shutdown(vcpu: index, rip: vcpu.instructionPointer)
            default:
                return .unexpectedExit(vcpu: index, exit: exit.name, rip: vcpu.instructionPointer)
            }
        }
    }
}

/// The device models, handed to vCPU threads that use them only while holding the run's lock.
// SAFETY: the models are not thread-safe; every vCPU thread touches `machine` only while it holds
// `RunState.lock` (BuiltInMachine's exit loop), so one thread at a time uses them.
final class LockedDevices: @unchecked Sendable {
    let machine: DebugMachine
    init(_ machine: DebugMachine) { self.machine = machine }
}

#endif
