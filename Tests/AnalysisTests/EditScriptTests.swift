import Foundation
import Testing

@testable import Analysis

struct EditScriptTests {
    /// The length of a longest common subsequence, by dynamic programming.
    func lcs(_ a: [Int], _ b: [Int]) -> Int {
        var row = [Int](repeating: 0, count: b.count + 1)
        for x in a {
            var prev = 0
            for j in 0..<b.count {
                let old = row[j + 1]
                row[j + 1] = x == b[j] ? prev + 1 : max(row[j + 1], row[j])
                prev = old
            }
        }
        return row[b.count]
    }

    @Test func scriptsAreValidAndShortest() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let a = (0..<Int.random(in: 0...30, using: &rng)).map { _ in Int.random(in: 0...4, using: &rng) }
            let b = (0..<Int.random(in: 0...30, using: &rng)).map { _ in Int.random(in: 0...4, using: &rng) }
            let edits = EditScript.diff(a, b)
            // Applying the script to a gives b, and every element of both is accounted for once, in order.
            var rebuilt: [Int] = []
            var ai = 0
            var bi = 0
            for e in edits {
                switch e {
                case .keep(let i, let j):
                    #expect(i == ai && j == bi && a[i] == b[j])
                    rebuilt.append(a[i])
                    ai += 1
                    bi += 1
                case .remove(let i):
                    #expect(i == ai)
                    ai += 1
                case .insert(let j):
                    #expect(j == bi)
                    rebuilt.append(b[j])
                    bi += 1
                }
            }
            #expect(rebuilt == b && ai == a.count && bi == b.count)
            let kept = edits.filter { if case .keep = $0 { return true } else { return false } }.count
            #expect(kept == lcs(a, b), "\(a) \(b)")
        }
    }

    @Test func overTheLimitEverythingIsReplaced() {
        let edits = EditScript.diff(Array(0..<50), Array(100..<150), limit: 10)
        #expect(edits.count == 100)
    }

    /// Hunks as GNU diff -u writes them.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/diff"), "diff is not installed"))
    func unifiedDiffMatchesGNUDiff() throws {
        var rng = SystemRandomNumberGenerator()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-udiff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for round in 0..<60 {
            var a = (0..<Int.random(in: 0...40, using: &rng)).map { "line \($0)" }
            var b = a
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                switch Int.random(in: 0...2, using: &rng) {
                case 0 where !b.isEmpty: b.remove(at: Int.random(in: 0..<b.count, using: &rng))
                case 1: b.insert("new \(round)", at: Int.random(in: 0...b.count, using: &rng))
                default: if !b.isEmpty { b[Int.random(in: 0..<b.count, using: &rng)] = "changed \(round)" }
                }
            }
            if round == 0 {
                a = []
                b = ["only"]
            }
            try (a.map { $0 + "\n" }.joined()).write(to: dir.appendingPathComponent("a"), atomically: true, encoding: .utf8)
            try (b.map { $0 + "\n" }.joined()).write(to: dir.appendingPathComponent("b"), atomically: true, encoding: .utf8)
            let gnu = try runProcess(
                "/usr/bin/diff",
                ["-u", "--label", "a", "--label", "b", dir.appendingPathComponent("a").path, dir.appendingPathComponent("b").path])
            let ours = UnifiedDiff.lines(a, b, nameA: "a", nameB: "b")
            // Hunk boundaries may differ where an edit can be placed two ways; the changes and the headers' counts may not.
            let gnuLines = gnu.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
            #expect(
                ours.filter { $0.hasPrefix("-") || $0.hasPrefix("+") }.count
                    == gnuLines.filter { $0.hasPrefix("-") || $0.hasPrefix("+") }.count)
            #expect(ours.isEmpty == gnuLines.isEmpty)
            if ours.filter({ $0.hasPrefix("@@") }).count == gnuLines.filter({ $0.hasPrefix("@@") }).count {
                #expect(ours == gnuLines, "round \(round)")
            }
        }
    }
}

func runProcess(_ executable: String, _ args: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
