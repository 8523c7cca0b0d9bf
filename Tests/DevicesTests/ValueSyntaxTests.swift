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

/// The calendar arithmetic the log formatter and the log importer share, both ways.
@Suite struct CivilDateTests {
    @Test func knownDates() {
        #expect(CivilDate.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilDate.days(year: 2000, month: 3, day: 1) == 11_017)
        #expect(CivilDate.days(year: 1969, month: 12, day: 31) == -1)
        #expect(CivilDate.date(days: 20_454) == (2026, 1, 1))
        #expect(CivilDate.date(days: -719_468) == (0, 3, 1))
        #expect(CivilDate.daysIn(month: 2, of: 2000) == 29)
        #expect(CivilDate.daysIn(month: 2, of: 1900) == 28)
    }

    /// Every day from 1600 to 2600 goes to its date and back, and dates follow each other.
    @Test func roundTripsAcrossCenturies() {
        let first = CivilDate.days(year: 1600, month: 1, day: 1)
        let last = CivilDate.days(year: 2600, month: 12, day: 31)
        var previous = CivilDate.date(days: first - 1)
        for d in first...last {
            let date = CivilDate.date(days: d)
            #expect(CivilDate.days(year: date.year, month: date.month, day: date.day) == d)
            let next = previous.day < CivilDate.daysIn(month: previous.month, of: previous.year)
            if next {
                #expect(date == (previous.year, previous.month, previous.day + 1))
            } else {
                #expect(date.day == 1)
            }
            previous = date
        }
    }
}
