import Foundation
import Testing

/// Issue 21 §3 on real recordings: `diff` judges behaviour; times decide only with `--times`.
@Suite(.serialized) struct DiffVerdictCLITests {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("traces")

    static func trace(_ name: String) -> String { traces.appendingPathComponent(name).path }

    /// The changed lines (`-` and `+`, not the file names) of one output in a JSON report.
    static func changedLines(_ r: RunResult, output: String) throws -> [String] {
        let root = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        let outputs = try #require(root["outputs"] as? [[String: Any]])
        let diff = outputs.first { $0["output"] as? String == output }?["diff"] as? [String] ?? []
        return diff.filter { ($0.hasPrefix("-") || $0.hasPrefix("+")) && !$0.hasPrefix("---") && !$0.hasPrefix("+++") }
    }

    static func reasons(_ r: RunResult) throws -> [String] {
        let root = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        return root["reasons"] as? [String] ?? []
    }

    /// Two boots of one Debian kernel, same command line, at different speeds: with the printk
    /// times masked, the consoles differ in one kernel line and in two blank lines SeaBIOS's
    /// second clear-screen left in one boot only. Times differ by seconds and decide nothing.
    @Test func twoLinuxBootsDifferWhereTheirConsolesDo() throws {
        let a = Self.trace("linux-boot.pt")
        let b = Self.trace("linux-boot-2.pt")
        let json = try porttrace(["diff", a, b, "--format", "json"])
        #expect(json.status == 1, "\(json.stderr)")
        #expect(try Self.reasons(json) == ["regenerated output differs: vmm log, serial"])
        let serial = try Self.changedLines(json, output: "serial")
        let linux =
            "[    0.000000] Linux version 6.1.0-57-cloud-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)\\r"
        #expect(
            serial == [
                "-\u{1b}c\u{1b}[?7l\u{1b}[2J", "-", "-" + linux, "+\u{1b}c\u{1b}[?7l\u{1b}[2J" + linux,
                "-[    0.001633] kvm-clock: using sched offset of 158341127873 cycles\\r",
                "+[    0.001427] kvm-clock: using sched offset of 130566426365 cycles\\r",
            ], "\(serial)")
        // A mask of the user's takes the kernel line out; the blank lines stay (they are real bytes).
        let masked = try porttrace(["diff", a, b, "--format", "json", "--mask", "sched offset of [0-9]+ cycles"])
        #expect(try Self.changedLines(masked, output: "serial").count == 4)
        // Exact consoles: every kernel line differs by its time.
        let exact = try porttrace(["diff", a, b, "--format", "json", "--no-printk-mask"])
        #expect(try Self.changedLines(exact, output: "serial").count > 150)

        // The text report is small, names its masks and keeps the times out of the verdict.
        let text = try porttrace(["diff", a, b, "--color", "never"])
        #expect(text.status == 1)
        let lines = text.out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count < 150, "\(lines.count) lines")
        #expect(lines[1] == "DIFFERENT" && lines[2] == "  - regenerated output differs: vmm log, serial", "\(text.out)")
        #expect(text.out.contains("not judged (times decide only with --times):\n  - the boot took 4.348s against 5.720s\n"))
        #expect(
            text.out.contains(
                "masks: VMM log times; repeated POST code lines folded in the VMM log (5 lines in a, 5 in b); printk time on the consoles (111 lines in a, 110 in b)\n"
            ), "\(text.out)")
        #expect(text.out.contains("   0x0 Firmware x6  VM start       4.348s  5.720s  +1.372s (+31.6%)  *\n"), "\(text.out)")
        #expect(text.out.contains("note: in both traces the consoles kept printing long after the last POST code"))
        #expect(
            text.out.contains(
                "vmm log: line numbers count the log with the lines of a repeated POST code folded into the first (5 folded in a, 5 in b)"))
        // With --times the time is a reason too.
        let timed = try porttrace(["diff", a, b, "--format", "json", "--times"])
        #expect(try Self.reasons(timed).contains("the boot took 4.348s against 5.720s"))
    }

    /// The checked-in demo boot and the same boot slower by half (times scaled, behaviour the
    /// same): SAME without --times, DIFFERENT with it.
    @Test func oneBuildAtTwoSpeedsIsTheSameUnlessTimesAreJudged() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dump = try porttrace(["dump", "--format", "jsonl", "--header", Self.trace("boot-demo.pt")])
        #expect(dump.status == 0, "\(dump.stderr)")
        var lines = dump.out.split(separator: "\n").map(String.init)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let vmStart = try #require((header["header"] as? [String: Any])?["vm_start_ns"] as? Int64)
        let time = try NSRegularExpression(pattern: #"^\{"t_ns":([0-9]+),"#)
        for i in lines.indices.dropFirst() {
            let line = lines[i]
            guard let m = time.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)),
                let r = Range(m.range(at: 1), in: line), let t = Int64(line[r]), t > vmStart
            else { continue }
            lines[i] = line.replacingCharacters(in: r, with: String(vmStart + (t - vmStart) * 3 / 2))
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: "\(dir)/slow.jsonl"))
        let imported = try porttrace(["import", "--format", "jsonl", "\(dir)/slow.jsonl", "-o", "\(dir)/slow.pt"])
        #expect(imported.status == 0, "\(imported.stderr)")

        let same = try porttrace(["diff", Self.trace("boot-demo.pt"), "\(dir)/slow.pt", "--color", "never"])
        #expect(same.status == 0, "\(same.out)")
        #expect(
            same.out.contains("SAME\nnot judged (times decide only with --times):\n  - the boot took 93.3ms against 140.0ms"), "\(same.out)"
        )
        let timed = try porttrace(["diff", Self.trace("boot-demo.pt"), "\(dir)/slow.pt", "--times", "--color", "never"])
        #expect(timed.status == 1)
        #expect(timed.out.contains("DIFFERENT (times judged: --times)\n  - the boot took 93.3ms against 140.0ms"), "\(timed.out)")
        // --ignore wins over --times.
        #expect(try porttrace(["diff", Self.trace("boot-demo.pt"), "\(dir)/slow.pt", "--times", "--ignore", "times"]).status == 0)
    }

    /// Two real runs of one build: the same whatever their times; with --times and no
    /// tolerance at all, no two runs are alike.
    @Test(.enabled(if: captureBuilt && kvmMissing == nil, "needs porttrace run and /dev/kvm"))
    func twoRunsOfOneBuildAreTheSame() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let guest = Self.traces.deletingLastPathComponent().appendingPathComponent("Guests/build/boot-demo.bin").path
        for n in 1...2 {
            let r = try porttrace(["run", guest, "-o", "\(dir)/\(n).pt", "--debug-console", "file=\(dir)/\(n).console"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let same = try porttrace(["diff", "\(dir)/1.pt", "\(dir)/2.pt", "--color", "never"])
        #expect(same.status == 0, "\(same.stderr)\n\(same.out)")
        #expect(same.out.contains("\nSAME"))
        let strict = try porttrace(["diff", "\(dir)/1.pt", "\(dir)/2.pt", "--times", "--tolerance", "0%,0ns"])
        #expect(strict.status == 1, "\(strict.out)")
    }

    /// Two builds with different codes differ for their behaviour, not their times.
    @Test func twoBuildsDifferInBehaviour() throws {
        let r = try porttrace(["diff", Self.trace("boot-demo.pt"), Self.trace("boot-demo-variant.pt"), "--format", "json"])
        #expect(r.status == 1)
        #expect(
            try Self.reasons(r) == ["the POST code sequences differ (2 added, removed or changed)", "regenerated output differs: vmm log"])
        let root = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        #expect((root["not_judged"] as? [String])?.contains { $0.hasPrefix("phase times changed beyond the tolerance") } == true)
    }

    @Test func badMasksAndMisplacedFlagsGetOneLine() throws {
        let a = Self.trace("boot-demo.pt")
        for args in [
            ["diff", a, a, "--mask", "(a"], ["diff", a, a, "--mask", #"(\w)\1"#], ["diff", a, "--against", "v53.0", "--mask", "x"],
            ["diff", a, "--against", "v53.0", "--times"], ["diff", a, "--profiles", "all", "--no-printk-mask"],
        ] {
            let r = try porttrace(args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
        #expect(try porttrace(["diff", a, a, "--mask", "(a"]).stderr.contains("--mask '(a'"))
    }
}
