import Devices
import Foundation
import TraceFormat

/// `porttrace import --format ch-log`: a cloud-hypervisor log file becomes a trace. Each
/// `[Debug I/O port: ...]` line becomes a 0x80 write of its code on its vCPU, at the time the
/// message prints (since VM start), preceded by a `logger_time` marker holding the time the
/// logger's prefix printed. The layout found in the file (era, line ending, level, source
/// location, template) goes into the header, so that `replay -vvv` prints the same lines.
/// The file is read twice, in chunks: once to find the layout, once to write.
public struct CloudHypervisorLogImport {
    public struct Report: Sendable {
        public var lines = 0
        public var debugPortLines = 0
        /// Lines that are not debug-port lines (counted, and their count stored in the header).
        public var otherLines = 0
        /// Lines that look like debug-port lines but cannot be read, and lines over the length
        /// limit: line number and why.
        public var unreadable = LineProblems()
        /// Read, but their text will not come back byte for byte (another level or location than
        /// the file's, a time no value of the layout prints): line number and why.
        public var unreproducible = LineProblems()
        public var layout: LogLayout?
        public var vcpus: UInt32 = 0
        /// Whether the trace was written: not when no line could be read (there is nothing to import).
        public var wroteTrace = false
    }

    let parser: CloudHypervisorLogParser
    let templateText: String?
    /// The VM's start the trace will name (`--vm-start`), when the caller sets one; else 0, the
    /// origin of the times the log prints.
    let vmStart: UInt64

    public init(template: String?, vmStart: UInt64? = nil) throws {
        parser = try CloudHypervisorLogParser(template: template)
        templateText = template
        self.vmStart = vmStart ?? 0
    }

    static let preference: [Profile.LoggerFormat] = [.f4, .f3, .f2, .f1, .f0]

    /// What one line is to the import; both passes sort lines with it, so they agree.
    enum LineKind {
        case other
        case unreadable(String)
        case debugPort(DebugPortLine, vcpu: UInt32, eras: Eras)
    }

    func classify(_ bytes: UnsafeBufferPointer<UInt8>, line number: Int, threads: inout ThreadNumbering) -> LineKind {
        switch parser.parse(bytes, line: number) {
        case .failure(.notDebugPort): return .other
        case .failure(.unreadable(let why)): return .unreadable(why)
        case .success(let l):
            // micros * 1000 fits: the parser keeps micros within TraceLimits.maxTimeOffset / 1000.
            if let why = TraceLimits.problem(withTime: l.micros * 1000, origin: vmStart) { return .unreadable(why) }
            let eras: Eras =
                parser.template != nil ? .f5 : CloudHypervisorLogParser.eras(time: l.timeText, thread: l.thread != nil, crlf: l.crlf)
            guard !eras.isEmpty else {
                return .unreadable(
                    "its time \(LineProblems.quote(l.timeText))\(l.thread == nil ? "" : " (with a thread name)")\(l.crlf ? " (with CRLF)" : "") is printed by no release's logger (layouts F0 to F4)"
                )
            }
            switch threads.vcpu(l.thread) {
            case .success(let vcpu): return .debugPort(l, vcpu: vcpu, eras: eras)
            case .failure(let why): return .unreadable(why.description)
            }
        }
    }

    /// Reads `input` and writes the trace with `makeWriter`, which gets the finished header. When
    /// no line can be read, no trace is made (`Report.wroteTrace` is false). A line whose time the
    /// writer refuses (an origin moved by the caller) throws `ImportRefusal`.
    public func run(_ input: LineReader, progress: ProgressMeter? = nil, makeWriter: (TraceMetadata) throws -> TraceWriter) throws -> Report
    {
        var report = Report()
        // Pass 1: the layout.
        var eraCounts = [Int](repeating: 0, count: Eras.all.count)
        var common: Eras?
        var first: DebugPortLine?
        var maxVCPU: UInt32 = 0
        var pid: UInt64?
        var tids: [UInt32: UInt64] = [:]
        var threads = ThreadNumbering()
        report.lines = try input.forEachLine(
            { number, bytes in
                switch classify(bytes, line: number, threads: &threads) {
                case .other:
                    report.otherLines += 1
                case .unreadable(let why):
                    report.unreadable.add(line: number, why)
                case .debugPort(let l, let vcpu, let eras):
                    report.debugPortLines += 1
                    if first == nil { first = l }
                    for k in Eras.all.indices where eras.contains(Eras.all[k].0) { eraCounts[k] += 1 }
                    common = common.map { $0.intersection(eras) } ?? eras
                    maxVCPU = max(maxVCPU, vcpu)
                    if let p = l.pid, pid == nil { pid = p }
                    if let t = l.tid, tids[vcpu] == nil { tids[vcpu] = t }
                }
                progress?.advance(events: 1)
            },
            overlong: { report.unreadable.add(line: $0, LineProblems.overlong(input)) })
        guard let first else { return report }

        // The era: one that prints every line if there is one, else the one that prints the most.
        var era: Profile.LoggerFormat
        if let common, let e = Self.preference.first(where: { common.contains($0) }) {
            era = e
        } else {
            // The most lines; among equals, the first in order of preference.
            let count = { (f: Profile.LoggerFormat) in Eras.all.firstIndex { $0.1 == f }.map { eraCounts[$0] } ?? 0 }
            era = Self.preference.max { count($0) < count($1) } ?? .f0
        }
        if parser.template != nil { era = .f5 }
        let layout = LogLayout(
            format: era, lineEnding: era == .f0 || era == .f1 || era == .f2 ? "\n" : "\r\n", level: first.level, location: first.location,
            template: templateText)
        report.layout = layout
        // Below TraceLimits.maxVCPUs (ThreadNumbering), so this neither overflows nor sizes much.
        report.vcpus = maxVCPU + 1

        var md = TraceMetadata()
        md.source = TraceMetadata.Source.import.rawValue
        md["import_format"] = .string("ch-log")
        md["import_file"] = .string(input.name)
        md.clock = "cloud-hypervisor log (times since the logger's and the VM's start)"
        md.vmmStartNs = 0
        md.vmStartNs = vmStart
        md.vcpus = report.vcpus
        if let pid { md.vmmPid = pid }
        if !tids.isEmpty { md["vcpu_tids"] = .array((0...maxVCPU).map { .uint(tids[$0] ?? 0) }) }
        md["ch_log_layout"] = layout.json
        md["ch_log_lines"] = .object([
            ("debug_port", .uint(UInt64(report.debugPortLines))), ("other", .uint(UInt64(report.otherLines))),
            ("unreadable", .uint(UInt64(report.unreadable.count))),
        ])
        if threads.numbersNames {
            md["vcpu_map"] = .string("thread names; threads not named vcpuN were numbered from \(ThreadNumbering.firstUnnamed)")
        } else if first.thread == nil {
            md["vcpu_map"] = .string("unmapped: the log names no threads (F0), every line is vCPU 0")
        }
        var devices = DeviceMap()
        devices.add(.debugPort)
        devices.store(in: &md)
        md.traceID = TraceMetadata.newTraceID()

        // Pass 2: the events.
        let writer = try makeWriter(md)
        report.wroteTrace = true
        var numbering = ThreadNumbering()
        var last: UInt64 = 0
        try input.forEachLine(
            { number, bytes in
                guard case .debugPort(let l, let vcpu, _) = classify(bytes, line: number, threads: &numbering) else { return }
                let t = l.micros * 1000  // at most TraceLimits.maxTimeOffset (the parser checked)
                if let why = writer.problem(withTime: t) { throw ImportRefusal(line: number, reason: why) }
                last = max(last, t)
                if let wall = l.realtimeNs { writer.append(marker: Marker(Marker.loggerWallclock, value: wall), timestamp: t, vcpu: vcpu) }
                if layout.template != nil && !layout.template!.contains("{boottime}") {
                    // No logger time in the line: nothing to keep.
                } else if let lt = CloudHypervisorLogParser.loggerTime(l.timeText, era: layout.format) {
                    writer.append(marker: Marker(Marker.loggerTime, value: lt), timestamp: t, vcpu: vcpu)
                } else {
                    report.unreproducible.add(
                        line: number, "its time \(LineProblems.quote(l.timeText)) is not one the \(layout.format.rawValue) layout prints")
                }
                if l.level != layout.level || l.location != layout.location {
                    report.unreproducible.add(
                        line: number,
                        "logged at \(l.level.name):\(l.location), the file's other lines at \(layout.level.name):\(layout.location)")
                } else if l.crlf != (layout.lineEnding == "\r\n") {
                    report.unreproducible.add(line: number, "its line ending differs from the file's")
                }
                writer.append(timestamp: t, shape: EventShape(vcpu: vcpu, port: 0x80, direction: .out, size: 1), bytes: [l.code])
            },
            overlong: { _ in })
        try writer.close(at: last)
        return report
    }
}

/// vCPU indices from cloud-hypervisor's thread names, read by `VCPUThreadNames` (`vcpuN` is vCPU
/// N; a vCPU name over the limit makes the line unreadable); other names (and none,
/// in F0 logs, where every line is vCPU 0) get indices from `firstUnnamed` in order of first
/// appearance. Every index is below `TraceLimits.maxVCPUs`; a thread that would need another is
/// an unreadable line.
struct ThreadNumbering {
    static let firstUnnamed: UInt32 = 1000
    private var names: [String: UInt32] = [:]

    /// Whether some thread was numbered by name rather than read as `vcpuN`.
    var numbersNames: Bool { !names.isEmpty }

    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    mutating func vcpu(_ thread: String?) -> Result<UInt32, Refusal> {
        guard let thread else { return .success(0) }
        switch VCPUThreadNames.read(threadName: thread) {
        case .vcpu(let n): return .success(n)
        case .overLimit:
            return .failure(
                Refusal(
                    description:
                        "its thread \(LineProblems.quote(thread)) names a vCPU over the limit: indices run from 0 to \(TraceLimits.maxVCPUs - 1)"
                ))
        case .other: break
        }
        if let n = names[thread] { return .success(n) }
        let n = ThreadNumbering.firstUnnamed + UInt32(min(names.count, Int(TraceLimits.maxVCPUs)))
        guard n < TraceLimits.maxVCPUs else {
            return .failure(
                Refusal(
                    description:
                        "its thread \(LineProblems.quote(thread)) is one more than the \(TraceLimits.maxVCPUs - ThreadNumbering.firstUnnamed) threads not named vcpuN that vCPU indices \(ThreadNumbering.firstUnnamed) to \(TraceLimits.maxVCPUs - 1) can number"
                ))
        }
        names[thread] = n
        return .success(n)
    }
}

/// A line an import cannot write, which stops it (status 2): its number and why.
public struct ImportRefusal: Error, CustomStringConvertible, Sendable {
    public let line: Int
    public let reason: String
    public var description: String { "line \(line): refused: \(reason)" }
}
