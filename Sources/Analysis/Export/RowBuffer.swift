import TraceFormat

/// Rows of text written straight into memory this buffer owns: room is made without filling it
/// (no zeroes written then trimmed), it grows by doubling when a row needs more, and what it
/// holds is handed out as raw bytes. Memory is what the rows between two hand-outs take (one
/// block of a trace, for the events table).
final class RowBuffer {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 4096)
        // SAFETY: freed in deinit; only bytes below `count` are ever read.
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        // SAFETY: `base` was allocated in init (or by `grow`) with `capacity` bytes and is not used after this.
        base.deallocate()
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        // SAFETY: the new block holds `newCapacity >= count` bytes; the `count` written bytes are
        // copied over, then the old block is freed and never used again.
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    /// Writes one row of at most `room` bytes with `body`.
    @inline(__always)
    func write(room: Int, _ body: (inout LineBuffer) -> Void) {
        if count + room > capacity { grow(to: count + room) }
        // SAFETY: `room` bytes from `count` lie within the allocation (grown above); LineBuffer
        // checks every write against `room`.
        var w = LineBuffer(base + count, capacity: room)
        body(&w)
        count += w.written
    }

    /// Appends bytes.
    func append(_ bytes: [UInt8]) {
        // SAFETY: the array's storage is valid for the closure; `put` copies it within `room`.
        bytes.withUnsafeBufferPointer { b in write(room: b.count) { $0.put(bytes: b) } }
    }

    /// What the buffer holds, for the closure only; then it is empty.
    func drain(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        defer { count = 0 }
        // SAFETY: the first `count` bytes were written; the buffer is valid for the closure.
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }
}
