import Foundation
import Testing

@testable import Analysis

/// A seeded generator for tests: the seed is printed with every failure, and
/// `PORTTRACE_TEST_SEED=N` replays it.
struct SeededGenerator: RandomNumberGenerator {
    let seed: UInt64
    private var state: UInt64

    init() {
        let given = ProcessInfo.processInfo.environment["PORTTRACE_TEST_SEED"].flatMap { UInt64($0) }
        self.init(seed: given ?? UInt64.random(in: 0...UInt64.max))
    }

    init(seed: UInt64) {
        self.seed = seed
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Peak resident memory of this process, in bytes (VmHWM), where /proc tells it.
func peakResidentBytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return nil }
    return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
}

struct EditScriptTests {
    /// The length of a longest common subsequence, by dynamic programming (the reference).
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

    /// Checks that `edits` turns `a` into `b`, accounting for every element once, in order; returns the kept count.
    func kept(_ edits: [Edit], _ a: [Int], _ b: [Int], _ note: String) -> Int {
        var ai = 0
        var bi = 0
        var kept = 0
        for e in edits {
            switch e {
            case .keep(let i, let j):
                #expect(i == ai && j == bi && a[i] == b[j], "\(note)")
                ai += 1
                bi += 1
                kept += 1
            case .remove(let i):
                #expect(i == ai, "\(note)")
                ai += 1
            case .insert(let j):
                #expect(j == bi, "\(note)")
                bi += 1
            }
        }
        #expect(ai == a.count && bi == b.count, "\(note)")
        return kept
    }

    @Test func scriptsAreValidAndShortest() {
        var rng = SeededGenerator()
        for round in 0..<2000 {
            let alphabet = [1, 2, 4, 30][round % 4]
            let a = (0..<Int.random(in: 0...40, using: &rng)).map { _ in Int.random(in: 0...alphabet, using: &rng) }
            var b = a
            if round % 3 == 0 {
                b = (0..<Int.random(in: 0...40, using: &rng)).map { _ in Int.random(in: 0...alphabet, using: &rng) }
            } else {
                for _ in 0..<Int.random(in: 0...8, using: &rng) {
                    switch Int.random(in: 0...2, using: &rng) {
                    case 0 where !b.isEmpty: b.remove(at: Int.random(in: 0..<b.count, using: &rng))
                    case 1: b.insert(Int.random(in: 0...alphabet, using: &rng), at: Int.random(in: 0...b.count, using: &rng))
                    default: if !b.isEmpty { b[Int.random(in: 0..<b.count, using: &rng)] = Int.random(in: 0...alphabet, using: &rng) }
                    }
                }
            }
            let note = "seed \(rng.seed), round \(round): \(a) -> \(b)"
            #expect(kept(EditScript.diff(a, b), a, b, note) == lcs(a, b), "\(note)")
        }
    }

    /// Blocks are in order, disjoint, and separated by equal runs of the same length on both sides.
    @Test func blocksDescribeTheScript() {
        var rng = SeededGenerator()
        for round in 0..<500 {
            let a = (0..<Int.random(in: 0...30, using: &rng)).map { _ in Int.random(in: 0...3, using: &rng) }
            let b = (0..<Int.random(in: 0...30, using: &rng)).map { _ in Int.random(in: 0...3, using: &rng) }
            let blocks = EditScript.align(a, b)!
            var i = 0
            var j = 0
            for block in blocks {
                #expect(block.a.lowerBound - i == block.b.lowerBound - j, "seed \(rng.seed), round \(round)")
                #expect(!block.a.isEmpty || !block.b.isEmpty)
                #expect(Array(a[i..<block.a.lowerBound]) == Array(b[j..<block.b.lowerBound]))
                i = block.a.upperBound
                j = block.b.upperBound
            }
            #expect(Array(a[i...]) == Array(b[j...]), "seed \(rng.seed), round \(round)")
        }
    }

    /// Past the work limit the answer is "not aligned", never a silently longer script.
    @Test func overTheWorkLimitAlignmentGivesUp() {
        var rng = SeededGenerator()
        let a = (0..<4000).map { _ in Int.random(in: 0...1, using: &rng) }
        let b = (0..<4000).map { _ in Int.random(in: 0...1, using: &rng) }
        #expect(EditScript.align(a, b, workLimit: 10_000) == nil, "seed \(rng.seed)")
        #expect(EditScript.align(a, b) != nil, "seed \(rng.seed)")
        // Between a common prefix and suffix, the middle is removed and inserted whole.
        let edits = EditScript.diff(Array(0..<50) + [7], Array(100..<150) + [7], workLimit: 1)
        #expect(edits.count == 101)
        // Elements found nowhere in the other sequence cost no search at all.
        #expect(EditScript.align(Array(0..<50_000), Array(100_000..<150_000), workLimit: 10)?.count == 1)
    }

    /// Linear space: 20,000 lines against 22,000 with about 6,000 differences scattered in
    /// them; the version that kept a frontier per edit needed over half a gigabyte for this.
    @Test func largeInputsAlignInBoundedMemory() throws {
        var rng = SeededGenerator()
        let a = (0..<20_000).map { _ in UInt64.random(in: 0..<40, using: &rng) }
        var b = a
        for _ in 0..<2_000 {
            b[Int.random(in: 0..<b.count, using: &rng)] = UInt64.random(in: 0..<40, using: &rng)
            b.insert(UInt64.random(in: 0..<40, using: &rng), at: Int.random(in: 0...b.count, using: &rng))
        }
        // The process's peak so far: what the alignment adds to it is at most its own use (the
        // check is loose when an earlier test set a higher peak, never wrong).
        let before = try #require(peakResidentBytes(), "this system reports no peak resident size")
        let blocks = EditScript.align(a, b)
        #expect(blocks != nil, "seed \(rng.seed)")
        let after = try #require(peakResidentBytes())
        #expect(after - before < 64 << 20, "grew by \(after - before) bytes; seed \(rng.seed)")
    }

    /// Hunks as GNU diff -u writes them, on texts whose alignment is unique (no repeated lines).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/diff"), "diff is not installed"))
    func unifiedDiffMatchesGNUDiff() throws {
        var rng = SeededGenerator()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-udiff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for round in 0..<120 {
            var a = (0..<Int.random(in: 0...60, using: &rng)).map { "line \($0)" }
            var b = a
            for k in 0..<Int.random(in: 0...6, using: &rng) {
                switch Int.random(in: 0...2, using: &rng) {
                case 0 where !b.isEmpty: b.remove(at: Int.random(in: 0..<b.count, using: &rng))
                case 1: b.insert("new \(round).\(k)", at: Int.random(in: 0...b.count, using: &rng))
                default: if !b.isEmpty { b[Int.random(in: 0..<b.count, using: &rng)] = "changed \(round).\(k)" }
                }
            }
            if round == 0 {
                a = []
                b = ["only"]
            }
            let gnu = try gnuDiff(a.map { $0 + "\n" }.joined(), b.map { $0 + "\n" }.joined(), in: dir)
            #expect(UnifiedDiff.lines(a, b, nameA: "a", nameB: "b") == gnu, "seed \(rng.seed), round \(round)")
        }
    }

    /// `diff -u --label a --label b` of two texts, as lines.
    func gnuDiff(_ a: String, _ b: String, in dir: URL) throws -> [String] {
        try a.write(to: dir.appendingPathComponent("a"), atomically: true, encoding: .utf8)
        try b.write(to: dir.appendingPathComponent("b"), atomically: true, encoding: .utf8)
        let out = try runProcess(
            "/usr/bin/diff",
            ["-u", "--label", "a", "--label", "b", dir.appendingPathComponent("a").path, dir.appendingPathComponent("b").path])
        return out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
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
