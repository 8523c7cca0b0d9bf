import Devices

/// The secret of the keyed line hash: random per process, so no guest output can be made to
/// collide with another on purpose.
public struct LineKeySeed: Sendable, Equatable {
    let s0: UInt64
    let s1: UInt64
    let s2: UInt64
    let marker: UInt64

    /// A fresh random seed.
    public init() {
        var g = SystemRandomNumberGenerator()
        s0 = g.next()
        s1 = g.next()
        s2 = g.next()
        marker = g.next()
    }
}

/// A keyed 64-bit hash of a line (bytes, or the fields of a log record): outputs are compared
/// by these 8 bytes per line, and the lines themselves are read again only where a difference
/// is shown. Two different lines get the same key with a probability of about 2^-64 per pair.
/// Each step multiplies to 128 bits and folds (`mum`, as wyhash does) with the seed's secrets.
struct LineHasher {
    private var h: UInt64
    private let s0: UInt64
    private let s1: UInt64
    private let marker: UInt64
    /// Bytes not yet a whole word, and how many.
    private var word: UInt64 = 0
    private var shift: UInt64 = 0
    private var length: UInt64 = 0

    @inline(__always)
    init(_ seed: LineKeySeed) {
        h = seed.s2
        s0 = seed.s0
        s1 = seed.s1
        marker = seed.marker
    }

    @inline(__always)
    static func mum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }

    /// One value, whole (a field of a record).
    @inline(__always)
    mutating func mix(_ v: UInt64) {
        h = LineHasher.mum(h ^ s0, v ^ s1)
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        word |= UInt64(b) << shift
        length &+= 1
        if shift == 56 {
            mix(word)
            word = 0
            shift = 0
        } else {
            shift += 8
        }
    }

    mutating func bytes<S: Sequence<UInt8>>(_ s: S) {
        for b in s { byte(b) }
    }

    /// A masked field: compared as "something was here", whatever it held.
    mutating func mask() {
        flushWord()
        mix(marker)
    }

    private mutating func flushWord() {
        if shift > 0 {
            mix(word ^ shift << 56)
            word = 0
            shift = 0
        }
    }

    /// The key; `tag` tells apart lines that end differently (a newline or the end of the output).
    mutating func finish(tag: UInt64 = 0) -> UInt64 {
        flushWord()
        mix(length ^ tag << 60)
        return LineHasher.mum(h ^ s1, marker ^ length)
    }
}

/// Console bytes, as printed, into one key per line (the line's bytes, its CR included; a
/// last line without a newline is keyed as such, so "x" and "x\n" differ as in `diff`).
///
/// Masks come in three ways: none (the bytes are hashed as they come); the printk prefix alone
/// (the default of `diff`: read as the line streams, `PrintkPrefixScanner`, so only the bytes
/// of a prefix in the making wait, and a line that does not open with `[` costs one byte's
/// look); any other masks (the line is kept, up to the mask window, and hashed at its end).
struct ConsoleLineKeyer {
    let seed: LineKeySeed
    let masks: [(entry: Int, mask: any LineMask)]
    /// The masks are the printk prefix alone, read as the line streams.
    private let streamsPrefix: Bool
    private var hasher: LineHasher
    /// With masks other than the prefix alone: the line so far (up to the mask window); past
    /// it, the rest is hashed as it comes.
    private var line: [UInt8] = []
    /// With the prefix alone: the bytes read while the prefix is not decided, and the scanner.
    private var pending: [UInt8] = []
    private var scanner = PrintkPrefixScanner()
    private var deciding = true
    private var lineLength = 0
    private(set) var lines = 0
    private(set) var bytes = 0
    /// Lines each mask masked something in, by entry of the comparison's `OutputMasks`.
    private(set) var matched: [Int]

    init(seed: LineKeySeed, masks: [(entry: Int, mask: any LineMask)], entries: Int) {
        self.seed = seed
        self.masks = masks
        streamsPrefix = masks.count == 1 && masks[0].mask is PrintkPrefixMask
        matched = Array(repeating: 0, count: entries)
        hasher = LineHasher(seed)
    }

    /// Whether the output so far ends inside a line.
    var inLine: Bool { lineLength > 0 }

    mutating func consume(_ chunk: [UInt8], emit: (UInt64) -> Void) {
        bytes += chunk.count
        var start = 0
        while start < chunk.count {
            let newline = chunk[start...].firstIndex(of: 0x0a)
            let end = newline ?? chunk.count
            take(chunk[start..<end])
            if newline != nil {
                emit(endLine(tag: 1))
                start = end + 1
            } else {
                start = end
            }
        }
    }

    private mutating func take(_ part: ArraySlice<UInt8>) {
        guard !part.isEmpty else { return }
        lineLength += part.count
        if masks.isEmpty {
            hasher.bytes(part)
        } else if streamsPrefix {
            var i = part.startIndex
            while deciding && i < part.endIndex {
                pending.append(part[i])
                let outcome = scanner.next(part[i])
                i += 1
                if outcome != .undecided {
                    settle(outcome)
                } else if pending.count >= LineMasking.window {
                    settle(scanner.end())
                }
            }
            if i < part.endIndex { hasher.bytes(part[i...]) }
        } else if line.count < LineMasking.window {
            let room = LineMasking.window - line.count
            line.append(contentsOf: part.prefix(room))
            if line.count == LineMasking.window {
                LineMasking.hash(line[...], masks: masks, into: &hasher, matched: &matched)
                hasher.bytes(part.dropFirst(room))
            }
        } else {
            hasher.bytes(part)
        }
    }

    /// The prefix is decided: masked (one masked field) or not, and the bytes after it hashed.
    private mutating func settle(_ outcome: PrintkPrefixScanner.Outcome) {
        deciding = false
        if case .prefix(let n) = outcome {
            hasher.mask()
            matched[masks[0].entry] += 1
            hasher.bytes(pending[n...])
        } else {
            hasher.bytes(pending)
        }
        pending.removeAll(keepingCapacity: true)
    }

    private mutating func endLine(tag: UInt64) -> UInt64 {
        if streamsPrefix {
            if deciding { settle(scanner.end()) }
            scanner = PrintkPrefixScanner()
            deciding = true
        } else if !masks.isEmpty && line.count < LineMasking.window {
            LineMasking.hash(line[...], masks: masks, into: &hasher, matched: &matched)
        }
        let key = hasher.finish(tag: tag)
        hasher = LineHasher(seed)
        line.removeAll(keepingCapacity: line.count <= 4096)
        lineLength = 0
        lines += 1
        return key
    }

    /// The last line, when the output does not end with a newline.
    mutating func finish(emit: (UInt64) -> Void) {
        if lineLength > 0 { emit(endLine(tag: 2)) }
    }
}

/// Log records into keys. `masked`: the record's fields and the line's layout, with every time
/// field (elapsed and wall-clock times, a debug-port line's seconds) set apart as masked, so no
/// text is built; the lines of two runs of one guest compare equal. Exact: the line as printed
/// (one trace under two releases: the times are the same, only the text may differ).
///
/// Masked, a debug-port line repeating the code of the one before it (no other code between,
/// other lines may be) is folded into it, as the timeline folds repeats into one step: a guest
/// that writes one code again and again while it waits (Linux's `outb_p` delays, a polling loop)
/// writes it as many times as the wait lasts, which is timing, not behaviour.
struct RecordKeyer {
    enum Mode {
        case masked
        case exact
    }

    let seed: LineKeySeed
    let mode: Mode
    let masks: [(entry: Int, mask: any LineMask)]
    let formatter: LogFormatter
    private let layoutKey: UInt64
    private let hasThread: Bool
    private let hasLevel: Bool
    private let hasTid: Bool
    private let hasLocation: Bool
    private let hasMessage: Bool
    private var lastFile = ""
    private var lastLine = Int.min
    private var lastLocationKey: UInt64 = 0
    private var scratch: [UInt8] = []
    static let timeMask: [UInt8] = Array("#".utf8)

    /// Lines each mask masked something in, by entry of the comparison's `OutputMasks`.
    private(set) var matched: [Int]
    /// Debug-port lines folded into the one before (masked mode).
    private(set) var folded = 0
    private var lastCode: UInt8?
    /// Masked mode with masks: the masked key (and the masks that matched, as bits) of the
    /// records seen, by their fields' key; at most `maskedKeysKept`, then started afresh.
    private var maskedKeys: [UInt64: (key: UInt64, matched: UInt64)] = [:]
    static let maskedKeysKept = 1 << 16

    init(formatter: LogFormatter, seed: LineKeySeed, mode: Mode, masks: [(entry: Int, mask: any LineMask)] = [], entries: Int = 0) {
        self.formatter = formatter
        self.seed = seed
        self.mode = mode
        self.masks = masks
        matched = Array(repeating: 0, count: entries)
        var h = LineHasher(seed)
        var fields: [LogFormatter.Token] = []
        for piece in formatter.layout {
            switch piece {
            case .literal(let s):
                h.mix(1)
                h.bytes(s.utf8)
                h.mask()
            case .token(let t) where t.isTimeField:
                h.mix(2)
            case .token(let t):
                // Which field sits here: the layout's key tells `{level}` from `{levelchar}`, and the order.
                h.mix(3)
                h.bytes(t.rawValue.utf8)
                h.mask()
                if t == .pid { h.mix(formatter.processID) }
                fields.append(t)
            }
        }
        layoutKey = h.finish()
        hasThread = fields.contains(.thread)
        hasLevel = fields.contains(.level) || fields.contains(.levelchar)
        hasTid = fields.contains(.tid)
        hasLocation = fields.contains(.location)
        hasMessage = fields.contains(.msg)
    }

    /// The record's key, nil when it is folded into the line before (a repeated code).
    mutating func key(_ r: LogRecord) -> UInt64? {
        if mode == .masked, case .debugPortCode(let code, _) = r.message {
            if code == lastCode {
                folded += 1
                return nil
            }
            lastCode = code
        }
        if mode == .exact { return textKey(r).key }
        let fields = fieldsKey(r)
        guard !masks.isEmpty else { return fields }
        // With masks, the line is keyed from its text. The masked text is a function of the
        // fields (equal field keys, equal masked lines), so its key is too: a record whose
        // fields were seen is not rendered again (a log repeats a few messages).
        if let hit = maskedKeys[fields] {
            var bits = hit.matched
            while bits != 0 {
                matched[masks[bits.trailingZeroBitCount].entry] += 1
                bits &= bits - 1
            }
            return hit.key
        }
        let (key, bits) = textKey(r)
        if masks.count <= 64 {
            if maskedKeys.count >= RecordKeyer.maskedKeysKept { maskedKeys.removeAll(keepingCapacity: true) }
            maskedKeys[fields] = (key, bits)
        }
        return key
    }

    /// The key of the line as printed (times masked, in masked mode), with the masks; and which
    /// masks masked something in it.
    private mutating func textKey(_ r: LogRecord) -> (key: UInt64, matched: UInt64) {
        scratch.removeAll(keepingCapacity: true)
        formatter.write(r, into: &scratch, timeMask: mode == .masked ? RecordKeyer.timeMask : nil)
        var h = LineHasher(seed)
        let bits = LineMasking.hash(scratch[...], masks: masks, into: &h, matched: &matched)
        return (h.finish(tag: 1), bits)
    }

    /// The key of a record's fields, time fields left out.
    @inline(__always)
    private mutating func fieldsKey(_ r: LogRecord) -> UInt64 {
        // The fields the layout prints, each at a fixed place in four words (the layout's key
        // says which are printed and in which order): equal keys, equal masked lines. Three
        // folded multiplications with the seed's secrets, no text.
        var who: UInt64 = 0
        if hasThread { who |= UInt64(r.vcpu) }
        if hasLevel { who |= UInt64(r.level.rawValue) << 32 }
        if hasTid { who ^= formatter.threadID(vcpu: r.vcpu) &* 0x9e37_79b9_7f4a_7c15 }
        let location = hasLocation ? locationKey(r.location) : 0
        let (kind, value) = hasMessage ? messageParts(r.message) : (0, 0)
        let h = LineHasher.mum(layoutKey ^ seed.s0, who ^ seed.s1)
        let k = LineHasher.mum(h ^ location ^ seed.s2, kind ^ seed.s1)
        return LineHasher.mum(k ^ value ^ seed.s0, seed.marker ^ 3)
    }

    /// Locations repeat (a release logs from a handful): the last one's key is kept.
    @inline(__always)
    private mutating func locationKey(_ l: SourceLocation) -> UInt64 {
        if l.line == lastLine && l.file == lastFile { return lastLocationKey }
        return newLocationKey(l)
    }

    private mutating func newLocationKey(_ l: SourceLocation) -> UInt64 {
        var h = LineHasher(seed)
        h.bytes(l.file.utf8)
        h.mix(UInt64(bitPattern: Int64(l.line)))
        lastFile = l.file
        lastLine = l.line
        lastLocationKey = h.finish()
        return lastLocationKey
    }

    /// A message's kind and value; its time field is left out (a text's value hashes its bytes).
    private func messageParts(_ m: LogMessage) -> (UInt64, UInt64) {
        switch m {
        case .debugPortCode(let code, _): return (1, UInt64(code))
        case .unregisteredWrite(let port): return (2, UInt64(port))
        case .unregisteredRead(let port, let readFrom): return (readFrom ? 4 : 3, UInt64(port))
        case .invalidDebugPortRead: return (5, 0)
        case .invalidFirmwareDebugWriteSize(let n): return (6, UInt64(bitPattern: Int64(n)))
        case .invalidFirmwareDebugReadSize(let n): return (7, UInt64(bitPattern: Int64(n)))
        case .text(let s):
            var h = LineHasher(seed)
            h.bytes(s.utf8)
            return (8, h.finish())
        }
    }
}
