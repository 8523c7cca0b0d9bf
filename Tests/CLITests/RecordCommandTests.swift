import Foundation
import Testing

/// Why host capture cannot be tested here, or nil.
let recordUnavailable: String? = {
    if geteuid() != 0 { return "porttrace record needs root" }
    if let why = kvmMissing { return why }
    if !FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events") {
        // libtracefs mounts tracefs itself when it can; try the usual place once.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/mount")
        p.arguments = ["-t", "tracefs", "nodev", "/sys/kernel/tracing"]
        try? p.run()
        p.waitUntilExit()
    }
    if !FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events/kvm/kvm_pio") {
        return "tracefs or the kvm:kvm_pio tracepoint is not available"
    }
    return nil
}()

let qemuBinary = ["/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// The recorders' tracefs instances (`porttrace-PID`) that exist now.
func liveInstances() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/kernel/tracing/instances")) ?? []).filter { $0.hasPrefix("porttrace-") }
}

/// Instances left behind: those whose recorder has exited. Other suites run recorders at the
/// same time (CI runs suites in parallel), so an instance of a live process is not a leak.
func instancesLeft() -> [String] {
    liveInstances().filter { name in
        guard let pid = Int32(name.dropFirst("porttrace-".count)) else { return true }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}

@Suite(.serialized, .enabled(if: captureBuilt, "built without the KVMCapture trait: record needs Linux with tracefs"))
struct RecordCommandTests {
    /// QEMU + SeaBIOS recorded twice: the same devices and code paths (the CMOS clock's reads
    /// differ, and are shown, not judged), and timed by console marks.
    @Test(
        .enabled(if: recordUnavailable == nil, "\(recordUnavailable ?? "")"),
        .enabled(if: qemuBinary != nil, "qemu-system-x86_64 is not installed"),
        .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/seabios/bios.bin"), "seabios is not installed"))
    func qemuRecordedTwiceIsTheSame() throws {
        let dir = tempDir()
        try Data([0xf8, 0x03]).write(to: URL(fileURLWithPath: "\(dir)/sercon"))
        for i in 1...2 {
            let r = try porttrace(
                [
                    "record", "-o", "\(dir)/q\(i).pt", "--",
                ] + untilSeaBIOSGivesUp("\(dir)/d\(i).log") + [
                    qemuBinary!, "-accel", "kvm", "-name",
                    "t,debug-threads=on",
                    "-display", "none", "-nodefaults", "-m", "64", "-chardev", "file,id=dbg,path=\(dir)/d\(i).log", "-device",
                    "isa-debugcon,iobase=0x402,chardev=dbg", "-serial", "file:\(dir)/s\(i).log", "-fw_cfg",
                    "name=etc/sercon-port,file=\(dir)/sercon",
                ])
            #expect(r.status == 0, "\(r.stderr)")
        }
        // Two real boots are not identical: QEMU's start-up before the firmware varies by tens of
        // milliseconds here, and SeaBIOS polls a little more or less. What must hold: the same
        // devices and code paths, a verdict (0 or 1, never 2), and the CMOS clock's reads listed.
        let d = try porttrace(["diff", "\(dir)/q1.pt", "\(dir)/q2.pt", "--ignore", "metadata", "--color", "never"])
        #expect(d.status == 0 || d.status == 1, "\(d.stderr)")
        #expect(!d.out.contains("POST code sequences differ") && !d.out.contains("ports appear") && !d.out.contains("ports disappear"))
        #expect(d.out.contains("in 0x71 #"), "\(d.out)")
        let t = try porttrace(["timeline", "\(dir)/q1.pt", "--mark", "seabios=SeaBIOS \\(version"])
        #expect(t.status == 0)
        #expect(t.out.contains("mark seabios (firmware debug: SeaBIOS (version"))
    }

    /// QEMU + SeaBIOS under KVM: the firmware-debug and serial outputs replayed from
    /// porttrace's trace must equal QEMU's own files byte for byte.
    @Test(
        .enabled(if: recordUnavailable == nil, "\(recordUnavailable ?? "")"),
        .enabled(if: qemuBinary != nil, "qemu-system-x86_64 is not installed"),
        .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/seabios/bios.bin"), "seabios is not installed"))
    func qemuSeaBIOSOutputsReplayIdentically() throws {
        let qemu = qemuBinary!
        let dir = tempDir()
        // SeaBIOS also draws its screen on the serial port when etc/sercon-port names it (a binary integer).
        try Data([0xf8, 0x03]).write(to: URL(fileURLWithPath: "\(dir)/sercon"))
        // SeaBIOS prints its log to 0x402, then waits for a boot device: stop QEMU once it says so.
        let r = try porttrace(
            ["record", "-o", "\(dir)/qemu.pt", "--"] + untilSeaBIOSGivesUp("\(dir)/debugcon.log") + [
                qemu,
                "-accel", "kvm", "-name", "porttrace-test,debug-threads=on", "-display", "none", "-nodefaults", "-m", "64",
                "-chardev", "file,id=dbg,path=\(dir)/debugcon.log", "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
                "-serial", "file:\(dir)/serial.log", "-fw_cfg", "name=etc/sercon-port,file=\(dir)/sercon",
            ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(instancesLeft().isEmpty)
        #expect(try porttrace(["verify", "\(dir)/qemu.pt"]).status == 0)
        // The header names the VMM's version (asked before it started) and a fresh trace id.
        let header = try porttrace(["info", "--json", "\(dir)/qemu.pt"]).out
        #expect(header.contains(#""vmm_version":"QEMU emulator version"#))
        #expect(header.range(of: #""trace_id":"[0-9a-f]{32}""#, options: .regularExpression) != nil)
        let replay = try porttrace(["replay", "\(dir)/qemu.pt", "--out-dir", "\(dir)/out"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let debugcon = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/debugcon.log"))
        let serial = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/serial.log"))
        #expect(debugcon.count > 1000, "SeaBIOS printed only \(debugcon.count) bytes")
        #expect(!serial.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/firmware-debug.out")) == debugcon)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/serial.out")) == serial)
        // vCPU threads are mapped by QEMU's thread names.
        let dump = try porttrace(["dump", "\(dir)/qemu.pt"])
        #expect(dump.out.contains("marker vcpu_thread") && dump.out.contains("CPU 0/KVM"))
        let info = try porttrace(["info", "--json", "\(dir)/qemu.pt"])
        #expect(info.out.contains("\"source\":\"tracefs\""))
    }

    /// porttrace's own machine recorded from the outside. With one vCPU the replayed outputs of
    /// the host capture equal those of the built-in recording byte for byte. With two, the kernel
    /// orders exits by when they happened and the built-in recorder by when its lock was taken, so
    /// only each vCPU's own byte stream must be equal.
    @Test(.enabled(if: recordUnavailable == nil, "\(recordUnavailable ?? "")"), arguments: [1, 2])
    func hostCaptureOfTheBuiltInMachineMatchesItsOwnTrace(cpus: Int) throws {
        let dir = tempDir()
        let r = try porttrace([
            "record", "-o", "\(dir)/host.pt", "--ports", "0x80,0xe9,0x402,0x3f8-0x3ff", "--",
            porttraceBinary(), "run", "\(guestBuild)/iotest64.bin", "--mode", "long", "--cpus", "\(cpus)",
            "-o", "\(dir)/own.pt", "--debug-console", "tty", "--log-file", scratchOutput(),
        ])
        #expect(r.status == 0, "\(r.stderr)")
        // record succeeds whatever the VMM does; the VMM here must have succeeded too.
        #expect(!r.stderr.contains("the VMM exited with status"), "\(r.stderr)")
        if cpus == 1 {
            for (name, trace) in [("host", "host.pt"), ("own", "own.pt")] {
                let rep = try porttrace(["replay", "\(dir)/\(trace)", "--out-dir", "\(dir)/\(name)", "--debug-console", "tty"])
                #expect(rep.status == 0, "\(rep.stderr)")
            }
            for file in ["debug-console.out", "firmware-debug.out", "serial.out"] {
                let a = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/host/\(file)"))
                let b = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/own/\(file)"))
                #expect(a == b, "\(file)")
            }
        }
        // Per vCPU and port, the bytes written are the same in both traces.
        func streams(_ trace: String) throws -> [String: String] {
            var out: [String: String] = [:]
            let dump = try porttrace(["dump", "--format", "jsonl", trace])
            #expect(dump.status == 0, "dump \(trace): \(dump.stderr)")
            for line in dump.out.split(separator: "\n") {
                guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let port = obj["port"] as? Int, let vcpu = obj["vcpu"] as? Int, obj["dir"] as? String == "out",
                    let data = obj["data"] as? String
                else { continue }
                out["\(vcpu)/\(port)", default: ""] += data
            }
            return out
        }
        let host = try streams("\(dir)/host.pt")
        let own = try streams("\(dir)/own.pt")
        #expect(host == own)
        #expect(host.keys.contains("\(cpus - 1)/233"))
        // Every vCPU thread was mapped by name (vcpuN), none by order of appearance.
        let dump = try porttrace(["dump", "\(dir)/host.pt"])
        let mapped = dump.out.split(separator: "\n").filter { $0.contains("marker vcpu_thread") }
        #expect(mapped.count == cpus)
        #expect(!dump.out.contains("vcpu_unmapped"))
        // The kernel port filter kept only the ports asked for.
        let info = try porttrace(["info", "--json", "\(dir)/host.pt"])
        #expect(!info.out.contains("\"0x61\""))
    }

    @Test(.enabled(if: recordUnavailable == nil, "\(recordUnavailable ?? "")")) func interruptStopsTheVMMAndRemovesTheInstance() throws {
        let dir = tempDir()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: porttraceBinary())
        p.arguments = [
            "record", "-o", "\(dir)/spin.pt", "--", porttraceBinary(), "run", "\(guestBuild)/spin.bin", "--no-trace",
            "--log-file", scratchOutput(),
        ]
        p.standardError = FileHandle.nullDevice
        try p.run()
        #expect(waitForThread(named: "vcpu0", under: p.processIdentifier), "the recorded VMM never started its vCPU")
        Thread.sleep(forTimeInterval: 0.5)  // some 0x80 writes are recorded
        kill(p.processIdentifier, SIGINT)
        let deadline = Date(timeIntervalSinceNow: 20)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning {
            Issue.record("porttrace record did not stop within 20 s of SIGINT")
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            return
        }
        #expect(p.terminationStatus == 0)
        #expect(instancesLeft().isEmpty)
        #expect(try porttrace(["verify", "\(dir)/spin.pt"]).status == 0)
        let dump = try porttrace(["dump", "--port", "0x80", "\(dir)/spin.pt"])
        #expect(dump.out.split(separator: "\n").count > 10)
    }

    /// Attaching to a running VMM: its existing vCPU threads are followed until it exits. The
    /// VMM is stopped only once the recorder has been capturing for a second, so the test holds
    /// however long start-up takes (a loaded machine, a sanitizer).
    @Test(.enabled(if: recordUnavailable == nil, "\(recordUnavailable ?? "")")) func attachesToARunningVMMByPid() throws {
        let dir = tempDir()
        let vmm = Process()
        vmm.executableURL = URL(fileURLWithPath: porttraceBinary())
        vmm.arguments = ["run", "\(guestBuild)/spin.bin", "--no-trace", "--timeout", "120s", "--log-file", scratchOutput()]
        try vmm.run()
        defer { if vmm.isRunning { kill(vmm.processIdentifier, SIGKILL) } }
        #expect(waitForThread(named: "vcpu0", under: vmm.processIdentifier), "the VMM never started its vCPU")
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: porttraceBinary())
        recorder.arguments = ["record", "-o", "\(dir)/attached.pt", "--pid", "\(vmm.processIdentifier)", "--ports", "0x80"]
        let errors = Pipe()
        recorder.standardError = errors
        try recorder.run()
        let deadline = Date(timeIntervalSinceNow: 60)
        // Capturing starts when the recorder's instance has kvm:kvm_pio enabled (setting the
        // instance up takes seconds under a sanitizer); from then on events are in its buffer.
        func capturing() -> Bool {
            let enable = "/sys/kernel/tracing/instances/porttrace-\(recorder.processIdentifier)/events/kvm/kvm_pio/enable"
            return (try? String(contentsOfFile: enable, encoding: .utf8))?.hasPrefix("1") == true
        }
        while !capturing() && recorder.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        Thread.sleep(forTimeInterval: 1.0)  // the spinning guest posts 0x43 every few ms
        kill(vmm.processIdentifier, SIGTERM)
        vmm.waitUntilExit()
        recorder.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(recorder.terminationStatus == 0, "\(stderr)")
        #expect(instancesLeft().isEmpty)
        let dump = try porttrace(["dump", "\(dir)/attached.pt"])
        #expect(dump.out.contains("marker vcpu_thread"))
        #expect(dump.out.split(separator: "\n").filter { $0.hasSuffix(" 43") }.count > 10)
        let info = try porttrace(["info", "--json", "\(dir)/attached.pt"])
        #expect(info.out.contains("\"vmm_pid\":\(vmm.processIdentifier)"))
    }

    @Test func badTargetsGetOneLine() throws {
        let cases: [([String], String)] = [
            (["record", "-o", "/tmp/x.pt", "--pid", "999999999"], geteuid() == 0 ? "no process with pid" : "root"),
            (["record", "-o", "/tmp/x.pt", "--", "/nonexistent/vmm"], geteuid() == 0 ? "no such command" : "root"),
            (["record", "-o", "/tmp/x.pt"], "--pid PID or -- VMM"),
        ]
        for (args, needle) in cases {
            let r = try porttrace(args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
        #expect(instancesLeft().isEmpty)
    }
}

/// Waits (up to `timeout` seconds) until `pid` or one of its descendants has a thread named
/// `name` (the built-in machine names its vCPU threads vcpuN). Fixed sleeps are too short on a
/// loaded machine or under a sanitizer, where starting a process takes seconds.
func waitForThread(named name: String, under pid: Int32, timeout: Double = 30) -> Bool {
    func tree(_ root: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(root)/task")) ?? []
        var all = [root]
        for t in tasks {
            let children = (try? String(contentsOfFile: "/proc/\(root)/task/\(t)/children", encoding: .utf8)) ?? ""
            for c in children.split(separator: " ").compactMap({ Int32($0) }) { all += tree(c) }
        }
        return all
    }
    let deadline = Date(timeIntervalSinceNow: timeout)
    while Date() < deadline {
        for p in tree(pid) {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(p)/task")) ?? []
            for t in tasks {
                let comm = (try? String(contentsOfFile: "/proc/\(p)/task/\(t)/comm", encoding: .utf8)) ?? ""
                if comm.trimmingCharacters(in: .whitespacesAndNewlines) == name { return true }
            }
        }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return false
}

/// A wrapper for a QEMU + SeaBIOS command with no boot disk: runs it, and stops it with SIGTERM
/// once SeaBIOS has written `No bootable device` to its debug log (`log`), or after two minutes.
/// Waiting for that, not for a fixed time, keeps the recording whole on a loaded host.
func untilSeaBIOSGivesUp(_ log: String) -> [String] {
    let script = """
        log=$1; shift
        "$@" & pid=$!
        for _ in $(seq 1 1200); do
            grep -q 'No bootable device' "$log" 2>/dev/null && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -TERM "$pid" 2>/dev/null
        wait "$pid"
        exit 0
        """
    return ["/bin/bash", "-c", script, "seabios-until", log]
}
