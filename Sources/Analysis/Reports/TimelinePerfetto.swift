import Devices
import Foundation
import TraceFormat

/// `porttrace timeline --format perfetto`: Chrome trace-event JSON (the object form), which
/// ui.perfetto.dev and chrome://tracing open. One process per trace, one named thread per vCPU,
/// the phases as complete slices nested in the whole boot on a "boot phases" thread (phases
/// that overlap without nesting, which `--phase` may define, on further phase threads: slices
/// on one thread must nest strictly), each step and every kept console line as an instant
/// event with its details in `args`, and the port-I/O rate as a counter track.
/// `ts` is in microseconds from the earliest event shown, or from the start of the window a
/// timeline is seen through (VM start at `vm_start_ts`). Nothing is capped: the metadata's
/// `left_out` repeats what the timeline itself did not keep.
public enum TimelinePerfetto {
    static let pid = 1
    static let bootThread = 1
    static let consoleThread = 2
    static func vcpuThread(_ v: UInt32) -> Int { 10 + Int(v) }
    /// Phase threads beyond the first, past every vCPU's thread.
    static func phaseThread(_ k: Int) -> Int { 10 + Int(TraceLimits.maxVCPUs) + k }

    public static func value(_ t: BootTimeline) -> JSONValue {
        let window = t.shownWindow
        var base = min(0, t.firstEventTime ?? 0, t.steps.first?.time ?? 0)
        if let window { base = max(base, window.lowerBound) }
        func ts(_ ns: Int64) -> JSONValue { .number(TimeText.micros(ns - base)) }
        func inside(_ ns: Int64) -> Bool { window?.contains(ns) ?? true }
        var events: [JSONValue] = []
        func meta(_ name: String, tid: Int?, _ args: [(String, JSONValue)]) {
            var f: [(String, JSONValue)] = [("name", .string(name)), ("ph", .string("M")), ("pid", .int(Int64(pid)))]
            if let tid { f.append(("tid", .int(Int64(tid)))) }
            f.append(("args", .object(args)))
            events.append(.object(f))
        }
        let tracks = phaseTracks(t)
        meta("process_name", tid: nil, [("name", .string("\(t.path) (cloud-hypervisor \(t.release.release))"))])
        meta("thread_name", tid: bootThread, [("name", .string("boot phases"))])
        meta("thread_sort_index", tid: bootThread, [("sort_index", .int(0))])
        for k in 1..<max(1, tracks.count) {
            meta("thread_name", tid: phaseThread(k), [("name", .string("boot phases \(k + 1)"))])
            meta("thread_sort_index", tid: phaseThread(k), [("sort_index", .int(0))])
        }
        meta("thread_name", tid: consoleThread, [("name", .string("console lines"))])
        meta("thread_sort_index", tid: consoleThread, [("sort_index", .int(1))])
        let vcpus = Set(t.activity.vcpus + t.steps.map(\.vcpu)).subtracting([ActivityHistogram.otherVCPUs]).sorted()
        for v in vcpus {
            meta("thread_name", tid: vcpuThread(v), [("name", .string("vcpu\(v)"))])
            meta("thread_sort_index", tid: vcpuThread(v), [("sort_index", .int(Int64(vcpuThread(v))))])
        }

        for (k, track) in tracks.enumerated() {
            for slice in track {
                events.append(
                    complete(
                        slice.name, start: slice.start, end: slice.end, tid: k == 0 ? bootThread : phaseThread(k), base: base,
                        args: slice.args))
            }
        }
        for s in t.steps where inside(s.time) {
            var args: [(String, JSONValue)] = [("time_since_vm_start", .string(TimeText.span(s.time)))]
            switch s.kind {
            case .post(let code):
                args += [
                    ("code", .string("0x" + String(code, radix: 16))), ("component", .string(DebugPortComponent(code: code).rawValue)),
                    ("interval", .string(s.interval.map(TimeText.span) ?? "-")), ("count", .int(Int64(s.count))),
                    ("back_step", .bool(s.isBackStep)),
                ]
                if s.count > 1 { args.append(("last_write_since_vm_start", .string(TimeText.span(s.lastTime)))) }
            case .mark(let name, let device, let line):
                args += [("mark", .string(name)), ("device", .string(device)), ("line", .string(line))]
            case .consoleStart(let device):
                args += [("device", .string(device))]
            }
            events.append(instant(s.labelWithRepeats, at: ts(s.time), tid: vcpuThread(s.vcpu), args: args))
        }
        for line in t.consoleLines where inside(line.time) {
            events.append(
                instant(
                    line.text.isEmpty ? "(empty line)" : String(line.text.prefix(80)), at: ts(line.time), tid: consoleThread,
                    args: [("device", .string(line.device)), ("text", .string(line.text))]))
        }
        // Port-I/O rate, per bucket of the activity histogram (within the window: a bucket that
        // began before it from the window's start).
        if t.activity.start != nil {
            let width = t.activity.bucketWidth
            for (i, c) in t.activity.total.enumerated() {
                let (b0, b1) = t.activity.bounds(i)
                if let window, b1 <= window.lowerBound || b0 > window.upperBound { continue }
                let perSecond = Double(c) * 1e9 / Double(width)
                events.append(
                    .object([
                        ("name", .string("port I/O per second")), ("ph", .string("C")), ("pid", .int(Int64(pid))),
                        ("ts", ts(max(b0, base))), ("args", .object([("exits", .number(String(format: "%.0f", perSecond)))])),
                    ]))
            }
        }
        var metadata: [(String, JSONValue)] = [
            ("trace", .string(t.path)), ("trace_id", t.metadata.traceID.map(JSONValue.string) ?? .null),
            ("cloud_hypervisor_release", .string(t.release.release.tag)), ("vm_start_ts", ts(0)),
            (
                "left_out",
                .object([
                    ("console_lines", .uint(UInt64(t.consoleLinesLeftOut))), ("steps", .uint(UInt64(t.stepsLeftOut))),
                ])
            ),
        ]
        if let window {
            metadata.append(
                (
                    "window",
                    .object([
                        ("from_ns", window.lowerBound == .min ? .null : .int(window.lowerBound)),
                        ("to_ns", window.upperBound == .max ? .null : .int(window.upperBound)),
                    ])
                ))
        }
        return .object([("traceEvents", .array(events)), ("displayTimeUnit", .string("ms")), ("metadata", .object(metadata))])
    }

    /// A complete slice to draw.
    struct Slice {
        var name: String
        var start: Int64
        var end: Int64
        var args: [(String, JSONValue)]

        /// Whether the two can share a thread: apart (touching is apart) or one within the other.
        func nests(with o: Slice) -> Bool {
            end <= o.start || o.end <= start || (start >= o.start && end <= o.end) || (o.start >= start && o.end <= end)
        }
    }

    /// The whole boot and its phases, on as few threads as keep every thread's slices nested:
    /// the boot first, then each phase (longest first among those starting together) on the
    /// first thread where it nests with every slice. POST-code and mark-set phases follow one
    /// another, so they all go in the boot; only overlapping `--phase` phases need more.
    static func phaseTracks(_ t: BootTimeline) -> [[Slice]] {
        guard !t.phases.isEmpty, let bootStart = t.bootStart, let bootEnd = t.bootEnd else { return [] }
        var start = bootStart
        var end = max(bootEnd, t.phases.map(\.end).max()!)
        if let w = t.shownWindow {
            start = max(start, w.lowerBound)
            end = max(start, min(end, w.upperBound))
        }
        var tracks: [[Slice]] = [[Slice(name: "boot", start: start, end: end, args: [])]]
        let phases = t.phases.sorted { ($0.start, $1.end) < ($1.start, $0.end) }
        for p in phases {
            let slice = Slice(
                name: p.name, start: p.start, end: p.end,
                args: [("duration", .string(TimeText.span(p.duration))), ("unfinished", .bool(p.unfinished))])
            if let k = tracks.firstIndex(where: { $0.allSatisfy(slice.nests) }) {
                tracks[k].append(slice)
            } else {
                tracks.append([slice])
            }
        }
        return tracks
    }

    static func complete(_ name: String, start: Int64, end: Int64, tid: Int, base: Int64, args: [(String, JSONValue)]) -> JSONValue {
        .object([
            ("name", .string(name)), ("cat", .string("boot")), ("ph", .string("X")), ("pid", .int(Int64(pid))), ("tid", .int(Int64(tid))),
            ("ts", .number(TimeText.micros(start - base))), ("dur", .number(TimeText.micros(max(0, end - start)))), ("args", .object(args)),
        ])
    }

    static func instant(_ name: String, at ts: JSONValue, tid: Int, args: [(String, JSONValue)]) -> JSONValue {
        .object([
            ("name", .string(name)), ("ph", .string("i")), ("s", .string("t")), ("pid", .int(Int64(pid))), ("tid", .int(Int64(tid))),
            ("ts", ts), ("args", .object(args)),
        ])
    }
}
