/// The JSON-lines form of events, shared by `dump --format jsonl` and `import`.
///
/// Access: `{"t_ns":N,"vcpu":N,"port":N,"dir":"out","size":1,"count":1,"data":"hex"}` (+ `"incomplete":true`).
/// Marker: `{"t_ns":N,"vcpu":N,"marker":"name"}` (+ `"value":N`, `"text":"..."` when set).
/// Header: `{"header":{...metadata and summary...}}`.
public enum JSONLines {

    /// Appends one event's line (without newline) to `out`. The line is written straight into
    /// room made at the end of `out` (its longest possible length), then trimmed: no per-part
    /// appends, which cost more than the formatting itself.
    public static func write(timestamp: UInt64, shape: EventShape, data: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let start = out.count
        let room = 192 + 2 * data.count
        out.append(contentsOf: repeatElement(0, count: room))
        // SAFETY: the array's storage, for the closure only (see below).
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int in
            // SAFETY: `room` bytes from `start` were just appended. The fixed text is 82 bytes at
            // most and the five numbers 20 digits at most each (a bound, not a fit), plus two hex
            // digits per data byte: LineBuffer checks every write against `room` anyway.
            var w = LineBuffer(buffer.baseAddress! + start, capacity: room)
            w.put(#"{"t_ns":"#)
            w.decimal(timestamp)
            w.put(#","vcpu":"#)
            w.decimal(UInt64(shape.vcpu))
            w.put(#","port":"#)
            w.decimal(UInt64(shape.port))
            w.put(shape.direction == .out ? #","dir":"out","size":"# : #","dir":"in","size":"#)
            w.decimal(UInt64(shape.size))
            w.put(#","count":"#)
            w.decimal(UInt64(shape.count))
            w.put(#","data":""#)
            w.hex(data)
            w.put(UInt8(ascii: "\""))
            if shape.incomplete { w.put(#","incomplete":true"#) }
            w.put(UInt8(ascii: "}"))
            return w.count
        }
        out.removeLast(room - written)
    }

    public static func write(timestamp: UInt64, vcpu: UInt32, marker: Marker, to out: inout [UInt8]) {
        var pairs: [(String, JSONValue)] = [("t_ns", .uint(timestamp)), ("vcpu", .uint(UInt64(vcpu))), ("marker", .string(marker.name))]
        if marker.value != 0 { pairs.append(("value", .uint(marker.value))) }
        if !marker.text.isEmpty { pairs.append(("text", .string(marker.text))) }
        out.append(contentsOf: JSONValue.object(pairs).serialized().utf8)
    }

    /// A parsed line of JSON-lines input.
    public enum Line {
        case header(JSONValue)
        case event(PortIOEvent)
    }

    /// The access lines `dump --format jsonl` writes, read straight from their bytes:
    /// `{"t_ns":N,"vcpu":N,"port":N,"dir":"out","size":N,"count":N,"data":"hex"}` (and
    /// `,"incomplete":true`). Nil for any other line, which `parse` then reads (and judges).
    public static func parseAccess(_ b: UnsafeBufferPointer<UInt8>) -> PortIOEvent? {
        var c = ByteScanner(b)
        guard c.take(#"{"t_ns":"#), let t = c.jsonInteger(), c.take(#","vcpu":"#), let vcpu = c.jsonInteger(), vcpu <= UInt64(UInt32.max),
            c.take(#","port":"#), let port = c.jsonInteger(), port <= 0xffff
        else { return nil }
        let direction: PortDirection
        if c.take(#","dir":"out","size":"#) {
            direction = .out
        } else if c.take(#","dir":"in","size":"#) {
            direction = .in
        } else {
            return nil
        }
        guard let size = c.jsonInteger(), size <= 4, c.take(#","count":"#), let count = c.jsonInteger(), count <= UInt64(UInt32.max),
            c.take(#","data":""#)
        else { return nil }
        let dataStart = c.at
        while !c.atEnd && b[c.at] != 0x22 { c.at += 1 }
        let dataEnd = c.at
        guard c.take("\""), (dataEnd - dataStart) % 2 == 0 else { return nil }
        let incomplete = c.take(#","incomplete":true"#)
        guard c.take("}"), c.atEnd else { return nil }
        let shape = EventShape(
            vcpu: UInt32(vcpu), port: UInt16(port), direction: direction, size: UInt8(size), count: UInt32(count), incomplete: incomplete)
        guard TraceLimits.problem(with: shape) == nil, (dataEnd - dataStart) / 2 == shape.dataLength else { return nil }
        var data = [UInt8](repeating: 0, count: shape.dataLength)
        var i = dataStart
        for k in 0..<data.count {
            guard let h = nibble(b[i]), let l = nibble(b[i + 1]) else { return nil }
            data[k] = h << 4 | l
            i += 2
        }
        return PortIOEvent(timestamp: t, vcpu: UInt32(vcpu), payload: .access(shape, data: data))
    }

    @inline(__always)
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }

    /// Parses one line; `lineNumber` is for messages.
    public static func parse(_ text: String, lineNumber: Int) throws -> Line {
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch { throw TraceError.badInput(line: lineNumber, reason: "\(error)") }
        guard case .object = value else { throw TraceError.badInput(line: lineNumber, reason: "expected a JSON object") }
        if let header = value["header"] {
            guard case .object = header else { throw TraceError.badInput(line: lineNumber, reason: "\"header\" is not an object") }
            return .header(header)
        }
        func field(_ key: String) throws -> JSONValue {
            guard let v = value[key] else { throw TraceError.badInput(line: lineNumber, reason: "missing \"\(key)\"") }
            return v
        }
        func number<T: FixedWidthInteger>(_ key: String, _: T.Type, default d: T? = nil) throws -> T {
            guard let v = value[key] else {
                if let d { return d }
                throw TraceError.badInput(line: lineNumber, reason: "missing \"\(key)\"")
            }
            guard case .number(let text) = v, let n = T(text) else {
                throw TraceError.badInput(line: lineNumber, reason: "\"\(key)\" is not an integer in range for \(T.self)")
            }
            return n
        }
        let t = try number("t_ns", UInt64.self)
        let vcpu = try number("vcpu", UInt32.self, default: 0)
        if let m = value["marker"] {
            guard let name = m.stringValue, !name.isEmpty else {
                throw TraceError.badInput(line: lineNumber, reason: "\"marker\" must be a non-empty string")
            }
            let v = try number("value", UInt64.self, default: 0)
            if let t = value["text"], t.stringValue == nil {
                throw TraceError.badInput(line: lineNumber, reason: "\"text\" must be a string")
            }
            let marker = Marker(name, value: v, text: value["text"]?.stringValue ?? "")
            if let why = TraceLimits.problem(with: marker) ?? TraceLimits.problem(withVCPU: vcpu) {
                throw TraceError.badInput(line: lineNumber, reason: why)
            }
            return .event(.marker(at: t, vcpu: vcpu, marker))
        }
        let port = try number("port", UInt16.self)
        guard let dirText = try field("dir").stringValue, let dir = dirText == "out" ? PortDirection.out : (dirText == "in" ? .in : nil)
        else {
            throw TraceError.badInput(line: lineNumber, reason: "\"dir\" must be \"in\" or \"out\"")
        }
        let size = try number("size", UInt8.self, default: 1)
        guard size == 1 || size == 2 || size == 4 else { throw TraceError.badInput(line: lineNumber, reason: "\"size\" must be 1, 2 or 4") }
        let count = try number("count", UInt32.self, default: 1)
        guard count >= 1 else { throw TraceError.badInput(line: lineNumber, reason: "\"count\" must be at least 1") }
        let incomplete = value["incomplete"]?.boolValue ?? false
        if let why = TraceLimits.problem(with: EventShape(vcpu: vcpu, port: port, direction: dir, size: size, count: count)) {
            throw TraceError.badInput(line: lineNumber, reason: why)
        }
        guard let hexText = try field("data").stringValue, let data = decodeHex(hexText) else {
            throw TraceError.badInput(line: lineNumber, reason: "\"data\" must be a string of hex digit pairs")
        }
        let shape = EventShape(vcpu: vcpu, port: port, direction: dir, size: size, count: count, incomplete: incomplete)
        guard data.count == shape.dataLength else {
            throw TraceError.badInput(
                line: lineNumber,
                reason:
                    "\"data\" has \(data.count) bytes; size \(size) x count \(count)\(incomplete ? " (incomplete: first element only)" : "") needs \(shape.dataLength)"
            )
        }
        return .event(PortIOEvent(timestamp: t, vcpu: vcpu, payload: .access(shape, data: data)))
    }

    public static func decodeHex(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var i = 0
        while i < u.count {
            guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }
}

/// Writes bytes into memory the caller made room for; `capacity` is checked on every write (a
/// precondition, never hit: callers size the room for the longest line).
package struct LineBuffer {
    @usableFromInline let base: UnsafeMutablePointer<UInt8>
    @usableFromInline let capacity: Int
    @usableFromInline var count = 0

    @inlinable package init(_ base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// Bytes written so far.
    @inlinable package var written: Int { count }

    @inlinable @inline(__always) package mutating func put(bytes: UnsafeBufferPointer<UInt8>) {
        precondition(count + bytes.count <= capacity)
        guard let source = bytes.baseAddress else { return }
        // SAFETY: `bytes` is valid for its count; the room was checked above.
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    /// `value` in decimal with a `-` when negative.
    @inlinable @inline(__always) package mutating func signedDecimal(_ value: Int64) {
        if value < 0 { put(0x2d) }
        decimal(value.magnitude)
    }

    /// Two lower-case hex digits per byte.
    @inlinable @inline(__always) package mutating func hex(_ data: UnsafeRawBufferPointer) {
        precondition(count + 2 * data.count <= capacity)
        for b in data {
            let hi = b >> 4
            let lo = b & 0xf
            base[count] = hi < 10 ? 0x30 &+ hi : 0x57 &+ hi
            base[count + 1] = lo < 10 ? 0x30 &+ lo : 0x57 &+ lo
            count += 2
        }
    }

    @inlinable @inline(__always) package mutating func put(_ byte: UInt8) {
        precondition(count < capacity)
        base[count] = byte
        count += 1
    }

    @inlinable @inline(__always) package mutating func put(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        precondition(count + n <= capacity)
        // SAFETY: a StaticString's UTF-8 is valid for its code-unit count; the room was checked above.
        (base + count).update(from: text.utf8Start, count: n)
        count += n
    }

    /// `value` in decimal, at least `width` digits, written last digit first into its place.
    @inlinable @inline(__always) package mutating func decimal(_ value: UInt64, width: Int = 1) {
        var n = 1
        var v = value
        while v >= 10 {
            v /= 10
            n += 1
        }
        let digits = max(n, width)
        precondition(count + digits <= capacity)
        var x = value
        for i in stride(from: count + digits - 1, through: count, by: -1) {
            base[i] = UInt8(truncatingIfNeeded: x % 10) &+ 0x30
            x /= 10
        }
        count += digits
    }
}
