import Testing

@testable import Devices

@Suite struct FormattingTests {
    @Test(arguments: [
        (UInt64(19_762_449), "19.762449ms"), (19_004_000, "19.004ms"), (1_000_000, "1ms"), (613_573_610, "613.57361ms"),
        (1_500_000_000, "1.5s"), (61_000_000_000, "61s"), (1_520_000_100, "1.5200001s"), (17_026_073_123, "17.026073123s"),
        (1_500, "1.5µs"), (999, "999ns"), (0, "0ns"),
    ])
    func durationDebug(ns: UInt64, expected: String) {
        #expect(RustFormat.durationDebug(ns) == expected)
    }

    @Test(arguments: [
        (UInt64(19_004_000), "19.004000ms"), (19_762_449, "19.762449ms"), (999_999_500, "999.999500ms"),
        (1_500_000_000, "1.500000s"), (61_000_000_000, "61.000000s"), (1_999_999_999, "2.000000s"),
        (999, "999.000000ns"), (1_500, "1.500000µs"), (1_000_000_500, "1.000001s"),
    ])
    func durationDebug6(ns: UInt64, expected: String) {
        #expect(RustFormat.durationDebug6(ns) == expected)
    }

    @Test(arguments: [
        (UInt64(19_004_000), "  0.019004"), (19_762_449, "  0.019762"), (403_499_628, "  0.403500"),
        (1_520_000_000, "  1.520000"), (61_000_000_000, " 61.000000"), (17_026_073_000, " 17.026073"),
        (123_456_789_000, "123.456787"), (1_000_123_456_789, "1000.123474"), (0, "  0.000000"),
    ])
    func secondsF32(ns: UInt64, expected: String) {
        #expect(RustFormat.secondsF32(ns) == expected)
    }

    @Test(arguments: [
        (UInt64(0), UInt8(0x0), "[Debug I/O port: Firmware code 0x0] 0.000000 seconds"),
        (999_000, 0x1f, "[Debug I/O port: Firmware code 0x1f] 0.000999 seconds"),
        (500_000_000, 0x20, "[Debug I/O port: Bootloader code 0x20] 0.500000 seconds"),
        (1_000_000_000, 0x3f, "[Debug I/O port: Bootloader code 0x3f] 1.1000000 seconds"),
        (1_500_000_000, 0x40, "[Debug I/O port: Kernel code 0x40] 1.1500000 seconds"),
        (61_000_000_000, 0x5f, "[Debug I/O port: Kernel code 0x5f] 61.61000000 seconds"),
        (9_999_999_999, 0x60, "[Debug I/O port: Userspace code 0x60] 9.9999999 seconds"),
        (1_000_500_000_000, 0x7f, "[Debug I/O port: Userspace code 0x7f] 1000.1000500000 seconds"),
        (19_004_999, 0x80, "[Debug I/O port: Custom code 0x80] 0.019004 seconds"),
        (999, 0xff, "[Debug I/O port: Custom code 0xff] 0.000000 seconds"),
    ])
    func debugPortMessage(ns: UInt64, code: UInt8, expected: String) {
        #expect(DebugPortMessage.text(code: code, elapsedNs: ns) == expected)
    }

    @Test func templateErrorsAreTheReleaseOnes() {
        let tokens = Profile(.latest).logFormatTokens
        #expect(throws: (any Error).self) { try LogFormatter.parse("{msg", tokens: tokens) }
        #expect(throws: (any Error).self) { try LogFormatter.parse("msg}", tokens: tokens) }
        #expect(throws: (any Error).self) { try LogFormatter.parse("{nope}", tokens: tokens) }
        #expect(throws: (any Error).self) { try LogFormatter.parse("{glog}", tokens: Profile(Release(tag: "v52.0")!).logFormatTokens) }
        #expect((try? LogFormatter.parse("{{x}} {msg}", tokens: tokens)) == [.literal("{x} "), .token(.msg)])
    }

    @Test func unknownTagsNameTheNearest() {
        guard case .failure(let e) = Release.named("v24") else {
            Issue.record("v24 accepted")
            return
        }
        #expect(e.nearest.first == "v24.0")
        #expect(Release.all.count == 75)
        #expect((try? Release.named("latest").get()) == Release(tag: "v53.0"))
        // Found by the options fuzz target: a huge version number trapped while ranking the nearest.
        guard case .failure(let huge) = Release.named("20111111111111111.11010") else {
            Issue.record("a huge version accepted")
            return
        }
        #expect(huge.nearest.first == Release.latest.tag)
    }

    @Test func civilTime() {
        // 2024-01-15T10:30:45.123456Z
        let t = CivilTime(realtimeNs: 1_705_314_645_123_456_789, offsetSeconds: 0)
        #expect(t.rfc3339 == "2024-01-15T10:30:45.123456Z")
        #expect(t.glog == "0115 10:30:45.123456")
        let tokyo = CivilTime(realtimeNs: 1_705_314_645_123_456_789, offsetSeconds: 9 * 3600)
        #expect(tokyo.offset == "+09:00" && tokyo.hour == 19)
    }
}

/// The command line's value forms (`ValueSyntax`): ports, POST codes, addresses.
@Suite struct ValueSyntaxTests {
    @Test func portsCodesAndAddresses() {
        #expect(ValueSyntax.portRange("0x80") == 0x80...0x80)
        #expect(ValueSyntax.portRange("0X3F8-0x3ff") == 0x3f8...0x3ff)
        #expect(ValueSyntax.portRange("128") == 128...128)
        for bad in ["", "0x", "0x3ff-0x3f8", "1-2-3", "65536", "-1", "0x1_0"] {
            #expect(ValueSyntax.portRange(Substring(bad)) == nil, "\(bad)")
        }
        #expect(ValueSyntax.portList("0x80,,0x3f8-0x3ff")! == [0x80...0x80, 0x3f8...0x3ff])
        #expect(ValueSyntax.portList("") == nil)
        #expect(ValueSyntax.codeRanges("0x00-0x1f,0x40")! == [0...0x1f, 0x40...0x40])
        #expect(ValueSyntax.codeRanges("0x10,,0x20") == nil)
        #expect(ValueSyntax.codeRanges("0x100") == nil)
        #expect(ValueSyntax.address("0x10000") == 0x10000)
        #expect(ValueSyntax.address("4096") == 4096)
        #expect(ValueSyntax.address("0xg") == nil)
    }
}
