import Foundation
import Patterns
import Testing

/// The one matcher behind every user pattern: RE2's syntax, linear time on any pattern, bytes in
/// UTF-8 mode, safe to share between threads.
struct PatternTests {
    /// Seconds taken by `body`. Only a generous bound is checked here: the real figures come from
    /// the release-build benchmark (`PorttraceBench patterns`, docs/performance.md).
    func seconds(_ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        let d = clock.measure(body)
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    @Test func findsTheFirstMatch() throws {
        let p = try Pattern("Linux version [0-9.]+")
        let line = "[    0.000000] Linux version 6.1.0-18 (debian-kernel@lists.debian.org)"
        let r = try #require(p.firstMatch(in: line))
        #expect(line[r] == "Linux version 6.1.0")
        #expect(p.firstMatch(in: Array(line.utf8)) == 15..<34)
        #expect(p.matches(line))
        #expect(!p.matches("Linux"))
        #expect(p.source == "Linux version [0-9.]+")
    }

    /// Backtracking engines take exponential or quadratic time on these; RE2 is linear.
    @Test func pathologicalPatternsStayLinear() throws {
        let longest = 64 * 1024  // ConsoleTap.longestLine
        let cases: [(pattern: String, text: [UInt8], match: Range<Int>?)] = [
            ("(a+)+$", Array(repeating: UInt8(ascii: "a"), count: 20) + [UInt8(ascii: "b")], nil),
            ("(a+)+$", Array(repeating: UInt8(ascii: "a"), count: longest - 1) + [UInt8(ascii: "b")], nil),
            (" +$", Array(repeating: UInt8(ascii: " "), count: longest - 1) + [UInt8(ascii: "x")], nil),
            (" +$", [UInt8(ascii: "x")] + Array(repeating: UInt8(ascii: " "), count: longest - 1), 1..<longest),
            ("(a|aa)*c", Array(repeating: UInt8(ascii: "a"), count: longest), nil),
            ("(x+x+)+y", Array(repeating: UInt8(ascii: "x"), count: longest), nil),
            ("(.*){1,32}[bc]", Array(repeating: UInt8(ascii: "a"), count: longest), nil),
        ]
        for c in cases {
            let p = try Pattern(c.pattern)
            var found: Range<Int>?
            let s = seconds { found = p.firstMatch(in: c.text) }
            #expect(found == c.match, "\(c.pattern) on \(c.text.count) bytes")
            #expect(s < 2, "\(c.pattern) on \(c.text.count) bytes took \(s) s")
        }
    }

    @Test func replacingIsBoundedToo() throws {
        let line = Array(repeating: UInt8(ascii: "a"), count: 64 * 1024)
        for pattern in ["(a+)+$", "a", "(a|aa)*", " +$"] {
            let p = try Pattern(pattern)
            var out: [UInt8] = []
            let s = seconds { out = p.replacingMatches(in: line, with: Array("#".utf8)) }
            #expect(s < 2, "\(pattern) took \(s) s")
            #expect(out.count <= line.count + 1)
        }
    }

    /// RE2 refuses what it cannot run in linear time (backreferences, lookaround) and what is
    /// malformed, with a one-line reason.
    @Test func badPatternsAreRefusedWithAReason() {
        for (pattern, reason) in [
            ("(a+", "missing ): (a+"), ("a**", "bad repetition operator: **"), (#"(a)\1"#, #"invalid escape sequence: \1"#),
            ("(?=a)", "invalid perl operator: (?="), ("(?<=a)b", "invalid perl operator: (?<"),
            ("[z-a]", "invalid character class range: z-a"),
            ("a{1001}", "invalid repetition size: {1001}"),
        ] {
            #expect(throws: PatternError(pattern: pattern, reason: reason), "\(pattern)") { try Pattern(pattern) }
        }
        #expect(throws: PatternError.self) { try Pattern("((((((((((a{1000}){1000}){1000})))))))))") }
        let e = PatternError(pattern: "(a+", reason: "missing ): (a+")
        #expect(e.description == "not a valid pattern (missing ): (a+)")
    }

    /// The syntax the README states: `\d`, `\w` and `\b` are ASCII; `\pL` and `.` are Unicode;
    /// `(?i)` folds case, Unicode included.
    @Test func syntaxAsDocumented() throws {
        #expect(try Pattern(#"\d+"#).firstMatch(in: Array("x٣42".utf8)) == 3..<5)  // Arabic-Indic three is no \d
        #expect(try Pattern(#"\bcat\b"#).matches("a cat."))
        #expect(!(try Pattern(#"\bcat\b"#).matches("concat")))
        #expect(try Pattern(#"\w+"#).firstMatch(in: Array("é_ab1".utf8)) == 2..<6)
        #expect(try Pattern(#"\pL+"#).firstMatch(in: Array("1éa".utf8)) == 1..<4)
        #expect(try Pattern("(?i)linux VERSION").matches("Linux version"))
        #expect(try Pattern("(?i)é").matches("É"))
        #expect(try Pattern("[[:digit:]]{3}").matches("abc123"))
        #expect(try Pattern(#"\x{263A}"#).matches("smile ☺"))
        #expect(try Pattern("a\u{0}b").matches("xa\u{0}b"))
        #expect(try Pattern("").firstMatch(in: Array("abc".utf8)) == 0..<0)
    }

    @Test func anchorsSeeTheWholeText() throws {
        let text = Array("ab".utf8)
        #expect(try Pattern("^b").firstMatch(in: text, from: 1) == nil)
        #expect(try Pattern("b").firstMatch(in: text, from: 1, anchor: .start) == 1..<2)
        #expect(try Pattern("b").firstMatch(in: text, from: 0, anchor: .start) == nil)
        #expect(try Pattern("a").firstMatch(in: text, anchor: .both) == nil)
        #expect(try Pattern("ab").firstMatch(in: text, anchor: .both) == 0..<2)
        #expect(try Pattern("b").firstMatch(in: text, from: 3) == nil)
        #expect(try Pattern("b").firstMatch(in: text, from: -1) == nil)
        #expect(try Pattern("$").firstMatch(in: text, from: 2) == 2..<2)
        #expect(try Pattern(#"\bb"#).firstMatch(in: text, from: 1) == nil)  // 'a' before it is a word character
    }

    @Test func nonASCIIIsMatchedByCharacter() throws {
        let dot = try Pattern(".")
        #expect(dot.firstMatch(in: Array("é".utf8)) == 0..<2)
        #expect(dot.replacingMatches(in: "né☺", with: "-") == "---")
        #expect(try Pattern("é+").replacingMatches(in: "caféé latte", with: "E") == "cafE latte")
        let line = "Grüße, café: 3 ☕"
        let r = try #require(try Pattern("caf.: [0-9]").firstMatch(in: line))
        #expect(line[r] == "café: 3")
    }

    /// Bytes that are not UTF-8: never a crash, never a skipped line. `.` and classes match only
    /// valid characters; `\C` matches any byte; the search steps over invalid bytes.
    @Test func invalidUTF8() throws {
        let bytes: [UInt8] = [0x61, 0xFF, 0x62, 0xC3, 0x28, 0xE2, 0x82, 0x63]
        #expect(try Pattern("a.b").firstMatch(in: bytes) == nil)
        #expect(try Pattern(#"a\Cb"#).firstMatch(in: bytes) == 0..<3)
        #expect(try Pattern("b").firstMatch(in: bytes) == 2..<3)
        #expect(try Pattern("c$").firstMatch(in: bytes) == 7..<8)
        #expect(try Pattern("[^a]").firstMatch(in: bytes) == 2..<3)
        #expect(try Pattern("b").replacingMatches(in: bytes, with: Array("B".utf8)) == [0x61, 0xFF, 0x42, 0xC3, 0x28, 0xE2, 0x82, 0x63])
        // Empty matches step over an invalid byte alone and over a whole valid character.
        #expect(try Pattern("x*").replacingMatches(in: [0xFF, 0xC3, 0xA9], with: [0x2D]) == [0x2D, 0xFF, 0x2D, 0xC3, 0xA9, 0x2D])
        // As text (how --mark sees a console line), an invalid byte reads as U+FFFD, which `.` matches.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(try Pattern("a.b").matches(text))
        #expect(try Pattern(#"\x{FFFD}"#).matches(text))
    }

    /// Whatever the bytes, searching and replacing never trap, and replacing empty matches with
    /// nothing gives the bytes back.
    @Test func anyBytesAreSafe() throws {
        var generator = SeededGenerator()
        let patterns = try ["x*", ".", #"\C"#, "[^a]+", "(?s).*", #"\b"#, "é|☺"].map { try Pattern($0) }
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator) | (Bool.random(using: &generator) ? 0x80 : 0)
            }
            for p in patterns {
                let found = p.firstMatch(in: bytes)
                if let r = found { #expect(r.lowerBound >= 0 && r.upperBound <= bytes.count, "seed \(generator.seed)") }
                #expect(p.matches(bytes) == (found != nil), "seed \(generator.seed)")
                if p.source == "x*" || p.source == #"\b"# {
                    #expect(
                        p.replacingMatches(in: bytes.filter { $0 != 0x78 }, with: []) == bytes.filter { $0 != 0x78 },
                        "seed \(generator.seed)")
                } else {
                    _ = p.replacingMatches(in: bytes, with: [0x23])
                }
            }
        }
    }

    /// Matches left to right, the next search where the previous match ended; empty matches
    /// replaced except right after a match (RE2's GlobalReplace and Perl's rule).
    @Test func replacingEveryMatch() throws {
        #expect(try Pattern(#"\d+"#).replacingMatches(in: "offset of 123 cycles, 4 ms", with: "N") == "offset of N cycles, N ms")
        #expect(try Pattern("x*").replacingMatches(in: "abc", with: "-") == "-a-b-c-")
        #expect(try Pattern("a*").replacingMatches(in: "baaac", with: "-") == "-b-c-")
        #expect(try Pattern("^").replacingMatches(in: "abc", with: ">") == ">abc")
        #expect(try Pattern("aa").replacingMatches(in: "aaaaa", with: "b") == "bba")
        #expect(
            try Pattern(#"^\[ *[0-9]+\.[0-9]{6}\] "#).replacingMatches(in: "[    1.843725] kvm-clock: x", with: "[T] ")
                == "[T] kvm-clock: x")
        #expect(try Pattern("z").replacingMatches(in: "", with: "-") == "")
        #expect(try Pattern("z*").replacingMatches(in: "", with: "-") == "-")
        #expect(try Pattern("b").replacingMatches(in: Array("abcb".utf8)[1...], with: Array("B".utf8)) == Array("BcB".utf8))
    }

    /// One compiled pattern, searched from many threads at once.
    @Test func sharedAcrossThreads() async throws {
        let p = try Pattern(#"Linux version (\d+)\.(\d+)"#)
        let lines = (0..<2000).map { i in i % 7 == 0 ? "[\(i)] Linux version \(i).1 ok" : "[\(i)] nothing here \(i)" }
        let expected = lines.filter { $0.contains("Linux version") }.count
        let counts = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { lines.reduce(0) { $0 + (p.matches($1) ? 1 : 0) } }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(counts == Array(repeating: expected, count: 8))
    }
}
