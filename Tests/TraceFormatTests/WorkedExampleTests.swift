import Testing

@testable import TraceFormat

/// The worked example of docs/trace-format.md section 3.1, byte for byte, both ways.
@Suite struct WorkedExampleTests {
    static let times: [UInt64] = [1_000, 8_591, 16_192, 23_783, 31_374, 38_975, 46_576, 54_167, 66_167]
    static let column: [UInt8] = [
        0x02, 0x00, 0x00, 0x00, 0x01, 0xce, 0x76, 0x0a, 0x04, 0x03, 0x0f, 0x01, 0x05, 0x00, 0x00, 0x00, 0x38, 0xa1, 0xbd, 0x04,
        0x1a, 0x02, 0x00, 0x00, 0x00, 0xc0, 0x1d,
    ]

    @Test func theDocumentedExampleEncodesAsDocumented() throws {
        let deltas = zip(Self.times, Self.times.dropFirst()).map { $1 - $0 }
        // SAFETY: `deltas` is alive for the call.
        let coded = try #require(deltas.withUnsafeBufferPointer { DeltaValueCoding(deltas: $0) })
        var w = ByteWriter()
        _ = coded.write(to: &w)
        #expect(w.bytes == Self.column)
    }

    @Test func theDocumentedExampleDecodes() {
        var ts = [UInt64](repeating: 0, count: Self.times.count)
        // SAFETY: both buffers are alive for the call.
        let problem = Self.column.withUnsafeBytes { raw in
            var c = ByteCursor(raw)
            return ts.withUnsafeMutableBufferPointer { DeltaValueCoding.decode(&c, base: 1_000, into: $0) }
        }
        #expect(problem == nil)
        #expect(ts == Self.times)
    }
}
