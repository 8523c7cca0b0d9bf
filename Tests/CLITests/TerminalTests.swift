import Foundation
import Testing

/// Terminal manners: colour and progress only where a terminal takes them (no-color.org's
/// NO_COLOR, TERM=dumb, --color), progress only after about a second of work. A terminal is a
/// pseudo-terminal from script(1).
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "script(1) is not installed"))
struct TerminalTests {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("traces").path

    /// Runs `command` on a pseudo-terminal (stdout and stderr both on it) with `environment`.
    static func onTerminal(_ command: String, environment: [String: String] = [:]) throws -> RunResult {
        var env = ["TERM": "xterm"]
        for (k, v) in environment { env[k] = v }
        var unset = ["NO_COLOR"]
        if environment["NO_COLOR"] != nil { unset.removeAll() }
        let prefix = unset.map { "unset \($0); " }.joined()
        return try runProcess("/usr/bin/script", ["-qfec", prefix + command, "/dev/null"], environment: env)
    }

    @Test func colourFollowsNoColorTermAndTheFlag() throws {
        let diff = "\(porttraceBinary()) diff \(Self.traces)/boot-demo.pt \(Self.traces)/boot-demo-variant.pt"
        #expect(try Self.onTerminal(diff).out.contains("\u{1b}[31m"))
        let noColor = try Self.onTerminal(diff, environment: ["NO_COLOR": "1"])
        #expect(!noColor.out.contains("\u{1b}["), "\(noColor.out.prefix(200))")
        // An empty NO_COLOR does not count (no-color.org).
        #expect(try Self.onTerminal(diff, environment: ["NO_COLOR": ""]).out.contains("\u{1b}[31m"))
        let dumb = try Self.onTerminal(diff, environment: ["TERM": "dumb"])
        #expect(!dumb.out.contains("\u{1b}["), "\(dumb.out.prefix(200))")
        // --color always wins over NO_COLOR; never wins over a terminal.
        #expect(try Self.onTerminal(diff + " --color always", environment: ["NO_COLOR": "1"]).out.contains("\u{1b}[31m"))
        #expect(!(try Self.onTerminal(diff + " --color never")).out.contains("\u{1b}["))
    }

    /// Thirty copies of a 100,000-event trace: `stats` works for several seconds, so progress
    /// shows (erased before the report); a short trace shows none; TERM=dumb none either.
    @Test func progressAfterASecondOfWork() throws {
        try withScratch { dir in
            var copies: [String] = []
            for i in 0..<30 {
                let path = "\(dir)/burst-\(i).pt"
                try FileManager.default.copyItem(atPath: Self.traces + "/console-burst.pt", toPath: path)
                copies.append(path)
            }
            let stats = "\(porttraceBinary()) stats \(copies.joined(separator: " "))"
            let long = try Self.onTerminal(stats)
            #expect(long.status == 0, "\(long.out)")
            #expect(long.out.contains("\r\u{1b}[Kstats: "), "\(long.out.prefix(300))")
            let dumb = try Self.onTerminal(stats, environment: ["TERM": "dumb"])
            #expect(!dumb.out.contains("\u{1b}"), "\(dumb.out.prefix(300))")
            let short = try Self.onTerminal("\(porttraceBinary()) timeline \(Self.traces)/boot-demo.pt")
            #expect(!short.out.contains("\u{1b}"), "\(short.out.prefix(300))")
            // Not a terminal: nothing on stderr.
            let piped = try porttrace(["stats"] + copies)
            #expect(piped.stderr.isEmpty)
        }
    }
}
