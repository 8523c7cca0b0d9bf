import Foundation
import Testing

/// The README's exit-status table, command by command: what a complete, an unclosed, a damaged
/// and a header-cut trace (and a file that is not a trace) make each command exit with.
@Suite(.serialized) struct ExitStatusTests {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("traces").path

    enum Kind: String, CaseIterable, Sendable { case complete, unclosed, damaged, headerCut, notATrace }

    /// Makes one trace of each kind in `dir`.
    static func make(_ kind: Kind, in dir: String) throws -> String {
        let path = "\(dir)/\(kind.rawValue).pt"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: traces + "/boot-demo.pt"))
        switch kind {
        case .complete: break
        case .unclosed: bytes[16] = 0
        case .damaged:
            // A byte in the middle of the first event block.
            let burst = try Data(contentsOf: URL(fileURLWithPath: traces + "/console-burst.pt"))
            bytes = burst
            bytes[bytes.count / 2] ^= 0xff
        case .headerCut: bytes = bytes.prefix(40)
        case .notATrace: bytes = Data("hello\n".utf8)
        }
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Commands that report on what they read: 0 complete, 1 damaged or unclosed, 2 not a trace.
    static let reading: [(String, @Sendable (String) -> [String])] = [
        ("info", { ["info", $0] }), ("info --json", { ["info", "--json", $0] }), ("dump", { ["dump", $0] }),
        ("replay", { ["replay", $0, "--log-file", scratchOutput()] }), ("verify", { ["verify", $0] }),
        ("timeline", { ["timeline", $0] }), ("export events", { ["export", $0, "--table", "events"] }),
        ("export phases", { ["export", $0, "--table", "phases"] }), ("stats", { ["stats", $0] }),
    ]

    /// Commands that decide: 0 same, 1 different, 2 could not decide (damage); unclosed is a note.
    static let deciding: [(String, @Sendable (String) -> [String])] = [
        ("diff", { ["diff", $0, $0] }),
        // 4 boots a side: fewer cannot reach p < 0.05, which is status 2 whatever the trace.
        ("stats --threshold", { ["stats", "--threshold", "5%", "--baseline", $0, $0, $0, $0, "--candidate", $0, $0, $0, $0] }),
    ]

    @Test(arguments: Kind.allCases) func readingCommands(kind: Kind) throws {
        try withScratch { dir in
            let path = try Self.make(kind, in: dir)
            let expected: Int32 = [.complete: 0, .unclosed: 1, .damaged: 1, .headerCut: 1, .notATrace: 2][kind]!
            for (name, args) in Self.reading {
                let r = try porttrace(args(path))
                #expect(r.status == expected, "\(name) on \(kind): \(r.stderr)")
                if expected == 0 {
                    #expect(r.stderr.isEmpty || name == "replay", "\(name): \(r.stderr)")
                } else {
                    // One line naming the file, after the whole output.
                    // (replay's summary line, for a log that is not on stderr, aside)
                    let lines = r.stderr.split(separator: "\n").filter { !$0.contains("warning") && !$0.hasPrefix("porttrace: replayed ") }
                    #expect(lines.count == 1, "\(name) on \(kind): \(r.stderr)")
                    #expect(r.stderr.contains(path), "\(name) on \(kind): \(r.stderr)")
                }
                if kind == .headerCut { #expect(r.stderr.contains("damaged at"), "\(name): \(r.stderr)") }
            }
        }
    }

    @Test(arguments: Kind.allCases) func decidingCommands(kind: Kind) throws {
        try withScratch { dir in
            let path = try Self.make(kind, in: dir)
            let expected: Int32 = [.complete: 0, .unclosed: 0, .damaged: 2, .headerCut: 2, .notATrace: 2][kind]!
            for (name, args) in Self.deciding {
                let r = try porttrace(args(path))
                #expect(r.status == expected, "\(name) on \(kind): \(r.stderr)")
                switch kind {
                case .complete: #expect(r.stderr.isEmpty, "\(name): \(r.stderr)")
                case .unclosed: #expect(r.stderr.hasPrefix("porttrace: note: \(path): not closed cleanly"), "\(name): \(r.stderr)")
                default:
                    #expect(r.stderr.split(separator: "\n").count == 1, "\(name) on \(kind): \(r.stderr)")
                }
            }
        }
    }

    /// Two different traces: diff says so with 1; a damaged one beside them still makes it 2.
    @Test func aDifferenceIsOneAndDamageWinsOverIt() throws {
        try withScratch { dir in
            let damaged = try Self.make(.damaged, in: dir)
            let a = Self.traces + "/boot-demo.pt"
            let b = Self.traces + "/boot-demo-variant.pt"
            #expect(try porttrace(["diff", a, b]).status == 1)
            let r = try porttrace(["diff", a, damaged])
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.contains("no verdict"), "\(r.stderr)")
        }
    }
}
