import Foundation
import Testing

/// `run --repeat N` and `record --repeat N`: N boots, one trace each, a summary, and the status.
@Suite(.serialized, .enabled(if: captureBuilt, "built without the KVMCapture trait: run and record need Linux with KVM"))
struct BootSeriesTests {
    /// Three boots of the demo guest: three traces named by `{n}`, per-boot log files, a summary.
    @Test(.enabled(if: kvmMissing == nil, "\(kvmMissing ?? "")")) func runRepeats() throws {
        try withScratch { dir in
            let r = try porttrace([
                "run", "\(guestBuild)/boot-demo.bin", "--repeat", "3", "-o", "\(dir)/{n}.pt", "--log-file", "\(dir)/{n}.log",
                "--debug-console", "off", "--label", "build=abc",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            for n in 1...3 {
                #expect(try porttrace(["verify", "\(dir)/\(n).pt"]).status == 0)
                #expect(FileManager.default.fileExists(atPath: "\(dir)/\(n).log"))
                #expect(try porttrace(["info", "\(dir)/\(n).pt"]).out.contains("labels:       build=abc"))
            }
            #expect(r.stderr.contains("boot 3 of 3: total "), "\(r.stderr)")
            #expect(r.stderr.contains("3 boots, 0 failed; total over 3: median "), "\(r.stderr)")
            // Zero-padded to the width of N.
            let twelve = try porttrace([
                "run", "\(guestBuild)/boot-demo.bin", "--repeat", "10", "-o", "\(dir)/w{n}.pt", "--debug-console", "off",
            ])
            #expect(twelve.status == 0, "\(twelve.stderr)")
            #expect(FileManager.default.fileExists(atPath: "\(dir)/w01.pt") && FileManager.default.fileExists(atPath: "\(dir)/w10.pt"))
        }
    }

    /// Without `{n}` in a file output, every boot would replace the last: refused before anything runs.
    @Test func aFileOutputNeedsTheBootNumber() throws {
        try withScratch { dir in
            for args in [
                ["run", "\(guestBuild)/boot-demo.bin", "--repeat", "2", "-o", "\(dir)/same.pt"],
                ["run", "\(guestBuild)/boot-demo.bin", "--repeat", "2", "-o", "\(dir)/{n}.pt", "--log-file", "\(dir)/same.log"],
                ["run", "\(guestBuild)/boot-demo.bin", "--repeat", "2", "-o", "\(dir)/missing/{n}.pt"],
            ] {
                let r = try porttrace(args)
                #expect(r.status == 2, "\(args): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
            // A device shared by every boot is fine (made here, never the host's /dev).
            if geteuid() == 0 && kvmMissing == nil {
                #expect(mknod("\(dir)/null", S_IFCHR | 0o666, deviceNumber(1, 3)) == 0)
                let r = try porttrace([
                    "run", "\(guestBuild)/boot-demo.bin", "--repeat", "2", "-o", "\(dir)/{n}.pt", "--log-file", "\(dir)/null",
                ])
                #expect(r.status == 0, "\(r.stderr)")
            }
        }
    }

    /// A guest that faults: every boot runs, and the series ends with status 1.
    @Test(.enabled(if: kvmMissing == nil, "\(kvmMissing ?? "")")) func failedBootsMakeTheSeriesFail() throws {
        try withScratch { dir in
            let r = try porttrace(["run", "\(guestBuild)/triple.bin", "--mode", "protected", "--repeat", "2", "-o", "\(dir)/{n}.pt"])
            #expect(r.status == 1, "\(r.stderr)")
            #expect(FileManager.default.fileExists(atPath: "\(dir)/2.pt"))
            #expect(r.stderr.contains("boot 1 of 2") && r.stderr.contains("FAILED"), "\(r.stderr)")
            #expect(r.stderr.contains("2 boots, 2 failed"), "\(r.stderr)")
        }
    }

    /// Ctrl-C in the middle of a series: the current trace is closed cleanly, the series stops, 130.
    @Test(.enabled(if: kvmMissing == nil, "\(kvmMissing ?? "")")) func interruptingASeries() throws {
        try withScratch { dir in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: porttraceBinary())
            p.arguments = ["run", "\(guestBuild)/spin.bin", "--repeat", "5", "-o", "\(dir)/{n}.pt", "--log-file", "\(dir)/{n}.log"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            try waitForEvents(in: "\(dir)/1.pt", atLeast: 2)
            kill(p.processIdentifier, SIGINT)
            p.waitUntilExit()
            #expect(p.terminationStatus == 130)
            #expect(try porttrace(["verify", "\(dir)/1.pt"]).status == 0)
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/2.pt"))
        }
    }

    /// record: `--until` a POST code stops each VMM (a `porttrace run` of the spinning guest,
    /// recorded through tracefs); a VMM that fails among good ones makes the series fail after
    /// all boots; Ctrl-C stops the series.
    @Test(.enabled(if: recordUnavailable == nil, "\(recordUnavailable ?? "")")) func recordRepeats() throws {
        try withScratch { dir in
            let vmm = [
                porttraceBinary(), "run", "\(guestBuild)/spin.bin", "--no-trace", "--log-file", "\(dir)/vmm.log", "--timeout", "60s",
            ]
            let r = try porttrace(["record", "--repeat", "2", "--until", "0x43", "-o", "\(dir)/{n}.pt", "--"] + vmm)
            #expect(r.status == 0, "\(r.stderr)")
            for n in 1...2 {
                let dump = try porttrace(["dump", "\(dir)/\(n).pt"])
                #expect(dump.out.contains(#"marker boot_ended "until: POST code 0x43""#), "\(dump.out.suffix(300))")
            }
            // The second of three boots fails (its VMM exits 3): the others run, status 1.
            try Data("0".utf8).write(to: URL(fileURLWithPath: "\(dir)/count"))
            let flaky = """
                n=$(cat '\(dir)/count'); echo $((n + 1)) > '\(dir)/count'
                [ "$n" = 1 ] && exit 3
                exec '\(porttraceBinary())' run '\(guestBuild)/boot-demo.bin' --no-trace --debug-console off
                """
            let f = try porttrace(["record", "--repeat", "3", "-o", "\(dir)/f{n}.pt", "--", "/bin/bash", "-c", flaky])
            #expect(f.status == 1, "\(f.stderr)")
            #expect(f.stderr.contains("boot 2 of 3") && f.stderr.contains("FAILED: the VMM exited with status 3"), "\(f.stderr)")
            #expect(f.stderr.contains("3 boots, 1 failed"), "\(f.stderr)")
            let boots = try porttrace(["export", "--table", "boots", "--format", "jsonl", "\(dir)/f1.pt", "\(dir)/f2.pt"])
            #expect(boots.out.contains(#""failed":false"#) && boots.out.contains(#""failed":true"#), "\(boots.out)")
            // A boot that runs past --boot-timeout is stopped and counted as failed.
            let t = try porttrace(["record", "--boot-timeout", "1s", "-o", "\(dir)/t.pt", "--"] + vmm)
            #expect(t.status == 1, "\(t.stderr)")
            #expect(try porttrace(["timeline", "\(dir)/t.pt"]).out.contains("the recording ended: timeout"))
        }
    }

    /// `--until` a console mark: QEMU and SeaBIOS, stopped when SeaBIOS tries to boot.
    @Test(
        .enabled(if: recordUnavailable == nil, "\(recordUnavailable ?? "")"),
        .enabled(if: qemuBinary != nil, "qemu-system-x86_64 is not installed"))
    func recordUntilAConsoleMark() throws {
        try withScratch { dir in
            let start = ContinuousClock.now
            let r = try porttrace([
                "record", "--until", "^Booting from ", "-o", "\(dir)/q.pt", "--", qemuBinary!, "-accel", "kvm", "-display", "none",
                "-nodefaults", "-m", "64", "-chardev", "file,id=dbg,path=\(dir)/d.log", "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            let t = try porttrace(["timeline", "\(dir)/q.pt"])
            #expect(t.out.contains("the recording ended: until: firmware debug printed a line matching '^Booting from '"), "\(t.out)")
            // Stopped there, not 60 s later when SeaBIOS retries the boot.
            #expect(ContinuousClock.now - start < .seconds(45))
            let log = try String(contentsOfFile: "\(dir)/d.log", encoding: .utf8)
            #expect(log.contains("Booting from"))
        }
    }
}

/// Waits (up to two minutes) until a trace being written holds `atLeast` readable events.
func waitForEvents(in trace: String, atLeast: Int) throws {
    let deadline = ContinuousClock.now + .seconds(120)
    while ContinuousClock.now < deadline {
        if FileManager.default.fileExists(atPath: trace),
            try porttrace(["dump", "--format", "jsonl", trace]).out.split(separator: "\n").count >= atLeast
        {
            return
        }
        Thread.sleep(forTimeInterval: 0.05)
    }
}
