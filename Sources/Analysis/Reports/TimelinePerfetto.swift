import Devices
import Foundation
import TraceFormat

/// `porttrace timeline --format perfetto`: Chrome trace-event JSON (the object form), which
/// ui.perfetto.dev and chrome://tracing open. One process per trace, one named thread per vCPU,
/// the phases as nested complete slices on a "boot" thread, each step and console line as an
/// instant event with its details in `args`, and the port-I/O rate as a counter track.
/// `ts` is in microseconds from the earliest event shown (VM start at `vm_start_ts`).
public enum TimelinePerfetto {
    static let pid = 1
    static let bootThread = 1
    static let consoleThread = 2
    static func vcpuThread(_ v: UInt32) -> Int { 10 + Int(v) }

    public static func value(_ t: BootTimeline) -> JSONValue {
        let base = min(0, t.firstEventTime ?? 0, t.steps.first?.time ?? 0)
        func ts(_ ns: Int64) -> JSONValue { .number(TimeText.micros(ns - base)) }
        var events: [JSONValue] = []
        func meta(_ name: String, tid: Int?, _ args: [(String, JSONValue)]) {
            var f: [(String, JSONValue)] = [("name", .string(name)), ("ph", .string("M")), ("pid", .int(Int64(pid)))]
            if let tid { f.append(("tid", .int(Int64(tid)))) }
            f.append(("args", .object(args)))
            events.append(.object(f))
        }
        meta("process_name", tid: nil, [("name", .string("\(t.path) (cloud-hypervisor \(t.release.release))"))])
        meta("thread_name", tid: bootThread, [("name", .string("boot phases"))])
        meta("thread_sort_index", tid: bootThread, [("sort_index", .int(0))])
        meta("thread_name", tid: consoleThread, [("name", .string("console lines"))])
        meta("thread_sort_index", tid: consoleThread, [("sort_index", .int(1))])
        let vcpus = Set(t.activity.vcpus + t.steps.map(\.vcpu)).subtracting([ActivityHistogram.otherVCPUs]).sorted()
        for v in vcpus {
            meta("thread_name", tid: vcpuThread(v), [("name", .string("vcpu\(v)"))])
            meta("thread_sort_index", tid: vcpuThread(v), [("sort_index", .int(Int64(vcpuThread(v))))])
        }

        // The whole boot, with the phases nested inside it: children lie within the parent and
        // siblings do not overlap (each phase ends where the next begins).
        if !t.phases.isEmpty, let bootStart = t.bootStart, let bootEnd = t.bootEnd {
            events.append(
                complete("boot", start: bootStart, end: max(bootEnd, t.phases.map(\.end).max()!), tid: bootThread, base: base, args: []))
            for p in t.phases {
                events.append(
                    complete(
                        p.name, start: p.start, end: p.end, tid: bootThread, base: base,
                        args: [("duration", .string(TimeText.span(p.duration))), ("unfinished", .bool(p.unfinished))]))
            }
        }
        for s in t.steps {
            var args: [(String, JSONValue)] = [("time_since_vm_start", .string(TimeText.span(s.time)))]
            switch s.kind {
            case .post(let code):
                args += [
                    ("code", .string("0x" + String(code, radix: 16))), ("component", .string(DebugPortComponent(code: code).rawValue)),
                    ("interval", .string(s.interval.map(TimeText.span) ?? "-")), ("count", .int(Int64(s.count))),
                    ("back_step", .bool(s.isBackStep)),
                ]
            case .mark(let name, let device, let line):
                args += [("mark", .string(name)), ("device", .string(device)), ("line", .string(line))]
            case .consoleStart(let device):
                args += [("device", .string(device))]
            }
            events.append(instant(s.label, at: ts(s.time), tid: vcpuThread(s.vcpu), args: args))
        }
        for line in t.consoleLines {
            events.append(
                instant(
                    line.text.isEmpty ? "(empty line)" : String(line.text.prefix(80)), at: ts(line.time), tid: consoleThread,
                    args: [("device", .string(line.device)), ("text", .string(line.text))]))
        }
        // Port-I/O rate, per bucket of the activity histogram.
        if let start = t.activity.start {
            let width = t.activity.bucketWidth
            for (i, c) in t.activity.total.enumerated() {
                let perSecond = Double(c) * 1e9 / Double(width)
                events.append(
                    .object([
                        ("name", .string("port I/O per second")), ("ph", .string("C")), ("pid", .int(Int64(pid))),
                        ("ts", ts(start + Int64(i) * width)), ("args", .object([("exits", .number(String(format: "%.0f", perSecond)))])),
                    ]))
            }
        }
        return .object([
            ("traceEvents", .array(events)),
            ("displayTimeUnit", .string("ms")),
            (
                "metadata",
                .object([
                    ("trace", .string(t.path)), ("trace_id", t.metadata.traceID.map(JSONValue.string) ?? .null),
                    ("cloud_hypervisor_release", .string(t.release.release.tag)), ("vm_start_ts", ts(0)),
                ])
            ),
        ])
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
