import CRE2Shim

/// A user's pattern (`--mark`, and the masks, mark sets and phases built on it), compiled once
/// and matched in time linear in the text, whatever the pattern: RE2 runs automata and never
/// backtracks, so no pattern and no console line can make a search run away. The syntax is
/// RE2's (README, "Patterns"): no backreferences or lookaround.
///
/// Matching works on bytes in UTF-8 mode: a pattern's `.`, classes and literals match whole UTF-8
/// characters. A byte that is not UTF-8 (0xFF, a lone continuation byte, a cut sequence) is
/// matched only by `\C` (any one byte); the search steps over it and it never stops a search, so
/// a line holding one is searched like any other. (Console lines reach `--mark` as text, where such bytes already read as U+FFFD, which
/// `.` matches.)
///
/// One compiled pattern may be used from any number of threads at once, and is freed when the
/// last reference goes.
// SAFETY (@unchecked Sendable): the stored state is `source` (a String) and `compiled`, set once
// in `init` and freed only in `deinit`, when no other reference exists. RE2 documents its const
// search (`RE2::Match`, the only call made after compiling) as safe from many threads on one
// object: the automata it builds lazily are guarded by RE2's own locks.
public final class Pattern: @unchecked Sendable {

    /// The pattern as the user wrote it.
    public let source: String
    private let compiled: OpaquePointer

    /// Where a match must lie.
    public enum Anchor: Sendable {
        /// Anywhere at or after the search's start.
        case none
        /// Starting at the search's start.
        case start
        /// Starting at the search's start and ending at the end of the text.
        case both

        var shimValue: Int32 {
            switch self {
            case .none: Int32(CRE2Shim_unanchored)
            case .start: Int32(CRE2Shim_anchorStart)
            case .both: Int32(CRE2Shim_anchorBoth)
            }
        }
    }

    /// Compiles `source`; a pattern RE2 refuses throws its reason.
    public init(_ source: String) throws(PatternError) {
        let bytes = Array(source.utf8)
        // SAFETY: `buffer` covers the `bytes.count` bytes of `bytes` for the duration of the
        // closure; RE2 copies the pattern while compiling and keeps no pointer into it. An empty
        // pattern passes a nil base address with length 0, which the shim accepts.
        let handle = bytes.withUnsafeBufferPointer { buffer in
            CRE2Shim_compile(buffer.baseAddress, buffer.count)
        }
        guard let handle else { throw PatternError(pattern: source, reason: "out of memory compiling it") }
        if let message = CRE2Shim_error(handle) {
            // SAFETY: `message` is a NUL-terminated string owned by `handle`, copied here before
            // `handle` is freed on the next line.
            let reason = String(cString: message)
            CRE2Shim_free(handle)
            throw PatternError(pattern: source, reason: reason)
        }
        self.source = source
        compiled = handle
    }

    deinit { CRE2Shim_free(compiled) }

    // MARK: Searching

    /// Whether `text` holds a match (faster than asking where: the search stops at the first
    /// byte that decides it).
    public func matches(_ text: String) -> Bool {
        Self.withContiguousBytes(text.utf8) { contains($0) }
    }

    /// Whether `bytes` hold a match.
    public func matches(_ bytes: some Collection<UInt8>) -> Bool {
        Self.withContiguousBytes(bytes) { contains($0) }
    }

    /// The first match in `text` (leftmost; among matches starting there, the one Perl would
    /// pick), as a range of `text`.
    public func firstMatch(in text: String) -> Range<String.Index>? {
        guard let r = firstMatch(in: text.utf8) else { return nil }
        let utf8 = text.utf8
        return utf8.index(utf8.startIndex, offsetBy: r.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: r.upperBound)
    }

    /// The first match in `bytes` at or after byte `start`, as byte offsets from the start of
    /// `bytes`. `^`, `$` and `\b` see all of `bytes` (a search from the middle does not match
    /// `^` there). Linear in `bytes.count - start`. A `start` outside `0...bytes.count` finds nothing.
    public func firstMatch(in bytes: some Collection<UInt8>, from start: Int = 0, anchor: Anchor = .none) -> Range<Int>? {
        Self.withContiguousBytes(bytes) { search($0, from: start, anchor: anchor) }
    }

    // MARK: Replacing

    /// `text` with every match replaced by `replacement`. See `replacingMatches(in:with:)` on bytes.
    public func replacingMatches(in text: String, with replacement: String) -> String {
        String(decoding: replacingMatches(in: text.utf8, with: replacement.utf8), as: UTF8.self)
    }

    /// `bytes` with every match replaced by `replacement`: matches are found left to right, each
    /// search starting where the previous match ended; an empty match is replaced too, except
    /// right where the previous match ended (so `x*` on `abc` gives `-a-b-c-`, as RE2's
    /// `GlobalReplace` and Perl do).
    ///
    /// Each search is linear in the bytes after its start, and reads past a match's end only as
    /// far as a preferred alternative stays alive: for ordinary patterns (`\d+`, `0x[0-9a-f]+`,
    /// a printk time) a few bytes, so replacing is linear in the line. A pattern whose preferred
    /// alternative can run on to the line's end without matching while a lesser one matches
    /// every byte (`[a-z]*X|a` on `aaa...`) makes every search read to the end: quadratic in the
    /// line, bounded by the 64 KiB kept per console line (docs/performance.md measures it). That
    /// is inherent to leftmost-first iteration in any automaton engine (RE2's `GlobalReplace`,
    /// Go's and Rust's regex iterators share it), never exponential as backtracking is.
    public func replacingMatches(in bytes: some Collection<UInt8>, with replacement: some Collection<UInt8>) -> [UInt8] {
        let replacement = Array(replacement)
        return Self.withContiguousBytes(bytes) { text in
            var out: [UInt8] = []
            out.reserveCapacity(text.count)
            var position = 0  // where the next search starts
            var copied = 0  // bytes of `text` already copied to `out` or replaced
            var previousEnd = -1
            while position <= text.count, let m = search(text, from: position, anchor: .none) {
                if m.isEmpty && m.lowerBound == previousEnd {
                    guard m.lowerBound < text.count else { break }
                    position = m.lowerBound + Self.characterLength(text, at: m.lowerBound)
                    continue
                }
                out.append(contentsOf: text[copied..<m.lowerBound])
                out.append(contentsOf: replacement)
                copied = m.upperBound
                previousEnd = m.upperBound
                if m.isEmpty {
                    guard m.upperBound < text.count else { break }
                    position = m.upperBound + Self.characterLength(text, at: m.upperBound)
                } else {
                    position = m.upperBound
                }
            }
            out.append(contentsOf: text[copied...])
            return out
        }
    }

    // MARK: The calls into RE2

    private func contains(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        // SAFETY: as in `search`: `text` is valid for the call and RE2 keeps no pointer; nil
        // offset pointers ask the shim for a yes or no only.
        let found = CRE2Shim_search(compiled, text.baseAddress, text.count, 0, Anchor.none.shimValue, nil, nil)
        precondition(found >= 0, "RE2 search failed on pattern \(source)")
        return found == 1
    }

    private func search(_ text: UnsafeBufferPointer<UInt8>, from start: Int, anchor: Anchor) -> Range<Int>? {
        guard start >= 0, start <= text.count else { return nil }
        var matchStart = 0
        var matchEnd = 0
        // SAFETY: `text` points at `text.count` readable bytes for the whole call (the caller holds
        // it inside `withContiguousBytes`); RE2 reads them and keeps no pointer. An empty buffer may
        // have a nil base address, which the shim accepts with length 0. `start` was checked above.
        let found = CRE2Shim_search(compiled, text.baseAddress, text.count, start, anchor.shimValue, &matchStart, &matchEnd)
        // -1 is a bad argument or an exception inside RE2: the checks above and in `init` rule out
        // the first, so it is a bug (or memory exhausted while matching), not the user's input.
        precondition(found >= 0, "RE2 search failed on pattern \(source)")
        guard found == 1 else { return nil }
        return matchStart..<matchEnd
    }

    /// Runs `body` on the bytes of `bytes` in one contiguous buffer (copying only when the
    /// collection is not already contiguous).
    private static func withContiguousBytes<R>(_ bytes: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        // SAFETY: the buffer handed to `body` is valid for the closure's duration only, and
        // neither `body` nor RE2 keeps it.
        if let r = bytes.withContiguousStorageIfAvailable(body) { return r }
        let copy = Array(bytes)
        // SAFETY: as above, for the copy's storage.
        return copy.withUnsafeBufferPointer(body)
    }

    /// How many bytes the character at `offset` takes: a valid UTF-8 sequence's length, else 1
    /// (RE2 in UTF-8 mode steps over an invalid byte alone).
    private static func characterLength(_ text: UnsafeBufferPointer<UInt8>, at offset: Int) -> Int {
        let lead = text[offset]
        let length =
            switch lead {
            case 0xC2...0xDF: 2
            case 0xE0...0xEF: 3
            case 0xF0...0xF4: 4
            default: 1
            }
        guard length > 1, offset + length <= text.count else { return 1 }
        for k in 1..<length where text[offset + k] & 0xC0 != 0x80 { return 1 }
        return length
    }
}

/// A pattern RE2 refuses, with RE2's reason (e.g. "missing ): (a+").
public struct PatternError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The pattern as given.
    public var pattern: String
    /// RE2's words.
    public var reason: String

    public init(pattern: String, reason: String) {
        self.pattern = pattern
        self.reason = reason
    }

    public var description: String { "not a valid pattern (\(reason))" }
}
