import Foundation
import Testing

let kvmMissing: String? = {
    let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
    if fd < 0 { return "/dev/kvm cannot be opened (\(String(cString: strerror(errno))))" }
    close(fd)
    return nil
}()

let guestBuild = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Guests/build").path

/// Starts `porttrace run` on the spinning guest, sends `signal` once the trace already holds at
/// least `events` readable events (waiting for that, not for a fixed time: a loaded host runs the
/// guest slower), and returns the exit status.
func runAndSignal(_ signal: Int32, trace: String, once events: Int = 1) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: porttraceBinary())
    p.arguments = ["run", "\(guestBuild)/spin.bin", "-o", trace, "--log-file", scratchOutput()]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    let deadline = ContinuousClock.now + .seconds(120)
    while ContinuousClock.now < deadline {
        let dump = try porttrace(["dump", "--format", "jsonl", trace])
        if dump.out.split(separator: "\n").count >= events { break }
        Thread.sleep(forTimeInterval: 0.05)
    }
    kill(p.processIdentifier, signal)
    p.waitUntilExit()
    return p.terminationStatus
}

@Suite(.serialized, .enabled(if: captureBuilt, "built without the KVMCapture trait: run needs Linux with KVM"))
struct RunCommandTests {
    /// The help names defaults as a user types them.
    @Test func helpShowsTheMemoryDefaultAsTyped() throws {
        let r = try porttrace(["run", "--help"])
        #expect(r.out.contains("(default: 64M)"), "\(r.out)")
        #expect(!r.out.contains("SizeArgument"))
    }

    @Test(.enabled(if: kvmMissing == nil, "\(kvmMissing ?? "")")) func sigintClosesTheTraceCleanly() throws {
        let trace = "\(tempDir())/int.pt"
        #expect(try runAndSignal(SIGINT, trace: trace) == 0)
        let v = try porttrace(["verify", trace])
        #expect(v.status == 0, "\(v.stderr)")
        let dump = try porttrace(["dump", trace])
        #expect(dump.out.contains("marker signal"))
    }

    @Test(.enabled(if: kvmMissing == nil, "\(kvmMissing ?? "")")) func sigtermClosesTheTraceCleanly() throws {
        let trace = "\(tempDir())/term.pt"
        #expect(try runAndSignal(SIGTERM, trace: trace) == 0)
        #expect(try porttrace(["verify", trace]).status == 0)
    }

    @Test(.enabled(if: kvmMissing == nil, "\(kvmMissing ?? "")")) func sigkillLeavesARecoverableTrace() throws {
        let trace = "\(tempDir())/kill.pt"
        _ = try runAndSignal(SIGKILL, trace: trace, once: 21)
        let v = try porttrace(["verify", trace])
        #expect(v.status == 1)
        #expect(v.stderr.contains("not closed cleanly"))
        // What was sealed before the kill is still there (the kill came once 21 events could be
        // read). dump prints every event it can read, then says the trace was not closed (status 1).
        let dump = try porttrace(["dump", "--format", "jsonl", trace])
        #expect(dump.status == 1)
        #expect(dump.stderr.split(separator: "\n").count == 1, "\(dump.stderr)")
        #expect(dump.out.split(separator: "\n").count > 20)
    }

    @Test(.enabled(if: kvmMissing == nil, "\(kvmMissing ?? "")")) func liveOutputEqualsReplayThroughTheCLI() throws {
        let dir = tempDir()
        let run = try porttrace([
            "run", "\(guestBuild)/boot-demo.bin", "-o", "\(dir)/demo.pt", "--debug-console", "tty",
            "-vv", "--out-dir", "\(dir)/live",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let replay = try porttrace(["replay", "\(dir)/demo.pt", "-vv", "--out-dir", "\(dir)/replay", "--check"])
        #expect(replay.status == 0, "\(replay.stderr)")
        for name in ["vmm.log", "debug-console.out", "firmware-debug.out", "serial.out"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/live/\(name)"))
            let b = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/replay/\(name)"))
            #expect(a == b, "\(name)")
            #expect(!a.isEmpty, "\(name)")
        }
        // The same through stdout/stderr, as a user sees it.
        let live = try porttrace(["run", "\(guestBuild)/boot-demo.bin", "-o", "\(dir)/demo2.pt", "--debug-console", "tty"])
        let again = try porttrace(["replay", "\(dir)/demo2.pt"])
        #expect(live.stdout == again.stdout)
        #expect(live.stderr == again.stderr)
    }

    @Test func runRefusesBadSetups() throws {
        let cases: [([String], String)] = [
            (["run", "/nonexistent.bin", "--no-trace"], "no such file"),
            (["run", "\(guestBuild)/boot-demo.bin"], "-o TRACE or --no-trace"),
            (["run", "\(guestBuild)/boot-demo.bin", "--no-trace", "--mode", "weird"], "--mode"),
            (["run", "\(guestBuild)/boot-demo.bin", "--no-trace", "--cpus", "0"], "--cpus"),
        ]
        for (args, needle) in cases {
            let r = try porttrace(args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }

    @Test(.enabled(if: kvmMissing == nil, "\(kvmMissing ?? "")")) func tripleFaultExitsWithStatus1() throws {
        let r = try porttrace(["run", "\(guestBuild)/triple.bin", "--mode", "protected", "--no-trace", "--log-file", scratchOutput()])
        #expect(r.status == 1)
        #expect(r.stderr.contains("triple fault") && r.stderr.contains("RIP 0x"))
    }
}
