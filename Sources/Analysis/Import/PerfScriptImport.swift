import Devices
import Foundation
import TraceFormat

/// `porttrace import --format perf-script`: the text `perf script` prints for `kvm:kvm_pio`
/// (`perf record -e kvm:kvm_pio`), with its default fields or an `-F` selection that keeps
/// `time` and `trace`: `-F time,trace`, `time,event,trace`, `tid,time,event,trace`, with or
/// without `comm`, `pid`, `cpu`, `period`, `ip` and `sym` (for example `-F
/// comm,tid,time,event,trace,ip,sym`), becomes a trace. A selection without `time` or `trace`
/// is refused by name: its lines are unreadable, and an input with no readable line is no trace.
///
/// vCPUs come from the thread name (`comm`) as `record` maps them; without it, threads are
/// numbered in order of first appearance and marked unmapped. perf stamps events with its own
/// clock unless recorded with `-k`: the clock is recorded as given, and times are taken
/// relative to the first event, since the VM's start is not in the capture.
public struct PerfScriptImport {
    public struct Report: Sendable {
        public var lines = 0
        public var events = 0
        /// Lines of other events, headers and blank lines.
        public var otherLines = 0
        /// kvm_pio lines that cannot be read or put in a trace, and lines over the length limit.
        public var unreadable = LineProblems()
        public var unmappedThreads = 0
        /// Whether the trace was written: not when no line could be read (there is nothing to import).
        public var wroteTrace = false
    }

    /// `perf record -k` clock names, and what the trace says for each.
    public static let clocks: [String: String] = [
        "perf": "perf_clock (perf's own: the capture was not recorded with -k)",
        "mono": "CLOCK_MONOTONIC", "monotonic": "CLOCK_MONOTONIC", "monotonic_raw": "CLOCK_MONOTONIC_RAW", "raw": "CLOCK_MONOTONIC_RAW",
        "realtime": "CLOCK_REALTIME", "boottime": "CLOCK_BOOTTIME", "tai": "CLOCK_TAI",
    ]

    public let clock: String
    /// The VM's start the trace will name (`--vm-start`), when the caller sets one; else the first event's time.
    public let vmStart: UInt64?

    public init(clock: String = "perf", vmStart: UInt64? = nil) throws {
        guard PerfScriptImport.clocks[clock] != nil else {
            throw AnalysisError.badOption(
                "--perf-clock '\(clock)': expected one of \(PerfScriptImport.clocks.keys.sorted().joined(separator: ", "))")
        }
        self.clock = clock
        self.vmStart = vmStart
    }

    /// One parsed `kvm:kvm_pio` line.
    struct Line: Equatable {
        var comm: String?
        var tid: Int32?
        var timestamp: UInt64
        var out: Bool
        var port: UInt32
        var size: UInt32
        var count: UInt32
        var value: UInt64
    }

    enum Failure: Error, Equatable {
        case notPio
        case unreadable(String)
    }

    static let event = Array("kvm:kvm_pio:".utf8)
    /// How kvm_pio's own fields start, for `-F time,trace` lines that have no event name.
    static let fieldStarts = [Array("pio_write at 0x".utf8), Array("pio_read at 0x".utf8)]

    /// Where the header fields end and the kvm_pio fields start: after `kvm:kvm_pio:`, or, for
    /// lines without the event name, at `pio_read`/`pio_write` starting a word.
    static func fieldsStart(_ b: UnsafeBufferPointer<UInt8>) -> (headerEnd: Int, fields: Int)? {
        if let at = ByteScanner.find(event, in: b) { return (at, at + event.count) }
        for needle in fieldStarts {
            var from = 0
            while let at = ByteScanner.find(needle, in: b, from: from) {
                if at == 0 || b[at - 1] == 0x20 { return (at, at) }
                from = at + 1
            }
        }
        return nil
    }

    /// Parses `COMM TID [CPU] SECS.FRAC: [PERIOD] kvm:kvm_pio: pio_write at 0xP size S count C val 0xV [IP [SYM]]`,
    /// any of COMM, TID, [CPU], PERIOD, the event name, IP and SYM left out. Works on the bytes;
    /// only a thread name becomes a string.
    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Result<Line, Failure> {
        guard let (at, fieldsAt) = fieldsStart(b) else { return .failure(.notPio) }
        // The trace fields.
        let fieldsShape = "the kvm_pio fields are not 'pio_read|pio_write at 0xPORT size N count N val 0xVALUE'"
        var c = ByteScanner(b, at: fieldsAt)
        c.skipSpaces()
        let out: Bool
        if c.take("pio_write") {
            out = true
        } else if c.take("pio_read") {
            out = false
        } else if c.atEnd {
            return .failure(.unreadable("no kvm_pio fields after the event name (give perf script the trace field)"))
        } else {
            return .failure(.unreadable(fieldsShape))
        }
        guard c.take(" at 0x"), let port = c.hex(), c.take(" size "), let size = c.decimal(), c.take(" count "), let count = c.decimal(),
            c.take(" val 0x"), let value = c.hex(), size <= UInt64(UInt32.max), count <= UInt64(UInt32.max), port <= UInt64(UInt32.max)
        else { return .failure(.unreadable(fieldsShape)) }
        c.skipSpaces()
        _ = c.take("(...)")
        c.skipSpaces()
        // `-F ip` adds the address in hex, `sym` its symbol (and `dso`, `symoff` their text) after it.
        if !c.atEnd {
            let ipStart = c.at
            guard c.hex() != nil, c.at - ipStart >= 1, c.atEnd || b[c.at] == 0x20 else {
                return .failure(.unreadable("unexpected text after the kvm_pio fields"))
            }
        }

        // The header fields, from the right: time (and perhaps the period after it), then [cpu],
        // then tid (or pid/tid), then comm.
        func word(endingAt end: Int) -> (start: Int, end: Int)? {
            var e = end
            while e > 0 && b[e - 1] == 0x20 { e -= 1 }
            guard e > 0 else { return nil }
            var s = e
            while s > 0 && b[s - 1] != 0x20 { s -= 1 }
            return (s, e)
        }
        let noTime = Failure.unreadable("no 'SECONDS:' before the event (give perf script the time field)")
        guard var timeWord = word(endingAt: at) else { return .failure(noTime) }
        if b[timeWord.end - 1] != 0x3a, (timeWord.start..<timeWord.end).allSatisfy({ b[$0] >= 0x30 && b[$0] <= 0x39 }),
            let before = word(endingAt: timeWord.start), b[before.end - 1] == 0x3a
        {
            timeWord = before  // `-F period`: the sample period sits between the time and the event
        }
        guard b[timeWord.end - 1] == 0x3a else { return .failure(noTime) }
        let timeText = ByteScanner.slice(b, timeWord.start..<(timeWord.end - 1))
        guard let timestamp = time(timeText) else {
            return .failure(
                .unreadable("the time \(LineProblems.quote(String(decoding: timeText, as: UTF8.self))) is not SECONDS.FRACTION"))
        }
        var end = timeWord.start
        if let w = word(endingAt: end), b[w.start] == 0x5b, b[w.end - 1] == 0x5d { end = w.start }
        var tid: Int32?
        if let w = word(endingAt: end) {
            // `tid` or `pid/tid`: the digits after the last slash.
            var d = w.end
            while d > w.start && b[d - 1] >= 0x30 && b[d - 1] <= 0x39 { d -= 1 }
            if d < w.end && (d == w.start || b[d - 1] == 0x2f) && w.end - d <= 10 {
                var sc = ByteScanner(b, at: d)
                if let n = sc.decimal(), n <= UInt64(Int32.max), sc.at == w.end {
                    tid = Int32(n)
                    end = w.start
                }
            }
        }
        var first = 0
        while first < end && b[first] == 0x20 { first += 1 }
        var last = end
        while last > first && b[last - 1] == 0x20 { last -= 1 }
        let comm = last > first ? ByteScanner.text(b, first..<last) : nil
        return .success(
            Line(
                comm: comm, tid: tid, timestamp: timestamp, out: out, port: UInt32(port), size: UInt32(size), count: UInt32(count),
                value: value))
    }

    /// `SECONDS.FRACTION` (1 to 9 fraction digits) as ns.
    static func time(_ t: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var c = ByteScanner(t)
        guard let secs = c.decimal(), secs < 1 << 33, c.take(".") else { return nil }
        let fracStart = c.at
        guard let frac = c.decimal(), c.atEnd else { return nil }
        let digits = c.at - fracStart
        guard digits >= 1 && digits <= 9 else { return nil }
        var scale: UInt64 = 1
        for _ in 0..<(9 - digits) { scale *= 10 }
        return secs * 1_000_000_000 + frac * scale  // below 2^33 x 10^9 + 10^9: no overflow
    }

    /// Why a read line cannot be in the trace (its access, or its time from the trace's origin), or nil.
    static func problem(with line: Line, origin: UInt64) -> String? {
        guard line.size == 1 || line.size == 2 || line.size == 4, line.port <= 0xffff, line.count >= 1 else {
            return "size \(line.size), count \(line.count) at port 0x\(String(line.port, radix: 16)) is no x86 port access"
        }
        let shape = EventShape(
            vcpu: 0, port: UInt16(line.port), direction: line.out ? .out : .in, size: UInt8(line.size), count: line.count)
        if let why = TraceLimits.problem(with: shape) { return why }
        if let why = TraceLimits.problem(withTime: line.timestamp, origin: origin) { return why }
        return nil
    }

    /// Reads `input` in one streaming pass, creating the trace with `makeWriter` at the first
    /// event; with no event, no trace is made (`Report.wroteTrace` is false).
    public func run(_ input: LineReader, progress: ProgressMeter? = nil, makeWriter: (TraceMetadata) throws -> TraceWriter) throws -> Report
    {
        var report = Report()
        var writer: TraceWriter?
        var origin = vmStart
        var assigner = VCPUAssigner()
        var last: UInt64 = 0
        var nameKeys: [String: Int32] = [:]
        report.lines = try input.forEachLine(
            { number, bytes in
                progress?.advance(events: 1)
                let line: Line
                switch PerfScriptImport.parse(bytes) {
                case .failure(.notPio):
                    report.otherLines += 1
                    return
                case .failure(.unreadable(let why)):
                    report.unreadable.add(line: number, why)
                    return
                case .success(let l):
                    line = l
                }
                if let why = PerfScriptImport.problem(with: line, origin: origin ?? line.timestamp) {
                    report.unreadable.add(line: number, why)
                    return
                }
                // Threads by tid; by name when perf printed no tid (negative keys, in order of appearance).
                let key: Int32
                if let tid = line.tid {
                    key = tid
                } else if let k = nameKeys[line.comm ?? ""] {
                    key = k
                } else {
                    key = -1 - Int32(truncatingIfNeeded: nameKeys.count)
                }
                // Each thread gets its own vCPU index: no more threads than indices.
                if assigner.byTID.count >= Int(TraceLimits.maxVCPUs) && assigner.byTID[key] == nil {
                    report.unreadable.add(
                        line: number, "a thread more than the \(TraceLimits.maxVCPUs) doing port I/O that vCPU indices can number")
                    return
                }
                if writer == nil {
                    origin = origin ?? line.timestamp
                    writer = try makeWriter(metadata(first: line, file: input.name))
                }
                // The trace's own origin has the last word (a caller's makeWriter may have moved it).
                if let why = writer!.problem(withTime: line.timestamp) {
                    report.unreadable.add(line: number, why)
                    return
                }
                if line.tid == nil && nameKeys[line.comm ?? ""] == nil { nameKeys[line.comm ?? ""] = key }
                let (vcpu, marker) = assigner.vcpu(for: key) { line.comm }
                if let why = TraceLimits.problem(withVCPU: vcpu) {  // not reached: one index per thread, and threads are capped above
                    report.unreadable.add(line: number, why)
                    return
                }
                if let marker { writer!.append(marker: marker, timestamp: line.timestamp, vcpu: vcpu) }
                let data = (0..<Int(line.size)).map { UInt8(truncatingIfNeeded: line.value >> UInt64($0 * 8)) }
                let shape = EventShape(
                    vcpu: vcpu, port: UInt16(line.port), direction: line.out ? .out : .in, size: UInt8(line.size), count: line.count,
                    incomplete: line.count > 1)
                writer!.append(timestamp: line.timestamp, shape: shape, bytes: data)
                report.events += 1
                last = max(last, line.timestamp)
            },
            overlong: { report.unreadable.add(line: $0, LineProblems.overlong(input)) })
        report.unmappedThreads = assigner.unmappedThreads
        guard let writer else { return report }
        report.wroteTrace = true
        // No event (every line refused by the trace's own origin): close at that origin, a time it holds.
        try writer.close(at: report.events > 0 ? last : writer.timeOrigin)
        return report
    }

    func metadata(first: Line?, file: String) -> TraceMetadata {
        var md = TraceMetadata()
        md["import_file"] = .string(file)
        md.source = TraceMetadata.Source.import.rawValue
        md["import_format"] = .string("perf-script")
        md.clock = PerfScriptImport.clocks[clock]!
        // The VM's start is not in a perf capture: times count from the first port access.
        md.vmmStartNs = first?.timestamp ?? 0
        md.vmStartNs = vmStart ?? first?.timestamp ?? 0
        if vmStart == nil {
            md["vm_start_source"] = .string("the first kvm_pio event (a perf capture does not show the VM's creation)")
        }
        md["vcpu_map"] = .string(first?.comm != nil ? "thread-names" : "unmapped (perf script printed no thread names)")
        md.traceID = TraceMetadata.newTraceID()
        return md
    }
}
