/// Where each block sits and what time span it covers.
public struct BlockIndexEntry: Equatable, Sendable {
    public var offset: UInt64
    public var compressedSize: UInt32
    public var decompressedSize: UInt32
    public var minTimestamp: UInt64
    public var maxTimestamp: UInt64
    public var events: UInt32
}

/// The index written at a clean close: a time-index skippable frame (magic 0x184D2A51)
/// followed by a seek table laid out as the Zstandard seekable format's
/// (skippable magic 0x184D2A5E, entries of u32 compressed + u32 decompressed size,
/// footer u32 frameCount, u8 descriptor, u32 0x8F92EAB1). The seek table lists every frame
/// before it: the header, each block, and the time index.
public struct TraceIndex: Equatable, Sendable {
    public static let timeIndexMagic: UInt32 = ZstdMagic.skippableBase + 1
    public static let seekTableMagic: UInt32 = ZstdMagic.skippableBase + 0xE
    public static let seekableFooterMagic: UInt32 = 0x8F92_EAB1
    static let timeIndexTag: UInt32 = 0x5849_5450  // "PTIX"

    public var blocks: [BlockIndexEntry]
    /// Offset of the time-index frame (the end of the event data).
    public var timeIndexOffset: UInt64

    /// The time index frame and the seek table, given the header frame's length.
    func encode(headerFrameLength: Int) -> [UInt8] {
        var t = ByteWriter()
        t.u32(TraceIndex.timeIndexTag)
        t.u32(1)
        t.u32(UInt32(blocks.count))
        for b in blocks {
            t.u64(b.offset)
            t.u64(b.minTimestamp)
            t.u64(b.maxTimestamp)
            t.u32(b.events)
            t.u32(b.decompressedSize)
        }
        t.u32(CRC32.checksum(t.bytes))
        var w = ByteWriter()
        w.u32(TraceIndex.timeIndexMagic)
        w.u32(UInt32(t.bytes.count))
        w.append(contentsOf: t.bytes)
        let timeFrameLength = w.bytes.count

        let frames = 2 + blocks.count
        w.u32(TraceIndex.seekTableMagic)
        w.u32(UInt32(frames * 8 + 9))
        w.u32(UInt32(headerFrameLength))
        w.u32(0)
        for b in blocks {
            w.u32(b.compressedSize)
            w.u32(b.decompressedSize)
        }
        w.u32(UInt32(timeFrameLength))
        w.u32(0)
        w.u32(UInt32(frames))
        w.u8(0)
        w.u32(TraceIndex.seekableFooterMagic)
        return w.bytes
    }

    /// Reads the index at the end of the file; nil when it is absent or does not check out
    /// (the reader then scans frames instead). `why` says which.
    static func read(from file: borrowing TraceFile, fileSize: UInt64, headerFrameLength: Int) -> (TraceIndex?, String) {
        do {
            guard fileSize >= 9 + 8 else { return (nil, "file too short for an index") }
            let footer = try file.read(at: fileSize - 9, count: 9)
            // SAFETY: the bytes are valid for the closure; the cursor checks each read against the bytes present.
            let (frames, descriptor, magic) = footer.withUnsafeBytes { raw -> (UInt32, UInt8, UInt32) in
                var c = ByteCursor(raw)
                return (c.readU32() ?? 0, c.readU8() ?? 0, c.readU32() ?? 0)
            }
            guard magic == seekableFooterMagic else { return (nil, "no seek table at the end") }
            guard descriptor == 0, frames >= 2, UInt64(frames) <= fileSize / 8 else { return (nil, "seek table footer out of range") }
            let seekFrameLength = UInt64(8 + Int(frames) * 8 + 9)
            guard seekFrameLength <= fileSize else { return (nil, "seek table longer than the file") }
            let seekStart = fileSize - seekFrameLength
            let table = try file.read(at: seekStart, count: Int(seekFrameLength))
            var sizes: [(UInt32, UInt32)] = []
            // SAFETY: the cursor checks every read against the table's length.
            let ok = table.withUnsafeBytes { raw -> Bool in
                var c = ByteCursor(raw)
                guard c.readU32() == seekTableMagic, c.readU32() == UInt32(seekFrameLength - 8) else { return false }
                for _ in 0..<frames {
                    guard let cs = c.readU32(), let ds = c.readU32() else { return false }
                    sizes.append((cs, ds))
                }
                return true
            }
            guard ok else { return (nil, "seek table frame is damaged") }
            guard sizes[0].1 == 0, sizes[sizes.count - 1].1 == 0 else { return (nil, "seek table sizes of the skippable frames are not 0") }
            guard Int(sizes[0].0) == headerFrameLength else { return (nil, "seek table does not start at the header") }
            let total = sizes.reduce(UInt64(0)) { $0 + UInt64($1.0) }
            guard total == seekStart else { return (nil, "seek table sizes do not add up to the file") }
            let timeFrameLength = sizes[sizes.count - 1].0
            let timeStart = seekStart - UInt64(timeFrameLength)
            let timeFrame = try file.read(at: timeStart, count: Int(timeFrameLength))
            let blockCount = Int(frames) - 2
            var entries: [BlockIndexEntry] = []
            entries.reserveCapacity(blockCount)
            // SAFETY: the cursor checks every read against the frame's length.
            let parsed = timeFrame.withUnsafeBytes { raw -> Bool in
                var c = ByteCursor(raw)
                guard c.readU32() == timeIndexMagic, let len = c.readU32(), Int(len) == c.remaining,
                    let body = c.readBytes(Int(len)), body.count >= 16
                else { return false }
                var b = ByteCursor(body)
                guard b.readU32() == timeIndexTag, b.readU32() == 1, b.readU32() == UInt32(blockCount) else { return false }
                let crcOffset = body.count - 4
                guard
                    // SAFETY: `crcOffset` is at most `body.count` (checked above).
                    CRC32.checksum(UnsafeRawBufferPointer(rebasing: body[0..<crcOffset]))
                        == body.loadUnaligned(fromByteOffset: crcOffset, as: UInt32.self).littleEndian
                else { return false }
                var expectedOffset = UInt64(headerFrameLength)
                for i in 0..<blockCount {
                    guard let off = b.readU64(), let lo = b.readU64(), let hi = b.readU64(), let n = b.readU32(),
                        let size = b.readU32()
                    else { return false }
                    // The CRC-protected time index cross-checks the seek table's sizes.
                    guard off == expectedOffset, size == sizes[i + 1].1, lo <= hi else { return false }
                    entries.append(
                        BlockIndexEntry(
                            offset: off, compressedSize: sizes[i + 1].0, decompressedSize: sizes[i + 1].1,
                            minTimestamp: lo, maxTimestamp: hi, events: n))
                    expectedOffset += UInt64(sizes[i + 1].0)
                }
                return expectedOffset == timeStart
            }
            guard parsed else { return (nil, "time index frame is damaged") }
            return (TraceIndex(blocks: entries, timeIndexOffset: timeStart), "")
        } catch {
            return (nil, "could not read the index: \(error)")
        }
    }
}
