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

    static func find(_ needle: [UInt8], in b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard b.count >= needle.count else { return nil }
        var i = 0
        let last = b.count - needle.count
        while i <= last {
            if b[i] == needle[0] {
                var j = 1
                while j < needle.count && b[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// Parses `COMM TID [CPU] SECS.FRAC: kvm:kvm_pio: pio_write at 0xP size S count C val 0xV`,
    /// any of COMM, TID and [CPU] left out.
    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Result<Line, Failure> {
        guard let at = find(event, in: b) else { return .failure(.notPio) }
        // The trace fields.
        var fields = String(decoding: UnsafeBufferPointer(rebasing: b[(at + event.count)...]), as: UTF8.self).split(separator: " ")
        if fields.last == "(...)" { fields.removeLast() }
        guard fields.count == 9, fields[0] == "pio_write" || fields[0] == "pio_read", fields[1] == "at", fields[3] == "size",
            fields[5] == "count",
            fields[7] == "val", fields[2].hasPrefix("0x"), fields[8].hasPrefix("0x"),
            let port = UInt32(fields[2].dropFirst(2), radix: 16), let size = UInt32(fields[4]), let count = UInt32(fields[6]),
            let value = UInt64(fields[8].dropFirst(2), radix: 16)
        else { return .failure(.unreadable("the kvm_pio fields are not 'pio_read|pio_write at 0xPORT size N count N val 0xVALUE'")) }

        // The header fields, from the right: time, then [cpu], then tid (or pid/tid), then comm.
        var head = String(decoding: UnsafeBufferPointer(rebasing: b[..<at]), as: UTF8.self)
        while head.last == " " { head.removeLast() }
        guard head.last == ":" else {
            return .failure(.unreadable("no 'SECONDS:' before the event name (give perf script the time field)"))
        }
        head.removeLast()
        var words = head.split(separator: " ", omittingEmptySubsequences: true)
        guard let timeWord = words.popLast() else { return .failure(.unreadable("no time")) }
        let t = timeWord.split(separator: ".", omittingEmptySubsequences: false)
        guard t.count == 2, let secs = UInt64(t[0]), secs < 1 << 33, t[1].count >= 1, t[1].count <= 9, t[1].allSatisfy(\.isASCIIDigit),
            let frac = UInt64(t[1])
        else { return .failure(.unreadable("the time '\(timeWord)' is not SECONDS.FRACTION")) }
        var scale: UInt64 = 1
        for _ in 0..<(9 - t[1].count) { scale *= 10 }
        let timestamp = secs * 1_000_000_000 + frac * scale
        if let w = words.last, w.hasPrefix("["), w.hasSuffix("]") { words.removeLast() }
        var tid: Int32?
        if let w = words.last {
            let id = w.split(separator: "/").last.map(String.init) ?? ""
            if let n = Int32(id), !id.isEmpty, id.allSatisfy(\.isASCIIDigit) {
                tid = n
                words.removeLast()
            }
        }
        let comm = words.isEmpty ? nil : words.joined(separator: " ")
        return .success(
            Line(
                comm: comm, tid: tid, timestamp: timestamp, out: fields[0] == "pio_write", port: port, size: size, count: count,
                value: value))
    }

    /// Reads `input` in one streaming pass, creating the trace with `makeWriter` at the first event.
    public func run(_ input: LineReader, progress: Progress? = nil, makeWriter: (TraceMetadata) throws -> TraceWriter) throws -> Report {
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
