// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// SAFETY: the two globals a signal handler needs (it can reach nothing else). `handledStop` is a
// sig_atomic_t, written by the handler and read by the waiting thread; `stopWaiter` is written
// only by `StopSignals.init` and `restore`, on the waiting thread, while SIGINT and SIGTERM are
// blocked there and the handler is not yet (or no longer) installed, and read by the handler.
/// The signal of a stop request seen by the handler (0: none). Written only by the handler.
nonisolated(unsafe) private var handledStop: sig_atomic_t = 0
/// The thread to wake when a stop request arrives on another thread.
nonisolated(unsafe) private var stopWaiter: pthread_t?

/// How `run` and `record` take SIGINT and SIGTERM: the one scheme, in one place.
///
/// - The waiting thread blocks SIGINT, SIGTERM and `wakeSignal` and sleeps in `sigtimedwait`,
///   so a stop request or a wake-up ends its wait at once, without polling.
/// - Threads started after `init` inherit the mask. A thread started before it (Foundation's)
///   may still be picked for a process-directed signal: a handler takes it there, notes it and
///   wakes the waiting thread, so no signal is lost and none kills the process.
/// - A VMM that `record` starts gets default dispositions and an empty mask (`posix_spawn`).
/// - `kickSignal` has an empty handler without SA_RESTART, so it breaks a vCPU thread out of KVM_RUN.
final class StopSignals {
    static let kickSignal = SIGUSR1
    /// Sent to the waiting thread when the end of a run is decided elsewhere.
    static let wakeSignal = SIGUSR2
    private var previousMask = sigset_t()
    private var previousINT = sigaction()
    private var previousTERM = sigaction()

    /// Takes over SIGINT and SIGTERM for the calling thread, which is the one that will `wait`.
    init() {
        handledStop = 0
        stopWaiter = pthread_self()
        var set = StopSignals.waitedFor()
        pthread_sigmask(SIG_BLOCK, &set, &previousMask)
        // Unblock nothing else: a parent (a test runner) may have started us with these blocked,
        // which the block above makes no difference to, and sigtimedwait takes them anyway.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            handledStop = signal
            if let waiter = stopWaiter { pthread_kill(waiter, StopSignals.wakeSignal) }
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, &previousINT)
        sigaction(SIGTERM, &action, &previousTERM)
    }

    static func waitedFor() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, wakeSignal)
        return set
    }

    static func installKickHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0  // no SA_RESTART: KVM_RUN must return EINTR
        sigaction(kickSignal, &action, nil)
    }

    /// Waits up to `milliseconds`. Returns SIGINT or SIGTERM when a stop was requested,
    /// `wakeSignal` when woken, nil at the timeout.
    func wait(milliseconds: Int) -> Int32? {
        if handledStop != 0 { return Int32(handledStop) }
        var set = StopSignals.waitedFor()
        var timeout = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        let s = sigtimedwait(&set, nil, &timeout)
        if handledStop != 0 { return Int32(handledStop) }
        return s > 0 ? s : nil
    }

    /// Gives SIGINT and SIGTERM back as they were.
    func restore() {
        // Drop a wake signal that raced with the end of the wait before unblocking it.
        var pending = sigset_t()
        sigemptyset(&pending)
        sigaddset(&pending, StopSignals.wakeSignal)
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        while sigtimedwait(&pending, nil, &zero) > 0 {}
        sigaction(SIGINT, &previousINT, nil)
        sigaction(SIGTERM, &previousTERM, nil)
        stopWaiter = nil
        pthread_sigmask(SIG_SETMASK, &previousMask, nil)
    }
}

#endif
