import Testing

@testable import Devices

/// More of ValueSyntaxTests (FormattingTests.swift): the one home of the command line's number forms: each caller (ports in VMM command lines,
/// `iobase=`, `--interval 0x40..0x41`, `--until 0x41`, `--tolerance`, `--threshold`) uses these.
extension ValueSyntaxTests {
    @Test func hexNeedsItsPrefix() {
        #expect(ValueSyntax.hex(Substring("0xe9")) == UInt16(0xe9))
        #expect(ValueSyntax.hex(Substring("0XE9")) == UInt16(0xe9))
        #expect(ValueSyntax.hex(Substring("0XE9"), lowercasePrefixOnly: true) == UInt16?.none)
        #expect(ValueSyntax.hex(Substring("e9")) == UInt16?.none)
        #expect(ValueSyntax.hex(Substring("233")) == UInt16?.none)
        #expect(ValueSyntax.hex(Substring("0x")) == UInt16?.none)
        #expect(ValueSyntax.hex(Substring("0x100")) == UInt8?.none)
        #expect(ValueSyntax.hex(Substring("0xff")) == UInt8(0xff))
    }

    @Test func portsTakeDecimalOrHex() {
        #expect(ValueSyntax.port("0x402") == 0x402)
        #expect(ValueSyntax.port("0X402") == 0x402)
        #expect(ValueSyntax.port("233") == 233)
        #expect(ValueSyntax.port("65536") == nil)
        #expect(ValueSyntax.port("") == nil)
        #expect(ValueSyntax.port("0x") == nil)
    }

    @Test func percentagesAreFractions() {
        #expect(ValueSyntax.percent("5%") == 0.05)
        #expect(ValueSyntax.percent("2.5%") == 0.025)
        #expect(ValueSyntax.percent("0%") == 0)
        #expect(ValueSyntax.percent("5") == nil)
        #expect(ValueSyntax.percent("-1%") == nil)
        #expect(ValueSyntax.percent("nan%") == nil)
        #expect(ValueSyntax.percent("inf%") == nil)
        #expect(ValueSyntax.percent("1e7%") == nil)
        #expect(ValueSyntax.percent("%") == nil)
    }
}
