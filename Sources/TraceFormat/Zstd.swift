import CZstd

/// Frame magic numbers of the Zstandard format (RFC 8878).
public enum ZstdMagic {
    public static let frame: UInt32 = 0xFD2F_B528
    /// Skippable frames use 0x184D2A50 ... 0x184D2A5F.
    public static let skippableBase: UInt32 = 0x184D_2A50
    public static func isSkippable(_ m: UInt32) -> Bool { m & 0xFFFF_FFF0 == skippableBase }
}

/// A compression context: one per compression thread. Frames carry their content
/// size and a content checksum, so each block is verifiable on its own.
final class ZstdCompressor {
    // SAFETY: the context is created here, used only by the owning thread, and freed in deinit.
    private let cctx: OpaquePointer

    init(level: Int32) {
        guard let c = ZSTD_createCCtx() else { fatalError("ZSTD_createCCtx: out of memory") }
        cctx = c
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1)
    }

    deinit { ZSTD_freeCCtx(cctx) }

    /// One complete zstd frame holding `input`, with a zstd block boundary at each of `boundaries`
    /// so that every column gets entropy tables of its own (a shared Huffman table across columns
    /// of different statistics costs ~0.1 byte/event). The corresponding calls are
    /// `ZSTD_CCtx_setPledgedSrcSize` and `ZSTD_compressStream2` with `ZSTD_e_flush` / `ZSTD_e_end`.
    func compress(_ input: [UInt8], boundaries: [Int]) throws -> [UInt8] {
        ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only)
        ZSTD_CCtx_setPledgedSrcSize(cctx, UInt64(input.count))
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count) + 64 * (boundaries.count + 1))
        var produced = 0
        let cuts = (boundaries.filter { $0 > 0 && $0 < input.count } + [input.count])
        var start = 0
        // SAFETY: zstd reads at most `src.count` bytes and writes at most `dst.count`, the sizes passed with the pointers.
        try input.withUnsafeBytes { (src) throws in
            try out.withUnsafeMutableBytes { (dst) throws in
                for (i, end) in cuts.enumerated() where end >= start {
                    let last = i == cuts.count - 1
                    // SAFETY: [start, end) lies in `src`; zstd writes at most dst.count - produced bytes.
                    var inBuf = ZSTD_inBuffer(src: src.baseAddress! + start, size: end - start, pos: 0)
                    var outBuf = ZSTD_outBuffer(dst: dst.baseAddress, size: dst.count, pos: produced)
                    while true {
                        let remaining = ZSTD_compressStream2(cctx, &outBuf, &inBuf, last ? ZSTD_e_end : ZSTD_e_flush)
                        if ZSTD_isError(remaining) != 0 { throw TraceError.zstd(String(cString: ZSTD_getErrorName(remaining))) }
                        if remaining == 0 { break }
                        if outBuf.pos == outBuf.size { throw TraceError.zstd("compressed block larger than its bound") }
                    }
                    produced = outBuf.pos
                    start = end
                }
            }
        }
        out.removeLast(out.count - produced)
        return out
    }

    /// One complete zstd frame holding `input`. The corresponding call is `ZSTD_compress2`.
    func compress(_ input: [UInt8]) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        // SAFETY: zstd reads at most `src.count` bytes and writes at most `dst.count`, the sizes passed with the pointers.
        let written = input.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                // SAFETY: both buffers are live for the call and their counts are their real sizes.
                ZSTD_compress2(cctx, dst.baseAddress, dst.count, src.baseAddress, src.count)
            }
        }
        if ZSTD_isError(written) != 0 { throw TraceError.zstd(String(cString: ZSTD_getErrorName(written))) }
        out.removeLast(bound - written)
        return out
    }
}

/// One-shot compression of small buffers (the header's metadata) in zstd frames stored without
/// their 4-byte magic number.
enum Zstd {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A zstd frame (level 19, content size declared, no checksum: the header's CRC covers it)
    /// without its magic number. The corresponding call is `ZSTD_compress`.
    static func compressMagicless(_ input: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        // SAFETY: zstd reads `src.count` bytes and writes at most `dst.count`, the sizes passed with the pointers.
        let n = input.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, 19) }
        }
        guard ZSTD_isError(n) == 0, n > 4 else { return nil }
        return Array(out[4..<n])
    }

    /// Undoes `compressMagicless`, refusing a frame that declares more than `maxContent` bytes
    /// or does not declare its size. The corresponding calls are `ZSTD_getFrameContentSize`
    /// and `ZSTD_decompress`.
    static func decompressMagicless(_ stored: [UInt8], maxContent: Int) -> Result<[UInt8], Failure> {
        let magic = ZstdMagic.frame
        let frame = (0..<4).map { UInt8(truncatingIfNeeded: magic >> UInt32(8 * $0)) } + stored
        // SAFETY: zstd reads at most `count` bytes of the frame header.
        let declared = frame.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        guard declared != ZSTD_CONTENTSIZE_ERROR, declared != ZSTD_CONTENTSIZE_UNKNOWN else {
            return .failure(Failure(description: "not a zstd frame with a declared size"))
        }
        guard declared <= UInt64(maxContent) else {
            return .failure(Failure(description: "declares \(declared) bytes, over the limit of \(maxContent)"))
        }
        var out = [UInt8](repeating: 0, count: Int(declared))
        // SAFETY: zstd reads `src.count` bytes and writes at most `dst.count`, the sizes passed with the pointers.
        let n = frame.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in ZSTD_decompress(dst.baseAddress, dst.count, src.baseAddress, src.count) }
        }
        guard ZSTD_isError(n) == 0 else { return .failure(Failure(description: String(cString: ZSTD_getErrorName(n)))) }
        guard n == Int(declared) else { return .failure(Failure(description: "holds \(n) of \(declared) declared bytes")) }
        return .success(out)
    }
}

/// Outcome of decoding one frame from a file.
enum FrameDecode {
    /// The frame's content and its length in the file.
    case content([UInt8], frameLength: Int)
    /// The file ends inside the frame (zstd still wanted input).
    case truncated(String)
    /// The frame is corrupt; the reason is zstd's.
    case damaged(String)
    /// The frame header declares more content than allowed.
    case oversized(declared: UInt64)
}

/// A decompression context with hard limits, for reading untrusted files.
final class ZstdDecompressor {
    // SAFETY: created here, used by one reader at a time, freed in deinit.
    private let dctx: OpaquePointer
    private let maxContent: Int
    private var input = [UInt8](repeating: 0, count: 1 << 17)

    /// `maxContent` caps a frame's declared decompressed size; the window is capped at 2^27 bytes.
    init(maxContent: Int) {
        guard let d = ZSTD_createDCtx() else { fatalError("ZSTD_createDCtx: out of memory") }
        dctx = d
        self.maxContent = maxContent
        ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, 27)
    }

    deinit { ZSTD_freeDCtx(dctx) }

    /// Decodes the zstd frame that starts at `offset`, reading the file in chunks.
    /// The corresponding calls are `ZSTD_getFrameContentSize` and `ZSTD_decompressStream`.
    func decodeFrame(in file: borrowing TraceFile, at offset: UInt64, fileSize: UInt64) throws -> FrameDecode {
        let head = try file.read(at: offset, count: 18)
        // SAFETY: zstd reads at most `count` bytes of the frame header.
        let declared = head.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        if declared == ZSTD_CONTENTSIZE_ERROR {
            return head.count < 18 && UInt64(head.count) == fileSize - offset
                ? .truncated("file ends inside a frame header") : .damaged("bad frame header")
        }
        if declared == ZSTD_CONTENTSIZE_UNKNOWN {
            // A short read cannot tell: the header may be cut before its size field.
            if UInt64(head.count) < 18 && offset + UInt64(head.count) == fileSize { return .truncated("file ends inside a frame header") }
            return .damaged("frame does not declare its content size")
        }
        if declared > UInt64(maxContent) { return .oversized(declared: declared) }

        ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only)
        var output = [UInt8](repeating: 0, count: Int(declared))
        var position = offset
        var produced = 0
        var consumedTotal = 0
        while true {
            // SAFETY: the buffer is the array's own storage; the read fills at most its count.
            let got = try input.withUnsafeMutableBytes { (buf) -> Int in
                try file.read(at: position, into: buf)
            }
            if got == 0 { return .truncated("file ends inside the frame (zstd needs more input)") }
            var inBuf = ZSTD_inBuffer(src: nil, size: got, pos: 0)
            var result = 0
            var finished = false
            // SAFETY: the streaming decoder reads within `src.count` and writes within `dst.count` (ZSTD_inBuffer/ZSTD_outBuffer sizes).
            input.withUnsafeBytes { src in
                output.withUnsafeMutableBytes { dst in
                    // SAFETY: `src` and `dst` stay valid for these calls; zstd never writes past `dst.count`
                    // and reads at most `got` bytes of `src`.
                    inBuf.src = src.baseAddress
                    var outBuf = ZSTD_outBuffer(dst: dst.baseAddress, size: dst.count, pos: produced)
                    while inBuf.pos < inBuf.size {
                        result = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
                        if ZSTD_isError(result) != 0 || result == 0 { break }
                        if outBuf.pos == outBuf.size && inBuf.pos < inBuf.size {
                            // Output is full but the frame goes on: let zstd flag it on the next call.
                            result = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
                            break
                        }
                    }
                    produced = outBuf.pos
                    finished = ZSTD_isError(result) == 0 && result == 0
                }
            }
            if ZSTD_isError(result) != 0 {
                return .damaged(String(cString: ZSTD_getErrorName(result)))
            }
            consumedTotal += inBuf.pos
            if finished {
                guard produced == Int(declared) else { return .damaged("frame produced \(produced) of \(declared) declared bytes") }
                return .content(output, frameLength: consumedTotal)
            }
            position += UInt64(inBuf.pos)
            if inBuf.pos == 0 { return .damaged("decoder made no progress") }
        }
    }

    /// The compressed length of the frame in `bytes`, walking its block headers; nil if it cannot be found.
    static func frameLength(_ bytes: [UInt8]) -> Int? {
        // SAFETY: zstd reads at most `count` bytes to find the frame's end.
        let n = bytes.withUnsafeBytes { ZSTD_findFrameCompressedSize($0.baseAddress, $0.count) }
        return ZSTD_isError(n) != 0 ? nil : n
    }
}
