/// The first frame of every trace: a zstd skippable frame (magic 0x184D2A50) holding
/// ```
/// "PTRC" u16 formatVersion u16 minReaderVersion u8 state u8[3] reserved
/// u32 maxBlockBytes u32 metadataLength u32 crc32(fixed fields with state=0, metadata) metadata JSON (UTF-8)
/// ```
/// `state` is 0 while recording and becomes 1 when the writer closed the trace cleanly.
public struct TraceHeader: Equatable, Sendable {
    public static let frameMagic: UInt32 = ZstdMagic.skippableBase
    public static let magic: UInt32 = 0x4352_5450  // "PTRC"
    /// The format version this code writes (2: event blocks may use the value coding of
    /// timestamps, which version-1 readers cannot decode; docs/trace-format.md section 6).
    public static let currentFormatVersion: UInt16 = 2
    /// The newest format version this code can read.
    public static let readableFormatVersion: UInt16 = 2
    /// Offset of the state byte from the start of the file.
    public static let stateOffset: UInt64 = 16
    /// Header frames larger than this are refused (metadata is small).
    public static let maxHeaderBytes = UInt32(TraceLimits.maxHeaderBytes)

    public var formatVersion: UInt16
    public var minimumReaderVersion: UInt16
    public var closedCleanly: Bool
    /// The largest decompressed block the writer may produce.
    public var maxBlockBytes: UInt32
    public var metadata: TraceMetadata
    /// What is wrong with the header, when it is damaged but the file is still a porttrace trace
    /// (its first 12 bytes are right): the metadata is then empty, and the reader scans the
    /// blocks, reporting this as the first problem.
    public var damage: Damage?

    public struct Damage: Equatable, Sendable {
        public var offset: UInt64
        public var truncated: Bool
        public var reason: String
    }

    public init(metadata: TraceMetadata, maxBlockBytes: UInt32 = 16 << 20) {
        formatVersion = TraceHeader.currentFormatVersion
        minimumReaderVersion = TraceHeader.currentFormatVersion
        closedCleanly = false
        self.maxBlockBytes = maxBlockBytes
        self.metadata = metadata
    }

    /// How the metadata is stored (the byte after the state byte; format 2 on): 0 = the JSON
    /// itself, 1 = a zstd frame of the JSON without the frame's 4-byte magic number (so the
    /// header never holds a frame magic on purpose, and a damaged header's blocks can still be
    /// found by theirs).
    static let metadataAsJSON: UInt8 = 0
    static let metadataCompressed: UInt8 = 1

    /// The metadata JSON, as the header stores it before any compression.
    public var metadataJSON: [UInt8] { Array(metadata.json.serialized().utf8) }

    /// The whole skippable frame. From format 2 on the metadata is stored compressed when that
    /// is smaller (it is most of a short trace: a 60-event trace's header was 1,048 of its 1,515 bytes).
    public func encodeFrame() -> [UInt8] { encodeFrame(json: metadataJSON) }

    /// The frame, given `metadataJSON` already made (the writer checks its size first).
    func encodeFrame(json plain: [UInt8]) -> [UInt8] {
        var json = plain
        var coding = TraceHeader.metadataAsJSON
        if formatVersion >= 2, let packed = Zstd.compressMagicless(json), packed.count < json.count {
            json = packed
            coding = TraceHeader.metadataCompressed
        }
        var w = ByteWriter()
        w.u32(TraceHeader.frameMagic)
        w.u32(UInt32(24 + json.count))
        w.u32(TraceHeader.magic)
        w.u16(formatVersion)
        w.u16(minimumReaderVersion)
        w.u8(closedCleanly ? 1 : 0)
        w.u8(coding)
        w.u8(0)
        w.u8(0)
        w.u32(maxBlockBytes)
        w.u32(UInt32(json.count))
        w.u32(TraceHeader.checksum(fixed: w.bytes[8...], json: json))
        w.append(contentsOf: json)
        return w.bytes
    }

    /// CRC-32 over the fixed fields (with the state byte taken as 0, since close flips it in place)
    /// and the metadata.
    static func checksum<F: Collection, J: Collection>(fixed: F, json: J) -> UInt32 where F.Element == UInt8, J.Element == UInt8 {
        var covered = Array(fixed.prefix(20))
        covered[8] = 0
        return CRC32.checksum(covered + Array(json))
    }

    /// Reads and checks the header at the start of `file`; returns it and the frame's length.
    static func read(from file: borrowing TraceFile, fileSize: UInt64) throws -> (TraceHeader, Int) {
        let prefix = try file.read(at: 0, count: 36)
        guard prefix.count >= 4 else { throw TraceError.notATrace("only \(prefix.count) bytes") }
        // SAFETY: the bytes are valid for the closure; the cursor checks each read against the bytes present.
        let (magic, size, inner) = prefix.withUnsafeBytes { raw -> (UInt32?, UInt32?, UInt32?) in
            var c = ByteCursor(raw)
            return (c.readU32(), c.readU32(), c.readU32())
        }
        guard let magic, magic == frameMagic else { throw TraceError.notATrace("first frame is not a porttrace header") }
        guard let size, let inner else { throw TraceError.notATrace("only \(prefix.count) bytes, fewer than a header's first 12") }
        guard inner == TraceHeader.magic else { throw TraceError.notATrace("skippable frame without the PTRC tag") }
        // From here on the file is a porttrace trace: a damaged header is reported as damage and
        // the blocks after it are still read (with empty metadata: what is left cannot be trusted).
        // Its length cannot be trusted either: the blocks start at the first frame magic number
        // after the tag (valid metadata, UTF-8 JSON, never holds one); none means the file ends
        // inside the header.
        func firstFrame() throws -> Int? {
            let searchable = try file.read(at: 0, count: Int(min(fileSize, 8 + UInt64(maxHeaderBytes) + 4)))
            guard searchable.count >= 16 else { return nil }
            for i in 12...(searchable.count - 4) {
                let m =
                    UInt32(searchable[i]) | UInt32(searchable[i + 1]) << 8 | UInt32(searchable[i + 2]) << 16 | UInt32(searchable[i + 3])
                    << 24
                if m == ZstdMagic.frame || ZstdMagic.isSkippable(m) { return i }
            }
            return nil
        }
        func damaged(at offset: UInt64, _ reason: String) throws -> (TraceHeader, Int) {
            var header = TraceHeader(metadata: TraceMetadata(), maxBlockBytes: UInt32(TraceLimits.maxBlockBytes))
            if let start = try firstFrame() {
                header.damage = Damage(offset: offset, truncated: false, reason: reason)
                return (header, start)
            }
            header.damage = Damage(offset: fileSize, truncated: true, reason: "file ends inside the header (\(reason))")
            return (header, Int(fileSize))
        }
        guard size >= 24, size <= maxHeaderBytes else {
            // Where the blocks start is unknown: the scan searches for them after the tag.
            return try damaged(at: 4, "header frame size \(size) out of range")
        }
        guard 8 + UInt64(size) <= fileSize else {
            return try damaged(at: 4, "file is \(fileSize) bytes, the header frame alone needs \(8 + UInt64(size))")
        }
        let frame = try file.read(at: 0, count: 8 + Int(size))
        let frameLength = 8 + UInt64(size)
        // SAFETY: `frame` holds `8 + size` bytes (checked above); the cursor checks every read against that length.
        return try frame.withUnsafeBytes { (raw) -> (TraceHeader, Int) in
            var c = ByteCursor(raw, position: 12)
            guard let version = c.readU16(), let minReader = c.readU16(), let state = c.readU8(), let coding = c.readU8(), c.skip(2),
                let maxBlock = c.readU32(), let jsonLength = c.readU32(), let crc = c.readU32()
            else { return try damaged(at: 12, "fixed fields cut short") }
            guard Int(jsonLength) == c.remaining, let json = c.readBytes(Int(jsonLength)) else {
                return try damaged(at: 24, "metadata length \(jsonLength) does not match the frame")
            }
            guard TraceHeader.checksum(fixed: raw[8..<32], json: json) == crc else {
                return try damaged(at: 8, "header checksum mismatch")
            }
            // Intact: a newer format is refused, not read as damage.
            guard minReader <= TraceHeader.readableFormatVersion else {
                throw TraceError.unsupportedVersion(format: version, minimumReader: minReader, supported: TraceHeader.readableFormatVersion)
            }
            var text = Array(json)
            switch coding {
            case TraceHeader.metadataAsJSON: break
            case TraceHeader.metadataCompressed:
                switch Zstd.decompressMagicless(text, maxContent: TraceLimits.maxMetadataBytes) {
                case .success(let plain): text = plain
                case .failure(let why): return try damaged(at: 32, "compressed metadata: \(why.description)")
                }
            default: return try damaged(at: 17, "metadata coding \(coding) is neither 0 (JSON) nor 1 (zstd)")
            }
            let value: JSONValue
            let metadata: TraceMetadata
            do {
                value = try JSONParser.parse(text)
                metadata = try TraceMetadata(json: value)
            } catch {
                return try damaged(at: 32, "metadata: \(error)")
            }
            var header = TraceHeader(metadata: metadata, maxBlockBytes: maxBlock)
            header.formatVersion = version
            header.minimumReaderVersion = minReader
            header.closedCleanly = state == 1
            // The state byte is outside the checksum (close rewrites it): any other value is damage,
            // and the trace is read as one that was not closed.
            if state > 1 { header.damage = Damage(offset: stateOffset, truncated: false, reason: "state byte \(state) is neither 0 nor 1") }
            return (header, Int(frameLength))
        }
    }
}
