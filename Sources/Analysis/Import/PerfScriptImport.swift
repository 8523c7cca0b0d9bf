import Devices
import Foundation
import TraceFormat

/// `porttrace import --format perf-script`: the text `perf script` prints for `kvm:kvm_pio`
/// (`perf record -e kvm:kvm_pio`), with its default fields or an `-F` selection that keeps
/// `time` and `trace` (for example `-F tid,time,event,trace`), becomes a trace.
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
        public var unreadable: [(line: Int, reason: String)] = []
        public var unmappedThreads = 0
    }

    /// `perf record -k` clock names, and what the trace says for each.
    public static let clocks: [String: String] = [
        "perf": "perf_clock (perf's own: the capture was not recorded with -k)",
        "mono": "CLOCK_MONOTONIC", "monotonic": "CLOCK_MONOTONIC", "monotonic_raw": "CLOCK_MONOTONIC_RAW", "raw": "CLOCK_MONOTONIC_RAW",
        "realtime": "CLOCK_REALTIME", "boottime": "CLOCK_BOOTTIME", "tai": "CLOCK_TAI",
    ]

    public let clock: String

    public init(clock: String = "perf") throws {
        guard PerfScriptImport.clocks[clock] != nil else {
            throw AnalysisError.badOption(
                "--perf-clock '\(clock)': expected one of \(PerfScriptImport.clocks.keys.sorted().joined(separator: ", "))")
        }
        self.clock = clock
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

    /// Parses `COMM TID [CPU] SECS.FRAC: kvm:kvm_pio: pio_write at 0xP size S count C val 0xV`,
    /// any of COMM, TID and [CPU] left out. Works on the bytes; only a thread name becomes a string.
    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Result<Line, Failure> {
        guard let at = ByteScanner.find(event, in: b) else { return .failure(.notPio) }
        // The trace fields.
        var c = ByteScanner(b, at: at + event.count)
        c.skipSpaces()
        let out: Bool
        if c.take("pio_write") {
            out = true
        } else if c.take("pio_read") {
            out = false
        } else {
            return .failure(.unreadable("the kvm_pio fields are not 'pio_read|pio_write at 0xPORT size N count N val 0xVALUE'"))
        }
        guard c.take(" at 0x"), let port = c.hex(), c.take(" size "), let size = c.decimal(), c.take(" count "), let count = c.decimal(),
            c.take(" val 0x"), let value = c.hex(), size <= UInt64(UInt32.max), count <= UInt64(UInt32.max), port <= UInt64(UInt32.max)
        else { return .failure(.unreadable("the kvm_pio fields are not 'pio_read|pio_write at 0xPORT size N count N val 0xVALUE'")) }
        c.skipSpaces()
        _ = c.take("(...)")
        c.skipSpaces()
        guard c.atEnd else { return .failure(.unreadable("unexpected text after the kvm_pio fields")) }

        // The header fields, from the right: time, then [cpu], then tid (or pid/tid), then comm.
        var e = at
        while e > 0 && b[e - 1] == 0x20 { e -= 1 }
        guard e > 0, b[e - 1] == 0x3a else {
            return .failure(.unreadable("no 'SECONDS:' before the event name (give perf script the time field)"))
        }
        e -= 1
        var s = e
        while s > 0 && b[s - 1] != 0x20 { s -= 1 }
        guard let timestamp = time(UnsafeBufferPointer(rebasing: b[s..<e])) else {
            return .failure(
                .unreadable(
                    "the time '\(String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self))' is not SECONDS.FRACTION"))
        }
        // Word before the time: [cpu]?
        func word(endingAt end: Int) -> (start: Int, end: Int)? {
            var e = end
            while e > 0 && b[e - 1] == 0x20 { e -= 1 }
            guard e > 0 else { return nil }
            var s = e
            while s > 0 && b[s - 1] != 0x20 { s -= 1 }
            return (s, e)
        }
        var end = s
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
        let comm = last > first ? String(decoding: UnsafeBufferPointer(rebasing: b[first..<last]), as: UTF8.self) : nil
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
        return secs * 1_000_000_000 + frac * scale
    }

    /// Reads `input` in one streaming pass, creating the trace with `makeWriter` at the first event.
    public func run(_ input: LineReader, progress: ProgressMeter? = nil, makeWriter: (TraceMetadata) throws -> TraceWriter) throws -> Report
    {
        var report = Report()
        var writer: TraceWriter?
        var assigner = VCPUAssigner()
        var last: UInt64 = 0
        var unreadable = 0
        var nameKeys: [String: Int32] = [:]
        report.lines = try input.forEachLine { number, bytes in
            progress?.advance(events: 1)
            let line: Line
            switch PerfScriptImport.parse(bytes) {
            case .failure(.notPio):
                report.otherLines += 1
                return
            case .failure(.unreadable(let why)):
                unreadable += 1
                if report.unreadable.count < CloudHypervisorLogImport.keptProblems { report.unreadable.append((number, why)) }
                return
            case .success(let l):
                line = l
            }
            guard line.size == 1 || line.size == 2 || line.size == 4, line.port <= 0xffff, line.count >= 1 else {
                unreadable += 1
                if report.unreadable.count < CloudHypervisorLogImport.keptProblems {
                    report.unreadable.append(
                        (number, "size \(line.size), count \(line.count) at port 0x\(String(line.port, radix: 16)) is no x86 port access"))
                }
                return
            }
            if writer == nil {
                writer = try makeWriter(metadata(first: line, file: input.name))
            }
            // Threads by tid; by name when perf printed no tid (negative keys, in order of appearance).
            let key: Int32
            if let tid = line.tid {
                key = tid
            } else if let k = nameKeys[line.comm ?? ""] {
                key = k
            } else {
                key = -1 - Int32(nameKeys.count)
                nameKeys[line.comm ?? ""] = key
            }
            let (vcpu, marker) = assigner.vcpu(for: key) { line.comm }
            if let marker { writer!.append(marker: marker, timestamp: line.timestamp, vcpu: vcpu) }
            let data = (0..<Int(line.size)).map { UInt8(truncatingIfNeeded: line.value >> UInt64($0 * 8)) }
            let shape = EventShape(
                vcpu: vcpu, port: UInt16(line.port), direction: line.out ? .out : .in, size: UInt8(line.size), count: line.count,
                incomplete: line.count > 1)
            data.withUnsafeBytes { writer!.append(timestamp: line.timestamp, shape: shape, data: $0) }
            report.events += 1
            last = max(last, line.timestamp)
        }
        report.unmappedThreads = assigner.unmappedThreads
        if unreadable > report.unreadable.count {
            report.unreadable.append((0, "\(unreadable - report.unreadable.count) more unreadable lines"))
        }
        if writer == nil { writer = try makeWriter(metadata(first: nil, file: input.name)) }
        try writer!.close(at: last)
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
        md.vmStartNs = first?.timestamp ?? 0
        md["vm_start_source"] = .string("the first kvm_pio event (a perf capture does not show the VM's creation)")
        md["vcpu_map"] = .string(first?.comm != nil ? "thread-names" : "unmapped (perf script printed no thread names)")
        md.traceID = TraceMetadata.newTraceID()
        return md
    }
}
