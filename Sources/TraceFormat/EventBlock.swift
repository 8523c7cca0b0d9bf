/// The decompressed content of one event block, decoded column by column.
///
/// Layout (little-endian; see docs/trace-format.md):
/// ```
/// "PTEV" u16 version (1, or 2 when value-coded) u16 flags=0 u32 eventCount u32 shapeCount u64 baseTimestamp
/// u8 timestampCoding (0...8: byte-plane width; 0x80: value coding) u8[3] reserved
/// shapes: shapeCount x { u32 vcpu, u16 port, u8 flags, u8 size, u32 count }
/// shape index column: eventCount x (u8 if shapeCount <= 256 else u16)
/// timestamps: width x eventCount bytes (plane k = byte k of zigzag(t[i] - t[i-1])), or the
///   value coding (`DeltaValueCoding`, docs/trace-format.md section 3.1)
/// u32 dataLength, data bytes
/// u32 markerLength, markers: per marker event { varint nameLen, name, varint value, varint textLen, text }
/// ```
public struct EventBlock: Sendable {
    public static let magic: UInt32 = 0x5645_5450  // "PTEV"
    /// Block versions this code reads: 1 (byte planes only) and 2 (adds the value coding).
    public static let newestVersion: UInt16 = 2
    /// The timestamp-coding byte of a version-2 block whose timestamps are value-coded.
    public static let valueCodingTag: UInt8 = 0x80

    /// Shape flag bits.
    static let flagIn: UInt8 = 0x01
    static let flagIncomplete: UInt8 = 0x02
    static let flagMarker: UInt8 = 0x04
    static let knownFlags: UInt8 = 0x07

    public internal(set) var timestamps: [UInt64]
    public internal(set) var shapeIndex: [UInt16]
    /// The shape table; a marker's entry has `isMarker` set.
    public internal(set) var shapes: [BlockShape]
    public internal(set) var data: [UInt8]
    /// One per marker event, in order.
    public internal(set) var markers: [Marker]

    public var count: Int { timestamps.count }

    public struct BlockShape: Hashable, Sendable {
        public var shape: EventShape
        public var isMarker: Bool
        /// An event kind of a newer format revision; its events are skipped.
        public var isUnknownKind = false

        public init(shape: EventShape, isMarker: Bool, isUnknownKind: Bool = false) {
            self.shape = shape
            self.isMarker = isMarker
            self.isUnknownKind = isUnknownKind
        }
    }

    /// Events of unknown kinds in this block (skipped by every visitor).
    public internal(set) var skippedEvents = 0
    /// Whether the timestamps were value-coded (block version 2) rather than in byte planes.
    public internal(set) var valueCodedTimestamps = false

    /// Visits every event without allocating: accesses with their shape and data bytes,
    /// markers with their vCPU. A thin use of `walk`, for callers that take events one by one.
    @inlinable
    public func forEachAccess<E: Error>(
        _ body: (_ timestamp: UInt64, _ shape: EventShape, _ data: UnsafeRawBufferPointer) throws(E) -> Void,
        marker: (_ timestamp: UInt64, _ vcpu: UInt32, _ marker: Marker) throws(E) -> Void
    ) throws(E) {
        try withoutActuallyEscaping(body) { (body) throws(E) in
            try withoutActuallyEscaping(marker) { (marker) throws(E) in
                var visitor = ClosureVisitor<E>(access: body, marker: marker)
                try walk(&visitor)
            }
        }
    }

    /// The block's columns as buffers, for loops that must not allocate or count references per event.
    @inlinable
    public func withColumns<R, E: Error>(
        _ body: (
            UnsafeBufferPointer<UInt64>, UnsafeBufferPointer<UInt16>, UnsafeBufferPointer<BlockShape>,
            UnsafeRawBufferPointer, [Marker]
        ) throws(E) -> R
    ) throws(E) -> R {
        // SAFETY: each column's storage is valid for the nested closures, which do not let the pointers escape.
        try timestamps.withUnsafeBufferPointer { (t) throws(E) in
            try shapeIndex.withUnsafeBufferPointer { (i) throws(E) in
                try shapes.withUnsafeBufferPointer { (s) throws(E) in
                    try data.withUnsafeBufferPointer { (d) throws(E) in try body(t, i, s, UnsafeRawBufferPointer(d), markers) }
                }
            }
        }
    }

    /// The events as owned values (allocates; for tools and tests, not hot paths).
    public func events() -> [PortIOEvent] {
        var out: [PortIOEvent] = []
        out.reserveCapacity(count)
        forEachAccess(
            { t, shape, bytes in
                out.append(PortIOEvent(timestamp: t, vcpu: shape.vcpu, payload: .access(shape, data: Array(bytes))))
            },
            marker: { t, vcpu, m in
                out.append(.marker(at: t, vcpu: vcpu, m))
            })
        return out
    }

    public var minTimestamp: UInt64 { timestamps.min() ?? 0 }
    public var maxTimestamp: UInt64 { timestamps.max() ?? 0 }
}

/// Collects events for one block and encodes it. The recording thread appends;
/// `encode()` runs on the compression thread.
public struct EventBlockBuilder: Sendable {
    public private(set) var timestamps: [UInt64] = []
    var shapeIndex: [UInt16] = []
    var shapes: [EventBlock.BlockShape] = []
    var shapeLookup: [EventBlock.BlockShape: UInt16] = [:]
    public private(set) var data: [UInt8] = []
    var markers: [Marker] = []

    public init(capacity: Int = 0) {
        timestamps.reserveCapacity(capacity)
        shapeIndex.reserveCapacity(capacity)
    }

    public var count: Int { timestamps.count }
    public var isEmpty: Bool { timestamps.isEmpty }
    /// An estimate of the decompressed size, for sealing before a block grows past the limit.
    public var encodedSizeEstimate: Int { 40 + shapes.count * 12 + count * 2 + count * 5 + data.count + markers.count * 32 }
    /// Distinct shapes so far; a block holds at most 65,536.
    public var shapeCount: Int { shapes.count }

    /// The previous event's shape: consecutive events usually share one, so most appends skip hashing.
    var lastShape: EventBlock.BlockShape?
    var lastIndex: UInt16 = 0

    @inline(__always)
    mutating func index(of s: EventBlock.BlockShape) -> UInt16 {
        if s == lastShape { return lastIndex }
        let i = lookupOrAdd(s)
        lastShape = s
        lastIndex = i
        return i
    }

    mutating func lookupOrAdd(_ s: EventBlock.BlockShape) -> UInt16 {
        if let i = shapeLookup[s] { return i }
        let i = UInt16(shapes.count)
        shapes.append(s)
        shapeLookup[s] = i
        return i
    }

    /// Adds a port access. `data` must hold `shape.dataLength` bytes.
    public mutating func append(timestamp: UInt64, shape: EventShape, data bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == shape.dataLength, "event data length does not match its shape")
        timestamps.append(timestamp)
        shapeIndex.append(index(of: .init(shape: shape, isMarker: false)))
        data.append(contentsOf: bytes)
    }

    public mutating func append(timestamp: UInt64, shape: EventShape, data bytes: [UInt8]) {
        // SAFETY: the array's bytes are valid for the closure; append copies them.
        bytes.withUnsafeBytes { append(timestamp: timestamp, shape: shape, data: $0) }
    }

    public mutating func append(timestamp: UInt64, vcpu: UInt32, marker: Marker) {
        timestamps.append(timestamp)
        let shape = EventShape(vcpu: vcpu, port: 0, direction: .out, size: 0, count: 0)
        shapeIndex.append(index(of: .init(shape: shape, isMarker: true)))
        markers.append(marker)
    }

    public mutating func append(_ event: PortIOEvent) {
        switch event.payload {
        case .access(let shape, let bytes):
            var s = shape
            s.vcpu = event.vcpu
            append(timestamp: event.timestamp, shape: s, data: bytes)
        case .marker(let m):
            append(timestamp: event.timestamp, vcpu: event.vcpu, marker: m)
        }
    }

    @inline(__always)
    static func zigzag(_ delta: UInt64) -> UInt64 {
        let s = Int64(bitPattern: delta)
        return UInt64(bitPattern: (s << 1) ^ (s >> 63))
    }

    /// The inverse of `zigzag`.
    @inline(__always)
    static func unzigzag(_ z: UInt64) -> UInt64 {
        UInt64(bitPattern: Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1))
    }

    /// How the timestamp column is coded (docs/trace-format.md section 3).
    public enum TimestampCoding: Sendable {
        /// Byte planes of zigzag deltas (block version 1, readable by every reader).
        case planes
        /// The value coding (block version 2) wherever it applies (at least 2 events, at most
        /// 65,471 deltas recurring 3 or more times); byte planes otherwise.
        case values
        /// Whichever is smaller: the value coding's bytes against the planes' bytes as
        /// `compressedSize` compresses them, given the offsets where planes after the first
        /// start (their raw size without one).
        case smaller
    }

    /// The block's bytes, ready for compression.
    public func encode(_ coding: TimestampCoding = .planes) -> [UInt8] { encodeWithColumns(coding).bytes }

    /// The block's bytes and the offsets where its columns start (for per-column entropy coding).
    public func encodeWithColumns(_ coding: TimestampCoding = .planes, compressedSize: (([UInt8], [Int]) -> Int)? = nil) -> (
        bytes: [UInt8], columns: [Int]
    ) {
        var columns: [Int] = []
        let n = count
        // Deltas modulo 2^64: any order and any 64-bit value round trip.
        var deltas = [UInt64](repeating: 0, count: max(n - 1, 0))
        if n > 1 { for i in 1..<n { deltas[i - 1] = timestamps[i] &- timestamps[i - 1] } }
        var valueCoded: DeltaValueCoding?
        if coding == .values && n > 1 {
            // SAFETY: `deltas` is alive for the call.
            valueCoded = deltas.withUnsafeBufferPointer { DeltaValueCoding(deltas: $0) }
        }
        var planes: [UInt8] = []
        var width = 0
        if coding != .values || valueCoded == nil {
            // Byte planes of zigzag deltas: plane k holds byte k of every delta.
            var zigzags = [UInt64](repeating: 0, count: deltas.count)
            var widest: UInt64 = 0
            for i in deltas.indices {
                zigzags[i] = EventBlockBuilder.zigzag(deltas[i])
                widest |= zigzags[i]
            }
            width = widest == 0 ? 0 : (64 - widest.leadingZeroBitCount + 7) / 8
            planes.reserveCapacity(width * n)
            for plane in 0..<width {
                let shift = UInt64(plane * 8)
                planes.append(0)  // event 0's delta
                planes.append(contentsOf: zigzags.lazy.map { UInt8(truncatingIfNeeded: $0 >> shift) })
            }
            // Planes of width 0 (every delta 0) cost nothing: nothing to weigh.
            if coding == .smaller && n > 1 && width > 0 {
                let planeBytes = compressedSize?(planes, (1..<width).map { $0 * n }) ?? planes.count
                // SAFETY: `deltas` and `zigzags` are alive for the calls.
                let hopeless = deltas.withUnsafeBufferPointer { d in
                    zigzags.withUnsafeBufferPointer { DeltaValueCoding.cannotBeat(planeBytes, deltas: d, zigzags: $0) }
                }
                if !hopeless {
                    valueCoded = deltas.withUnsafeBufferPointer { DeltaValueCoding(deltas: $0) }
                    if let v = valueCoded, v.encodedSize >= planeBytes { valueCoded = nil }
                }
            }
        }

        var w = ByteWriter(capacity: encodedSizeEstimate)
        w.u32(EventBlock.magic)
        w.u16(valueCoded == nil ? 1 : 2)
        w.u16(0)
        w.u32(UInt32(n))
        w.u32(UInt32(shapes.count))
        w.u64(timestamps.first ?? 0)
        w.u8(valueCoded == nil ? UInt8(width) : EventBlock.valueCodingTag)
        w.u8(0)
        w.u8(0)
        w.u8(0)

        for s in shapes {
            w.u32(s.shape.vcpu)
            w.u16(s.shape.port)
            var flags: UInt8 = 0
            if s.shape.direction == .in { flags |= EventBlock.flagIn }
            if s.shape.incomplete { flags |= EventBlock.flagIncomplete }
            if s.isMarker { flags |= EventBlock.flagMarker }
            w.u8(flags)
            w.u8(s.shape.size)
            w.u32(s.shape.count)
        }
        columns.append(w.bytes.count)
        if shapes.count <= 256 {
            w.bytes.append(contentsOf: shapeIndex.lazy.map { UInt8(truncatingIfNeeded: $0) })
        } else {
            for i in shapeIndex { w.u16(i) }
        }
        if let v = valueCoded {
            columns.append(contentsOf: v.write(to: &w))
        } else {
            // Byte planes: zstd's literal coder then models each byte position on its own.
            for plane in 0..<width {
                columns.append(w.bytes.count)
                w.append(contentsOf: planes[(plane * n)..<(plane * n + n)])
            }
        }
        columns.append(w.bytes.count)
        w.u32(UInt32(data.count))
        w.bytes.append(contentsOf: data)
        var m = ByteWriter()
        for marker in markers {
            let name = Array(marker.name.utf8)
            let text = Array(marker.text.utf8)
            m.varint(UInt64(name.count))
            m.append(contentsOf: name)
            m.varint(marker.value)
            m.varint(UInt64(text.count))
            m.append(contentsOf: text)
        }
        columns.append(w.bytes.count)
        w.u32(UInt32(m.bytes.count))
        w.append(contentsOf: m.bytes)
        return (w.bytes, columns)
    }
}

extension EventBlock {
    public enum DecodeResult {
        case events(EventBlock)
        /// A block of a kind this reader does not know (skipped with a warning).
        case unknownKind(UInt32)
    }

    /// Decodes a block, checking every length against the bytes present.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<DecodeResult, BlockDecodeError> {
        var c = ByteCursor(bytes)
        guard let magic = c.readU32() else { return .failure(.init("block shorter than its kind tag")) }
        guard magic == EventBlock.magic else { return .success(.unknownKind(magic)) }
        guard let version = c.readU16(), c.readU16() != nil, let n32 = c.readU32(), let shapeCount32 = c.readU32(),
            let base = c.readU64(), let width8 = c.readU8(), c.skip(3)
        else { return .failure(.init("block header cut short")) }
        guard version >= 1, version <= EventBlock.newestVersion else {
            return .failure(.init("event block version \(version) is not supported"))
        }
        let n = Int(n32)
        let shapeCount = Int(shapeCount32)
        // Version 2 adds one coding: the value table; a version-2 block may also use planes.
        let valueCoded = version >= 2 && width8 == EventBlock.valueCodingTag
        let width = valueCoded ? 0 : Int(width8)
        guard width <= 8 else { return .failure(.init("timestamp width \(width) over 8 bytes")) }
        guard !valueCoded || n >= 2 else { return .failure(.init("value-coded timestamps in a block of \(n) events")) }
        guard shapeCount <= TraceLimits.maxShapesPerBlock, shapeCount * 12 <= c.remaining else {
            return .failure(.init("shape table (\(shapeCount)) longer than the block"))
        }
        // Every event costs at least one index byte and `width` delta bytes.
        guard n <= c.remaining else { return .failure(.init("event count \(n) larger than the block")) }
        guard n == 0 || shapeCount > 0 else { return .failure(.init("events but no shapes")) }

        var shapes: [BlockShape] = []
        shapes.reserveCapacity(shapeCount)
        for _ in 0..<shapeCount {
            guard let vcpu = c.readU32(), let port = c.readU16(), let flags = c.readU8(), let size = c.readU8(), let count = c.readU32()
            else { return .failure(.init("shape table cut short")) }
            // A shape with flags this reader does not know is an event kind from a newer writer:
            // by the format's rule it carries no bytes in the data column, and its events are skipped.
            let unknownKind = flags & ~EventBlock.knownFlags != 0
            let isMarker = flags & EventBlock.flagMarker != 0 || unknownKind
            if !isMarker, let why = TraceLimits.problem(with: EventShape(vcpu: vcpu, port: port, direction: .out, size: size, count: count))
            {
                return .failure(.init(why))
            }
            if isMarker && !unknownKind, let why = TraceLimits.problem(withVCPU: vcpu) { return .failure(.init("a marker's \(why)")) }
            let shape = EventShape(
                vcpu: vcpu, port: port, direction: flags & EventBlock.flagIn != 0 ? .in : .out,
                size: size, count: count, incomplete: flags & EventBlock.flagIncomplete != 0)
            shapes.append(BlockShape(shape: shape, isMarker: isMarker, isUnknownKind: unknownKind))
        }

        let indexWidth = shapeCount <= 256 ? 1 : 2
        guard let indexBytes = c.readBytes(n * indexWidth) else { return .failure(.init("shape index column cut short")) }
        var shapeIndex = [UInt16](repeating: 0, count: n)
        // Per-shape data length (0 for markers), so the pass below is one table load per event.
        let lengths = shapes.map { $0.isMarker ? 0 : $0.shape.dataLength }
        var dataNeeded = 0
        var markerEvents = 0
        var badIndex: Int?
        // SAFETY: `out` has `n` slots and `len` one per shape; the loop writes `out[0..<n]` and reads `len` only at indices checked against the shape count.
        shapeIndex.withUnsafeMutableBufferPointer { out in
            lengths.withUnsafeBufferPointer { len in
                for i in 0..<n {
                    let idx = indexWidth == 1 ? UInt16(indexBytes[i]) : UInt16(indexBytes[2 * i]) | UInt16(indexBytes[2 * i + 1]) << 8
                    guard Int(idx) < shapeCount else {
                        badIndex = i
                        return
                    }
                    out[i] = idx
                    dataNeeded &+= len[Int(idx)]  // at most 2^32 events x 2^34 bytes: no overflow in 64 bits
                }
            }
        }
        if let i = badIndex { return .failure(.init("event \(i) names a shape beyond the \(shapeCount) in the table")) }
        var skipped = 0
        if shapes.contains(where: \.isMarker) {
            for i in 0..<n {
                let sh = shapes[Int(shapeIndex[i])]
                if sh.isUnknownKind { skipped += 1 } else if sh.isMarker { markerEvents += 1 }
            }
        }

        guard width == 0 || n <= c.remaining / width else { return .failure(.init("timestamp column cut short")) }
        var timestamps = [UInt64](repeating: 0, count: n)
        if valueCoded {
            // SAFETY: `timestamps` is alive for the call and has `n` slots.
            if let why = timestamps.withUnsafeMutableBufferPointer({ DeltaValueCoding.decode(&c, base: base, into: $0) }) {
                return .failure(.init(why))
            }
        } else if n > 0 {
            guard let planes = c.readBytes(n * width) else { return .failure(.init("timestamp column cut short")) }
            // SAFETY: `ts` has `n` slots and each plane `n` bytes: readBytes returned `n * width` bytes just above.
            timestamps.withUnsafeMutableBufferPointer { ts in
                // Gather the zigzag deltas plane by plane, then undo zigzag and sum.
                for p in 0..<width {
                    let plane = UnsafeRawBufferPointer(rebasing: planes[(p * n)..<(p * n + n)])
                    let shift = UInt64(p * 8)
                    for i in 1..<max(n, 1) { ts[i] |= UInt64(plane[i]) << shift }
                }
                var t = base
                ts[0] = base
                for i in 1..<max(n, 1) {
                    let z = ts[i]
                    t = t &+ EventBlockBuilder.unzigzag(z)
                    ts[i] = t
                }
            }
        }

        guard let dataLen = c.readU32() else { return .failure(.init("data column length missing")) }
        guard Int(dataLen) == dataNeeded else {
            return .failure(.init("data column holds \(dataLen) bytes, events need \(dataNeeded)"))
        }
        guard let dataBytes = c.readBytes(Int(dataLen)) else { return .failure(.init("data column cut short")) }

        guard let markerLen = c.readU32(), let markerBytes = c.readBytes(Int(markerLen)) else {
            return .failure(.init("marker column cut short"))
        }
        var mc = ByteCursor(markerBytes)
        var markers: [Marker] = []
        markers.reserveCapacity(markerEvents)
        for _ in 0..<markerEvents {
            guard let nl = mc.readVarint(), nl >= 1, nl <= UInt64(TraceLimits.maxMarkerName), let name = mc.readBytes(Int(nl)),
                let value = mc.readVarint(), let tl = mc.readVarint(), tl <= UInt64(TraceLimits.maxMarkerText),
                let text = mc.readBytes(Int(tl))
            else { return .failure(.init("marker column cut short")) }
            markers.append(Marker(String(decoding: name, as: UTF8.self), value: value, text: String(decoding: text, as: UTF8.self)))
        }
        guard mc.remaining == 0 else { return .failure(.init("marker column has \(mc.remaining) extra bytes")) }
        guard c.remaining == 0 else { return .failure(.init("\(c.remaining) bytes after the last column")) }

        var block = EventBlock(timestamps: timestamps, shapeIndex: shapeIndex, shapes: shapes, data: Array(dataBytes), markers: markers)
        block.skippedEvents = skipped
        block.valueCodedTimestamps = valueCoded
        return .success(.events(block))
    }
}

public struct BlockDecodeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ d: String) { description = d }
}
