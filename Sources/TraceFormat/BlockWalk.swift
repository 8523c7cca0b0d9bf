/// What a walk over a block's events calls: the one block walk that dump, replay, verify,
/// info and the analysis commands share. `Failure` is `Never` for visitors that cannot fail.
public protocol EventVisitor {
    associatedtype Failure: Error = Never
    /// One port access, with the data bytes the trace holds for it.
    mutating func visit(timestamp: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) throws(Failure)
    /// Two or more consecutive accesses of one shape (not markers): `timestamps` in order and
    /// their data adjacent in `data`, `shape.dataLength` bytes each. Return false to have them
    /// visited one by one instead (the default).
    mutating func visitRun(timestamps: UnsafeBufferPointer<UInt64>, shape: EventShape, data: UnsafeRawBufferPointer) throws(Failure) -> Bool
    /// A marker event.
    mutating func visit(timestamp: UInt64, vcpu: UInt32, marker: Marker) throws(Failure)
}

extension EventVisitor {
    @inlinable
    public mutating func visitRun(
        timestamps: UnsafeBufferPointer<UInt64>, shape: EventShape,
        data: UnsafeRawBufferPointer
    ) throws(Failure) -> Bool {
        false
    }
}

extension EventBlock {
    /// Walks the block's columns in event order. Events of unknown kinds are skipped; runs of
    /// same-shape accesses are offered to `visitRun` first (replay hands them to a device at once).
    @inlinable
    public func walk<V: EventVisitor>(_ visitor: inout V) throws(V.Failure) {
        try withColumns { (timestamps, shapeIndex, shapes, data, markers) throws(V.Failure) in
            var offset = 0
            var markerIndex = 0
            var i = 0
            let n = timestamps.count
            while i < n {
                let si = shapeIndex[i]
                let s = shapes[Int(si)]
                if s.isUnknownKind {
                    i += 1
                    continue
                }
                if s.isMarker {
                    try visitor.visit(timestamp: timestamps[i], vcpu: s.shape.vcpu, marker: markers[markerIndex])
                    markerIndex += 1
                    i += 1
                    continue
                }
                let length = s.shape.dataLength
                // The run of events of this shape starting here (one event when the next differs).
                var j = i + 1
                while j < n && shapeIndex[j] == si { j += 1 }
                if j - i > 1 {
                    let bytes = length * (j - i)
                    // SAFETY: decoding checked that the data column holds exactly the sum of the events'
                    // lengths, so `offset + bytes` is within `data`; `i..<j` is within `timestamps`.
                    let runData = UnsafeRawBufferPointer(rebasing: data[offset..<offset + bytes])
                    if try visitor.visitRun(timestamps: UnsafeBufferPointer(rebasing: timestamps[i..<j]), shape: s.shape, data: runData) {
                        offset += bytes
                        i = j
                        continue
                    }
                }
                // Declined (or a single event): each event on its own, without scanning for the run again.
                while i < j {
                    // SAFETY: as above, `offset + length` is within the data column.
                    try visitor.visit(
                        timestamp: timestamps[i], shape: s.shape,
                        data: UnsafeRawBufferPointer(rebasing: data[offset..<offset + length]))
                    offset += length
                    i += 1
                }
            }
        }
    }
}

/// `forEachAccess`'s closures as a visitor.
@usableFromInline
struct ClosureVisitor<E: Error>: EventVisitor {
    @usableFromInline let access: (UInt64, EventShape, UnsafeRawBufferPointer) throws(E) -> Void
    @usableFromInline let marker: (UInt64, UInt32, Marker) throws(E) -> Void

    @inlinable
    init(
        access: @escaping (UInt64, EventShape, UnsafeRawBufferPointer) throws(E) -> Void,
        marker: @escaping (UInt64, UInt32, Marker) throws(E) -> Void
    ) {
        self.access = access
        self.marker = marker
    }

    @inlinable
    mutating func visit(timestamp: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) throws(E) {
        try access(timestamp, shape, data)
    }

    @inlinable
    mutating func visit(timestamp: UInt64, vcpu: UInt32, marker m: Marker) throws(E) {
        try marker(timestamp, vcpu, m)
    }
}
