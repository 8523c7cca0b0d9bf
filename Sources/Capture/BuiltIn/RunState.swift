// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import Foundation
import KVM
import TraceFormat
#if canImport(Glibc)
import Glibc
#endif

/// Shared state of one run: thread start-up, the lock around the models and the trace,
/// and how each vCPU ended.
// SAFETY: `writer` is set before any vCPU thread starts and used under `lock`; the other mutable
// state (tids, threads, outcomes, started/finished counts) is read and written only while
// holding `condition`.
final class RunState: @unchecked Sendable {
    /// Held while a vCPU timestamps an exit, drives the models and appends to the trace.
    let lock = NSLock()
    var writer: TraceWriter?

    private let condition = NSCondition()
    private let count: Int
    private var tids: [UInt64]
    private var threads: [pthread_t?]
    private var started = 0
    private var goDecision: Bool?
    private var exitedFlags: [Bool]
    private var outcomes: [RunOutcome?]
    private var stopFlag = false
    private var goNs: UInt64 = 0
    private var lastExitNs: UInt64 = 0
    private var exitCount: UInt64 = 0

    init(count: Int) {
        self.count = count
        tids = [UInt64](repeating: 0, count: count)
        threads = [pthread_t?](repeating: nil, count: count)
        exitedFlags = [Bool](repeating: false, count: count)
        outcomes = [RunOutcome?](repeating: nil, count: count)
        StopSignals.installKickHandler()
    }

    func threadStarted(_ index: UInt32) {
        condition.lock()
        tids[Int(index)] = currentThreadID()
        threads[Int(index)] = pthread_self()
        started += 1
        condition.broadcast()
        condition.unlock()
    }

    func waitForThreads() -> [UInt64] {
        condition.lock()
        while started < count { condition.wait() }
        defer { condition.unlock() }
        return tids
    }

    func go(_ run: Bool) {
        condition.lock()
        goNs = Monotonic.now()
        goDecision = run
        if !run { for i in 0..<count { exitedFlags[i] = true } }
        condition.broadcast()
        condition.unlock()
    }

    func waitForGo() -> Bool {
        condition.lock()
        while goDecision == nil { condition.wait() }
        defer { condition.unlock() }
        return goDecision!
    }

    func vcpuFinished(_ index: UInt32, outcome: RunOutcome?, exits: UInt64, at time: UInt64) {
        condition.lock()
        exitCount += exits
        lastExitNs = max(lastExitNs, time)
        outcomes[Int(index)] = outcome
        exitedFlags[Int(index)] = true
        let decided = decidedOutcome != nil
        condition.broadcast()
        condition.unlock()
        // Wake the main thread, which sleeps in sigtimedwait, as soon as the run's end is decided.
        if decided, let main = mainThread { pthread_kill(main, StopSignals.wakeSignal) }
    }

    /// The thread that waits for the run to end.
    var mainThread: pthread_t?

    /// The run's result once it is decided by the vCPUs: a failure at once, or "halted" when all halted.
    var finalOutcome: RunOutcome? {
        condition.lock()
        defer { condition.unlock() }
        return decidedOutcome
    }

    /// `finalOutcome` for callers that hold `condition`.
    private var decidedOutcome: RunOutcome? {
        if let bad = outcomes.compactMap({ $0 }).first(where: { $0 != .halted }) { return bad }
        if outcomes.allSatisfy({ $0 == .halted }) { return .halted }
        return nil
    }

    var statistics: RunStatistics {
        condition.lock()
        defer { condition.unlock() }
        return RunStatistics(exits: exitCount, guestNs: lastExitNs > goNs ? lastExitNs - goNs : 0)
    }

    func requestStop() {
        condition.lock()
        stopFlag = true
        condition.unlock()
    }

    /// Read by vCPU threads when KVM_RUN was interrupted.
    var stopRequested: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopFlag
    }

    var allExited: Bool {
        condition.lock()
        defer { condition.unlock() }
        return exitedFlags.allSatisfy { $0 }
    }

    func exited(_ i: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return exitedFlags[i]
    }

    func kick(_ i: Int) {
        condition.lock()
        let thread = exitedFlags[i] ? nil : threads[i]
        condition.unlock()
        if let thread { pthread_kill(thread, StopSignals.kickSignal) }
    }

    func waitForExits(milliseconds: Int) {
        condition.lock()
        if !exitedFlags.allSatisfy({ $0 }) {
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(milliseconds) / 1000))
        }
        condition.unlock()
    }
}

#endif
