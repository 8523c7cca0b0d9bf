import Testing

@testable import TraceFormat

@Suite struct CodecTests {
    /// The header's and the index's checksum: the known answers of CRC-32/ISO-HDLC (zlib's).
    @Test(arguments: [
        ("", UInt32(0)), ("123456789", 0xCBF4_3926), ("a", 0xE8B7_BE43),
        ("The quick brown fox jumps over the lazy dog", 0x414F_A339),
    ])
    func crc32KnownAnswers(text: String, crc: UInt32) {
        #expect(CRC32.checksum(Array(text.utf8)) == crc)
    }

    @Test func timeSpecs() {
        #expect(TimeSpec.nanoseconds("1.5s") == 1_500_000_000)
        #expect(TimeSpec.nanoseconds("200ms") == 200_000_000)
        #expect(TimeSpec.nanoseconds("30us") == 30_000)
        #expect(TimeSpec.nanoseconds("7ns") == 7)
        #expect(TimeSpec.nanoseconds("2") == 2_000_000_000)
        #expect(TimeSpec.nanoseconds("-0.25s") == -250_000_000)
        #expect(TimeSpec.nanoseconds("0.0000000001s") == nil)
        #expect(TimeSpec.nanoseconds("abc") == nil)
        #expect(TimeSpec.nanoseconds("") == nil)
        #expect(TimeSpec.signedSeconds(-1_500) == "-0.000001500")
    }

    @Test func jsonRoundTripKeepsBigNumbersAndOrder() throws {
        let text = #"{"b":18446744073709551615,"a":[true,null,-1.5e3,"\u00e9\n"],"c":{}}"#
        let v = try JSONParser.parse(text)
        #expect(v.serialized() == #"{"b":18446744073709551615,"a":[true,null,-1.5e3,"é\n"],"c":{}}"#)
        #expect(v["b"]?.uint64Value == UInt64.max)
    }

    @Test func jsonRejectsBadInput() {
        for bad in ["{", "[1,]", "{\"a\" 1}", "01", "\"\\x\"", String(repeating: "[", count: 100)] {
            #expect(throws: JSONParser.Failure.self, "\(bad)") { try JSONParser.parse(bad) }
        }
    }

    @Test func jsonLinesRejectWrongDataLength() {
        #expect(throws: TraceError.self) {
            try JSONLines.parse(#"{"t_ns":1,"port":233,"dir":"out","size":2,"count":1,"data":"00"}"#, lineNumber: 3)
        }
    }

    @Test func blockDecodeNeverTrapsOnGarbage() {
        var rng = SplitMix64(seed: 3)
        var builder = EventBlockBuilder()
        for e in randomEvents(count: 50, seed: 11) { builder.append(e) }
        let good = builder.encode()
        var decoded = 0
        var refused = 0
        for _ in 0..<3000 {
            var bad = good
            let n = Int(rng.next() % 4) + 1
            for _ in 0..<n { bad[Int(rng.next() % UInt64(bad.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            if rng.next() % 3 == 0 { bad.removeLast(Int(rng.next() % UInt64(bad.count))) }
            switch bad.withUnsafeBytes({ EventBlock.decode($0) }) {
            case .success(.events(let block)):
                // Whatever decodes is internally consistent: every access's data is within the block.
                decoded += 1
                var bytes = 0
                block.forEachAccess(
                    { _, shape, data in
                        bytes += data.count
                        #expect(data.count == shape.dataLength)
                    }, marker: { _, _, _ in })
                #expect(bytes == block.data.count)
            case .success(.unknownKind): decoded += 1
            case .failure: refused += 1
            }
        }
        // The garbage was mostly caught, and nothing trapped on the way.
        #expect(refused > 0, "no garbage was refused")
        #expect(decoded > 0, "no mutation decoded: the check of what decodes never ran")
    }
}
