import Foundation
import Testing

/// The output-path rules (README "Where output goes"): every kind of path, with every kind of
/// output. The special files are made here, in a temporary folder: never the host's `/dev`.
@Suite(.serialized) struct OutputPathTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let demo = repo + "/traces/boot-demo.pt"

    /// An output of a command: the arguments that send it to PATH, and text the output holds.
    struct Slot: CustomTestStringConvertible, Sendable {
        var name: String
        var args: @Sendable (String) -> [String]
        var holds: String
        /// Guest output (log, console, event rows): a new file gets mode 0600; else 0666 - umask.
        var guestData: Bool
        var testDescription: String { name }
    }

    static let slots: [Slot] = [
        Slot(name: "timeline -o", args: { ["timeline", demo, "-o", $0] }, holds: "Startup finished", guestData: false),
        Slot(name: "diff -o", args: { ["diff", demo, demo, "-o", $0] }, holds: "SAME", guestData: false),
        Slot(name: "stats -o", args: { ["stats", demo, "-o", $0] }, holds: "all: 1 boot", guestData: false),
        Slot(
            name: "export phases -o", args: { ["export", demo, "--table", "phases", "-o", $0] }, holds: "schema_version,trace_key",
            guestData: false),
        Slot(
            name: "export events -o", args: { ["export", demo, "--table", "events", "-o", $0] }, holds: "schema_version,trace_key",
            guestData: true),
        Slot(
            name: "replay --log-file",
            args: { ["replay", demo, "-vv", "--log-file", $0, "--serial", "off", "--debug-console", "off", "--firmware-debug", "off"] },
            holds: "[Debug I/O port: Kernel code 0x40]", guestData: true),
        Slot(
            name: "replay --serial file=",
            args: { ["replay", demo, "--serial", "file=\($0)", "--debug-console", "off", "--firmware-debug", "off"] },
            holds: "kernel", guestData: true),
    ]

    /// The command's exit status and stderr, run by bash so a test can redirect it.
    static func run(_ args: [String], shell suffix: String = "") throws -> RunResult {
        let quoted = args.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return try runProcess("/bin/bash", ["-c", "umask 022; '\(porttraceBinary())' \(quoted) \(suffix)"])
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    static func type(_ path: String) throws -> FileAttributeType? {
        try FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType
    }

    static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test(arguments: slots) func aNewFileGetsItsMode(slot: Slot) throws {
        try withScratch { dir in
            let r = try Self.run(slot.args("\(dir)/new.out"))
            #expect(r.status == 0, "\(r.stderr)")
            #expect(Self.text("\(dir)/new.out").contains(slot.holds))
            #expect(try Self.mode("\(dir)/new.out") == (slot.guestData ? 0o600 : 0o644))
            // Nothing else is left in the folder (no temporary).
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["new.out"])
        }
    }

    @Test(arguments: slots) func aReplacedFileKeepsItsModeAndOwner(slot: Slot) throws {
        try withScratch { dir in
            let path = "\(dir)/old.out"
            try Data("old contents\n".utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
            if geteuid() == 0 { #expect(chown(path, 65534, 65534) == 0) }
            let r = try Self.run(slot.args(path))
            #expect(r.status == 0, "\(r.stderr)")
            #expect(Self.text(path).contains(slot.holds))
            #expect(!Self.text(path).contains("old contents"))
            #expect(try Self.mode(path) == 0o640)
            if geteuid() == 0 {
                let attributes = try FileManager.default.attributesOfItem(atPath: path)
                #expect(attributes[.ownerAccountID] as? Int == 65534)
                #expect(attributes[.groupOwnerAccountID] as? Int == 65534)
            }
        }
    }

    @Test(arguments: slots) func aSymbolicLinkStaysALink(slot: Slot) throws {
        try withScratch { dir in
            try Data("old\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/target"))
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/link", withDestinationPath: "target")
            let r = try Self.run(slot.args("\(dir)/link"))
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try Self.type("\(dir)/link") == .typeSymbolicLink)
            #expect(Self.text("\(dir)/target").contains(slot.holds))
            // A link whose target does not exist yet: the target is created, as `>` does.
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/dangling", withDestinationPath: "created")
            let d = try Self.run(slot.args("\(dir)/dangling"))
            #expect(d.status == 0, "\(d.stderr)")
            #expect(try Self.type("\(dir)/dangling") == .typeSymbolicLink)
            #expect(Self.text("\(dir)/created").contains(slot.holds))
        }
    }

    @Test(.enabled(if: geteuid() == 0, "mknod needs root"), arguments: slots)
    func aDeviceIsWrittenInPlace(slot: Slot) throws {
        try withScratch { dir in
            let null = "\(dir)/null"
            #expect(mknod(null, S_IFCHR | 0o620, deviceNumber(1, 3)) == 0)
            #expect(chmod(null, 0o620) == 0)
            let r = try Self.run(slot.args(null))
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try Self.type(null) == .typeCharacterSpecial)
            #expect(try Self.mode(null) == 0o620)
            // A full device: status 2, one line naming the path; the device stays.
            let full = "\(dir)/full"
            #expect(mknod(full, S_IFCHR | 0o666, deviceNumber(1, 7)) == 0)
            let f = try Self.run(slot.args(full))
            #expect(f.status == 2, "\(f.stderr)")
            #expect(f.stderr.split(separator: "\n").count == 1, "\(f.stderr)")
            #expect(f.stderr.contains(full) && f.stderr.contains("No space left on device"), "\(f.stderr)")
            #expect(try Self.type(full) == .typeCharacterSpecial)
        }
    }

    @Test(arguments: slots) func aFIFOIsWrittenInPlace(slot: Slot) throws {
        try withScratch { dir in
            let fifo = "\(dir)/fifo"
            #expect(mkfifo(fifo, 0o600) == 0)
            // The reader copies what comes through to a file.
            let quoted = slot.args(fifo).map { "'\($0)'" }.joined(separator: " ")
            let r = try runProcess(
                "/bin/bash", ["-c", "cat '\(fifo)' > '\(dir)/read' & '\(porttraceBinary())' \(quoted); status=$?; wait; exit $status"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try Self.type(fifo) != .typeRegular)
            #expect(Self.text("\(dir)/read").contains(slot.holds))
        }
    }

    @Test(arguments: slots) func inheritedDescriptorsAreUsedAsTheShellSetThemUp(slot: Slot) throws {
        try withScratch { dir in
            // `/dev/stdout` appends where the shell's `>>` said.
            try Data("first line\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/appended"))
            let a = try Self.run(slot.args("/dev/stdout"), shell: ">> '\(dir)/appended'")
            #expect(a.status == 0, "\(a.stderr)")
            let appended = Self.text("\(dir)/appended")
            #expect(appended.hasPrefix("first line\n") && appended.contains(slot.holds))
            // A process substitution (`/dev/fd/63`).
            let quoted = slot.args("PLACE").map { "'\($0)'" }.joined(separator: " ")
                .replacingOccurrences(of: "'PLACE'", with: ">(cat > '\(dir)/substituted')")
                .replacingOccurrences(of: "'file=PLACE'", with: "file=>(cat > '\(dir)/substituted')")
            let s = try runProcess("/bin/bash", ["-c", "'\(porttraceBinary())' \(quoted); status=$?; sleep 0.2; exit $status"])
            #expect(s.status == 0, "\(s.stderr)")
            #expect(Self.text("\(dir)/substituted").contains(slot.holds))
            // `-` is standard output.
            let d = try Self.run(slot.args("-"))
            #expect(d.status == 0, "\(d.stderr)")
            #expect(d.out.contains(slot.holds))
        }
    }

    @Test(arguments: slots) func unusablePathsAreRefused(slot: Slot) throws {
        try withScratch { dir in
            for (path, why) in [(dir, "is a directory"), ("\(dir)/missing/out", "no such directory")] {
                let r = try Self.run(slot.args(path))
                #expect(r.status == 2, "\(path): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(why), "\(r.stderr)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        }
    }

    /// An output that is an input, or two outputs on one file, is refused before anything is written.
    @Test func outputsNeverOverwriteInputsOrEachOther() throws {
        try withScratch { dir in
            let trace = "\(dir)/t.pt"
            try FileManager.default.copyItem(atPath: Self.demo, toPath: trace)
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/alias.pt", withDestinationPath: "t.pt")
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/link-to-same", withDestinationPath: "same")
            let before = try Data(contentsOf: URL(fileURLWithPath: trace))
            let dump = try porttrace(["dump", trace, "--format", "jsonl", "--header"])
            try dump.stdout.write(to: URL(fileURLWithPath: "\(dir)/t.jsonl"))
            for args in [
                ["timeline", trace, "-o", trace], ["timeline", trace, "-o", "\(dir)/alias.pt"], ["diff", Self.demo, trace, "-o", trace],
                ["stats", trace, "-o", "\(dir)/alias.pt"], ["export", trace, "--table", "events", "-o", trace],
                ["replay", trace, "--log-file", trace], ["replay", trace, "--out-dir", dir, "--log-file", "\(dir)/x"],
                ["import", "\(dir)/t.jsonl", "-o", "\(dir)/t.jsonl"],
                ["replay", trace, "--log-file", "\(dir)/same", "--serial", "file=\(dir)/same"],
                ["replay", trace, "--serial", "file=\(dir)/link-to-same", "--debug-console", "file=\(dir)/same"],
            ] {
                let r = try porttrace(args)
                #expect(r.status == 2, "\(args): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
                #expect(
                    r.stderr.contains("is also an input") || r.stderr.contains("same file") || r.stderr.contains("--out-dir"), "\(r.stderr)"
                )
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: trace)) == before)
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/same"))
            // Outputs that are not regular files may be shared.
            #expect(mkfifo("\(dir)/fifo", 0o600) == 0)
            let shared = try runProcess(
                "/bin/bash",
                [
                    "-c",
                    "cat '\(dir)/fifo' > /dev/null & '\(porttraceBinary())' replay '\(trace)' -vv --log-file '\(dir)/fifo' --serial 'file=\(dir)/fifo'; s=$?; wait; exit $s",
                ])
            #expect(shared.status == 0, "\(shared.stderr)")
        }
    }

    /// Traces are regular files: anything else is refused before anything is opened or started.
    @Test func tracesAreWrittenOnlyToRegularFiles() throws {
        try withScratch { dir in
            let dump = try porttrace(["dump", Self.demo, "--format", "jsonl", "--header"])
            try dump.stdout.write(to: URL(fileURLWithPath: "\(dir)/t.jsonl"))
            #expect(mkfifo("\(dir)/fifo", 0o600) == 0)
            var refused = ["-", "\(dir)/fifo", dir]
            if geteuid() == 0 {
                #expect(mknod("\(dir)/null", S_IFCHR | 0o666, deviceNumber(1, 3)) == 0)
                refused.append("\(dir)/null")
            }
            for path in refused {
                var commands = [["import", "\(dir)/t.jsonl", "-o", path]]
                if captureBuilt && kvmMissing == nil {
                    commands.append(["run", "\(guestBuild)/boot-demo.bin", "-o", path, "--log-file", "\(dir)/log"])
                }
                if captureBuilt && geteuid() == 0 { commands.append(["record", "-o", path, "--", "/bin/true"]) }
                for args in commands {
                    let r = try porttrace(args)
                    #expect(r.status == 2, "\(args): \(r.stderr)")
                    #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
                }
            }
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/log"))
            if geteuid() == 0 { #expect(try Self.type("\(dir)/null") == .typeCharacterSpecial) }
            // Through a symbolic link: the link stays, its target is the trace.
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/link.pt", withDestinationPath: "real.pt")
            let r = try porttrace(["import", "\(dir)/t.jsonl", "-o", "\(dir)/link.pt"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try Self.type("\(dir)/link.pt") == .typeSymbolicLink)
            #expect(try porttrace(["verify", "\(dir)/real.pt"]).status == 0)
            #expect(try Self.mode("\(dir)/real.pt") == 0o600)
        }
    }

    /// A failed import leaves what was at its path before.
    @Test func aFailedImportLeavesTheOldTrace() throws {
        try withScratch { dir in
            let keep = "\(dir)/keep.pt"
            try FileManager.default.copyItem(atPath: Self.demo, toPath: keep)
            let before = try Data(contentsOf: URL(fileURLWithPath: keep))
            var lines = String(decoding: try porttrace(["dump", Self.demo, "--format", "jsonl"]).stdout, as: UTF8.self)
            lines += "{\"t_ns\": 5, \"this is\": \"not an event\"}\n"
            try Data(lines.utf8).write(to: URL(fileURLWithPath: "\(dir)/bad.jsonl"))
            let r = try porttrace(["import", "\(dir)/bad.jsonl", "-o", keep])
            #expect(r.status == 2, "\(r.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: keep)) == before)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["bad.jsonl", "keep.pt"])
        }
    }

    /// A reader that closes stdout early ends the command with the status it had reached: the
    /// verdict does not depend on how much of the report fit in the pipe.
    @Test func aClosedPipeKeepsTheVerdict() throws {
        let variant = Self.repo + "/traces/boot-demo-variant.pt"
        for (args, status) in [
            (["diff", Self.demo, variant], Int32(1)), (["diff", Self.demo, Self.demo], 0),
            (["diff", Self.demo, variant, "--format", "json"], 1),
        ] {
            let r = try Self.run(args, shell: "| head -c 1 > /dev/null; exit ${PIPESTATUS[0]}")
            #expect(r.status == status, "\(args): \(r.stderr)")
            #expect(r.stderr.isEmpty, "\(args): \(r.stderr)")
        }
    }
}

/// A device number as `makedev(3)` makes it (Linux's encoding, for majors below 4096 and minors below 256).
func deviceNumber(_ major: UInt32, _ minor: UInt32) -> dev_t { dev_t(major << 8 | minor) }

/// Runs `body` with a new temporary folder, and removes the folder after.
func withScratch<T>(_ body: (String) throws -> T) throws -> T {
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try body(dir)
}
