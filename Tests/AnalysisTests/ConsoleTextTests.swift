import Testing

@testable import Analysis

struct ConsoleTextTests {
    func strip(_ bytes: [UInt8]) -> String { String(decoding: ControlSequenceFilter.strip(bytes), as: UTF8.self) }

    /// What SeaBIOS printed on the serial port of the Linux recording (traces/linux-boot.pt).
    @Test func seaBIOSsClearScreenIsNotText() {
        let banner = Array("\u{1b}c\u{1b}[?7l\u{1b}[2J\u{1b}[0mSeaBIOS (version 1.16.2-debian-1.16.2-1)\r".utf8)
        #expect(strip(banner) == "SeaBIOS (version 1.16.2-debian-1.16.2-1)")
    }

    @Test(arguments: [
        ("\u{1b}[1;31mred\u{1b}[m text", "red text"),
        ("\u{1b}]8;;http://x\u{07}link\u{1b}]8;;\u{1b}\\ end", "link end"),
        ("\u{1b}]0;title\u{1b}\\after", "after"),
        ("\u{1b}(Bascii", "ascii"),
        ("tab\there", "tab here"),
        ("bell\u{07}nul\u{00}del\u{7f}", "bellnuldel"),
        ("\u{9b}31mC1 CSI", "C1 CSI"),
        ("\u{9d}0;t\u{9c}C1 OSC", "C1 OSC"),
        ("caf\u{e9} \u{a9} ok", "caf\u{e9} \u{a9} ok"),
        ("\u{85}next line control", "next line control"),
        ("\u{1b}[?25", ""),
        ("\u{1b}[12\u{01}x", "x"),
    ])
    func sequencesAndControls(input: String, text: String) {
        #expect(ControlSequenceFilter.strip(input) == text)
    }

    /// Byte by byte, across calls: the state carries over, so a sequence split between two
    /// writes of the guest is still taken out.
    @Test func theFilterCarriesStateAcrossBytes() {
        var f = ControlSequenceFilter()
        var out: [UInt8] = []
        for b in Array("\u{1b}[3".utf8) { f.feed(b, into: &out) }
        #expect(out.isEmpty)
        for b in Array("1mA".utf8) { f.feed(b, into: &out) }
        #expect(out == [0x41])
    }

    /// Random bytes (seeded) never trap and never grow.
    @Test func randomBytes() {
        let seed: UInt64 = 0xC0_501E
        var rng = Xoshiro256StarStar(seed: seed)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(ControlSequenceFilter.strip(bytes).count <= bytes.count, "seed \(seed): \(bytes)")
        }
    }
}
