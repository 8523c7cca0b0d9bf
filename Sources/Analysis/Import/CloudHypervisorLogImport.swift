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
        /// Lines that look like debug-port lines but cannot be read: line number and why.
        public var unreadable: [(line: Int, reason: String)] = []
        /// Read, but their text will not come back byte for byte (another level or location than
        /// the file's, a time no value of the layout prints): line number and why.
        public var unreproducible: [(line: Int, reason: String)] = []
        public var layout: LogLayout?
        public var vcpus: UInt32 = 0
    }

    /// At most this many problem lines are kept for the report (all are counted).
    public static let keptProblems = 1000

    let parser: CloudHypervisorLogParser
    let templateText: String?

    public init(template: String?) throws {
        parser = try CloudHypervisorLogParser(template: template)
        templateText = template
    }

    static let preference: [Profile.LoggerFormat] = [.f4, .f3, .f2, .f1, .f0]

    /// Reads `input` and writes the trace with `makeWriter`, which gets the finished header.
    public func run(_ input: LineReader, progress: ProgressMeter? = nil, makeWriter: (TraceMetadata) throws -> TraceWriter) throws -> Report
    {
        var report = Report()
        var unreadableCount = 0
        // Pass 1: the layout.
        var eraCounts: [Profile.LoggerFormat: Int] = [:]
        var common: Set<Profile.LoggerFormat>?
        var first: DebugPortLine?
        var maxVCPU: UInt32 = 0
        var pid: UInt64?
        var tids: [UInt32: UInt64] = [:]
        var threadNames: [String: UInt32] = [:]
        report.lines = try input.forEachLine { number, bytes in
            switch parser.parse(bytes, line: number) {
            case .failure(.notDebugPort):
                report.otherLines += 1
            case .failure(.unreadable(let why)):
                unreadableCount += 1
                if report.unreadable.count < Self.keptProblems { report.unreadable.append((number, why)) }
            case .success(let l):
                report.debugPortLines += 1
                if first == nil { first = l }
                let eras: Set<Profile.LoggerFormat> =
                    parser.template != nil
                    ? [.f5] : CloudHypervisorLogParser.eras(time: l.timeText, thread: l.thread != nil, crlf: l.crlf)
                for e in eras { eraCounts[e, default: 0] += 1 }
                common = common.map { $0.intersection(eras) } ?? eras
                let vcpu = vcpuIndex(l.thread, names: &threadNames)
                maxVCPU = max(maxVCPU, vcpu)
                if let p = l.pid, pid == nil { pid = p }
                if let t = l.tid, tids[vcpu] == nil { tids[vcpu] = t }
            }
            progress?.advance(events: 1)
        }
        if unreadableCount > report.unreadable.count {
            report.unreadable.append((0, "\(unreadableCount - report.unreadable.count) more unreadable debug-port lines"))
        }

        // The era: one that prints every line if there is one, else the one that prints the most.
        var era: Profile.LoggerFormat?
        if let common, let e = Self.preference.first(where: { common.contains($0) }) {
            era = e
        } else if let best = eraCounts.max(by: {
            ($0.value, -(Self.preference.firstIndex(of: $0.key) ?? 9)) < ($1.value, -(Self.preference.firstIndex(of: $1.key) ?? 9))
        }) {
            era = best.key
        }
        if parser.template != nil { era = .f5 }
        if let first, let era {
            report.layout = LogLayout(
                format: era, lineEnding: era == .f0 || era == .f1 || era == .f2 ? "\n" : "\r\n", level: first.level,
                location: first.location,
                template: templateText)
        }
        report.vcpus = report.debugPortLines == 0 ? 0 : maxVCPU + 1

        var md = TraceMetadata()
        md.source = TraceMetadata.Source.import.rawValue
        md["import_format"] = .string("ch-log")
        md["import_file"] = .string(input.name)
        md.clock = "cloud-hypervisor log (times since the logger's and the VM's start)"
        md.vmmStartNs = 0
        md.vmStartNs = 0
        md.vcpus = max(report.vcpus, 1)
        if let pid { md.vmmPid = pid }
        if !tids.isEmpty { md["vcpu_tids"] = .array((0...maxVCPU).map { .uint(tids[$0] ?? 0) }) }
        if let layout = report.layout { md["ch_log_layout"] = layout.json }
        md["ch_log_lines"] = .object([
            ("debug_port", .uint(UInt64(report.debugPortLines))), ("other", .uint(UInt64(report.otherLines))),
            ("unreadable", .uint(UInt64(unreadableCount))),
        ])
        if threadNames.keys.contains(where: { !$0.hasPrefix("vcpu") }) {
            md["vcpu_map"] = .string("thread names; threads not named vcpuN were numbered from \(threadNames.values.min() ?? 0)")
        } else if first?.thread == nil && report.debugPortLines > 0 {
            md["vcpu_map"] = .string("unmapped: the log names no threads (F0), every line is vCPU 0")
        }
        var devices = DeviceMap()
        devices.add(.debugPort)
        devices.store(in: &md)
        md.traceID = TraceMetadata.newTraceID()

        // Pass 2: the events.
        let writer = try makeWriter(md)
        var names: [String: UInt32] = [:]
        var unreproducible = 0
        var last: UInt64 = 0
        func note(_ line: Int, _ why: String) {
            unreproducible += 1
            if report.unreproducible.count < Self.keptProblems { report.unreproducible.append((line, why)) }
        }
        try input.forEachLine { number, bytes in
            guard case .success(let l) = parser.parse(bytes, line: number), let layout = report.layout else { return }
            let vcpu = vcpuIndex(l.thread, names: &names)
            let t = l.micros * 1000
            last = max(last, t)
            if let wall = l.realtimeNs { writer.append(marker: Marker(Marker.loggerWallclock, value: wall), timestamp: t, vcpu: vcpu) }
            if layout.template != nil && !layout.template!.contains("{boottime}") {
                // No logger time in the line: nothing to keep.
            } else if let lt = CloudHypervisorLogParser.loggerTime(l.timeText, era: layout.format) {
                writer.append(marker: Marker(Marker.loggerTime, value: lt), timestamp: t, vcpu: vcpu)
            } else {
                note(number, "its time '\(l.timeText)' is not one the \(layout.format.rawValue) layout prints")
            }
            if l.level != layout.level || l.location != layout.location {
                note(number, "logged at \(l.level.name):\(l.location), the file's other lines at \(layout.level.name):\(layout.location)")
            } else if l.crlf != (layout.lineEnding == "\r\n") {
                note(number, "its line ending differs from the file's")
            }
            var code = l.code
            withUnsafeBytes(of: &code) {
                writer.append(timestamp: t, shape: EventShape(vcpu: vcpu, port: 0x80, direction: .out, size: 1), data: $0)
            }
        }
        if unreproducible > report.unreproducible.count {
            report.unreproducible.append((0, "\(unreproducible - report.unreproducible.count) more lines"))
        }
        try writer.close(at: last)
        return report
    }

    /// `vcpuN` is vCPU N; other names (and none, in F0 logs) get indices after the highest seen.
    func vcpuIndex(_ thread: String?, names: inout [String: UInt32]) -> UInt32 {
        guard let thread else { return 0 }
        let u = thread.utf8
        if u.count > 4 && u.count <= 14 && u.starts(with: "vcpu".utf8) {
            var n: UInt64 = 0
            var ok = true
            for (k, b) in u.dropFirst(4).enumerated() {
                guard b >= 0x30 && b <= 0x39, !(k == 0 && b == 0x30 && u.count > 5) else {
                    ok = false
                    break
                }
                n = n * 10 + UInt64(b - 0x30)
            }
            if ok && n <= UInt64(UInt32.max) { return UInt32(n) }
        }
        if let n = names[thread] { return n }
        let n = UInt32(1000 + names.count)
        names[thread] = n
        return n
    }
}
