import Testing

@testable import Devices

@Suite struct ByteSinkTests {
    func sanitized(_ bytes: [UInt8]) -> String {
        let s = ByteSink(.memory, sanitize: true)
        for b in bytes { s.write(byte: b) }  // byte by byte, as guests write
        try? s.flush()
        return String(decoding: s.captured, as: UTF8.self)
    }

    @Test func terminalOutputIsMadeHarmless() {
        #expect(sanitized(Array("ok\r\n\tdone".utf8)) == "ok\r\n\tdone")
        #expect(sanitized([0x1b, 0x5b, 0x32, 0x4a]) == "\\x1b[2J")  // ESC [2J: clear screen
        #expect(sanitized([0x07, 0x00, 0x7f]) == "\\x07\\x00\\x7f")
        #expect(sanitized([0xc2, 0x9b, 0x41]) == "\\xc2\\x9bA")  // C1 CSI in UTF-8
        #expect(sanitized(Array("é€".utf8)) == "é€")  // text passes
        #expect(sanitized([0xc2]) == String(decoding: [0xc2], as: UTF8.self))  // a trailing lead byte is kept
    }

    @Test func filesGetRawBytes() {
        let s = ByteSink(.memory)
        s.write(byte: 0x1b)
        #expect(s.captured == [0x1b])
    }
}
