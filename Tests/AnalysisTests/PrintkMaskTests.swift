import Foundation
import Testing

@testable import Analysis

/// The printk prefix, read without a pattern engine, against the pattern that defines it; and the
/// masks of a comparison (`--mask`, the printk default) on real-shaped lines.
struct PrintkMaskTests {
    /// The definition (issue 21): the time, then optionally the caller id.
    static let definition = try! PatternMask(source: #"^\[ *[0-9]+\.[0-9]{6}\] (\[ *[TC][0-9]+\] )?"#).pattern

    static func expected(_ line: [UInt8]) -> Int? { definition.firstMatch(in: line, anchor: .start)?.count }

    @Test func theScannerAgreesWithThePatternOnKnownLines() {
        let cases: [(String, Int?)] = [
            ("[    0.000000] Linux version 6.1", 15),
            ("[    1.843725] ", 15),
            ("[12345678.123456] x", 18),
            ("[0.000000] x", 11),
            ("[    0.000000] [    T1] Linux version", 24),
            ("[    0.000000] [     C0] smp", 25),
            ("[    0.000000] [T123456] x", 25),
            ("[    0.000000] [    T1]x", 15),
            ("[    0.000000] [    X1] x", 15),
            ("[    0.000000] [    T] x", 15),
            ("[    0.000000] [", 15),
            ("[    0.00000] x", nil),
            ("[    0.0000000] x", nil),
            ("[    .000000] x", nil),
            ("[    0.000000]x", nil),
            ("[    0.000000]", nil),
            (" [    0.000000] x", nil),
            ("\u{1b}c[    0.000000] x", nil),
            ("[ a 0.000000] x", nil),
            ("", nil), ("[", nil), ("plain text", nil),
        ]
        for (line, length) in cases {
            let bytes = Array(line.utf8)
            #expect(PrintkPrefixScanner.length(in: bytes) == length, "\(line)")
            #expect(Self.expected(bytes) == length, "the pattern on \(line)")
        }
    }

    /// Random lines made of the prefix's own bytes: the scanner and the pattern agree on every one.
    @Test func theScannerAgreesWithThePatternOnRandomLines() {
        var rng = SeededGenerator()
        let alphabet = Array("[] .0123456789TCx".utf8)
        let pieces = ["[", "    ", "1", "123", ".", "000000", "] ", "[    T1] ", "[ C12] ", "]", " "].map { Array($0.utf8) }
        for _ in 0..<20_000 {
            var line: [UInt8] = []
            for _ in 0..<Int.random(in: 0...8, using: &rng) {
                if Bool.random(using: &rng) {
                    line += pieces.randomElement(using: &rng)!
                } else {
                    line.append(alphabet.randomElement(using: &rng)!)
                }
            }
            #expect(
                PrintkPrefixScanner.length(in: line) == Self.expected(line), "seed \(rng.seed): \(String(decoding: line, as: UTF8.self))")
        }
    }

    /// Masked as the line streams (the prefix alone) or whole (among other masks): the same keys,
    /// however the bytes are cut.
    @Test func streamingAndWholeLineMaskingGiveTheSameKeys() {
        let seed = LineKeySeed()
        let text = Array(
            "[    0.000000] Linux version\r\n[    1.843725] [    T1] x\r\nplain\n\n[ 0.1] no\n[    2.000000] [ C1]\n[    3.000000] tail"
                .utf8)
        let noop = FunctionMask(name: "none") { _ in [] }
        var rng = SeededGenerator()
        for _ in 0..<200 {
            var streamed = ConsoleLineKeyer(seed: seed, masks: [(0, PrintkPrefixMask())], entries: 2)
            var whole = ConsoleLineKeyer(seed: seed, masks: [(0, PrintkPrefixMask()), (1, noop)], entries: 2)
            var keysS: [UInt64] = []
            var keysW: [UInt64] = []
            var at = 0
            while at < text.count {
                let n = Int.random(in: 1...7, using: &rng)
                let chunk = Array(text[at..<min(text.count, at + n)])
                streamed.consume(chunk) { keysS.append($0) }
                whole.consume(chunk) { keysW.append($0) }
                at += n
            }
            streamed.finish { keysS.append($0) }
            whole.finish { keysW.append($0) }
            #expect(keysS == keysW, "seed \(rng.seed)")
            #expect(keysS.count == 7)
            #expect(streamed.matched == [4, 0] && whole.matched == [4, 0])
        }
    }

    /// Kernel lines that differ only in their printk time (and caller id) are the same; the
    /// lines a difference shows are the real ones; `OutputMasks()` compares them exactly.
    @Test func kernelConsolesAreComparedWithTheirTimesMasked() throws {
        let a = Array("[    0.000000] Linux version 6.1\r\n[    0.001633] [    T1] kvm-clock: offset 158\r\n[    0.005411] up\r\n".utf8)
        let b = Array("[    0.000000] Linux version 6.1\r\n[    0.001427] [    T2] kvm-clock: offset 130\r\n[    0.015411] up\r\n".utf8)
        let d = try compareConsoles(a, b)
        let console = try #require(d.outputs.first { $0.name == "debug console" })
        #expect(
            console.hunks.filter { $0.hasPrefix("-[") || $0.hasPrefix("+[") } == [
                "-[    0.001633] [    T1] kvm-clock: offset 158\\r", "+[    0.001427] [    T2] kvm-clock: offset 130\\r",
            ])
        var masks = OutputMasks.standard
        masks.add(try PatternMask(source: #"offset \d+$"#))
        #expect(try compareConsoles(a, b, masks: masks).outputs.isEmpty)
        let exact = try compareConsoles(a, b, masks: OutputMasks())
        #expect(exact.outputs.first?.hunks.filter { $0.hasPrefix("-[") }.count == 2)
    }

    /// `--mask` sees the VMM log's lines too (rendered with their times masked); a record
    /// seen before is not rendered again, and still counted.
    @Test func aPatternMasksTheLog() throws {
        var ta = try OutputTrace(name: "a")
        for _ in 0..<3 { ta.out(0x511, 1) }
        ta.out(0x80, 0x20)
        var tb = try OutputTrace(name: "b")
        for _ in 0..<3 { tb.out(0x512, 1, gap: 5000) }
        tb.out(0x80, 0x20)
        let pa = try ta.close()
        let pb = try tb.close()
        defer { for p in [pa, pb] { try? FileManager.default.removeItem(atPath: p) } }
        #expect(try TraceDiff.compare(pathA: pa, pathB: pb).outputs.map(\.name) == ["vmm log"])
        var masks = OutputMasks.standard
        masks.add(try PatternMask(source: "address 0x[0-9a-f]+$"))
        let d = try TraceDiff.compare(pathA: pa, pathB: pb, masks: masks)
        #expect(d.outputs.isEmpty)
        #expect(d.masks.last?.linesA == 3 && d.masks.last?.linesB == 3)
        // The same records with another code: the line the mask leaves alone differs.
        var tc = try OutputTrace(name: "c")
        for _ in 0..<3 { tc.out(0x512, 1) }
        tc.out(0x80, 0x21)
        let pc = try tc.close()
        defer { try? FileManager.default.removeItem(atPath: pc) }
        let other = try TraceDiff.compare(pathA: pa, pathB: pc, masks: masks)
        #expect(other.outputs.first?.hunks.filter { $0.hasPrefix("-") || $0.hasPrefix("+") }.count == 4)
        // Still different: the ports differ.
        #expect(d.reasons == ["ports appear: out 0x512", "ports disappear: out 0x511"])
    }

    @Test func patternMaskRanges() throws {
        let m = try PatternMask(source: #"\d+"#)
        let line = Array("ab 12 cd 345\r\n".utf8)[2...]
        #expect(m.maskedRanges(in: line) == [3..<5, 9..<12])
        // Empty matches mask nothing, and the search moves on.
        #expect(try PatternMask(source: "x*").maskedRanges(in: Array("axxb".utf8)[...]) == [1..<3])
        #expect(try PatternMask(source: "z$").maskedRanges(in: Array("az\r".utf8)[...]) == [1..<2])
    }
}
