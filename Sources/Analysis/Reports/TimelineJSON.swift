import Devices
import TraceFormat

/// `porttrace timeline --format json`: the model itself, for scripts. Times are ns since VM start.
public enum TimelineJSON {
    public static func value(_ t: BootTimeline) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("trace", .string(t.path)),
            ("trace_id", t.metadata.traceID.map(JSONValue.string) ?? .null),
            ("release", .string(t.release.release.tag)),
            ("release_source", .string(t.release.source.rawValue)),
            ("origin_known", .bool(t.originKnown)),
            ("closed_cleanly", .bool(t.closedCleanly)),
            ("events", .uint(t.events)),
            ("accesses", .uint(t.accesses)),
            ("first_event_ns", t.firstEventTime.map(JSONValue.int) ?? .null),
            ("last_event_ns", t.lastEventTime.map(JSONValue.int) ?? .null),
            ("last_step_ns", t.lastStepTime.map(JSONValue.int) ?? .null),
            ("before_first_step_ns", t.beforeFirstStep.map(JSONValue.int) ?? .null),
            ("total_ns", t.total.map(JSONValue.int) ?? .null),
            ("back_steps", .uint(UInt64(t.backSteps))),
            ("filtered_out", .uint(UInt64(t.filteredOut))),
        ]
        fields.append(("phases", .array(t.phases.map(phase))))
        fields.append(("steps", .array(t.steps.map(step))))
        return .object(fields)
    }

    static func phase(_ p: BootPhase) -> JSONValue {
        .object([
            ("phase", .string(p.component.rawValue)), ("start_ns", .int(p.start)), ("end_ns", .int(p.end)),
            ("duration_ns", .int(p.duration)),
        ])
    }

    static func step(_ s: BootStep) -> JSONValue {
        var f: [(String, JSONValue)] = [("time_ns", .int(s.time)), ("vcpu", .uint(UInt64(s.vcpu)))]
        switch s.kind {
        case .post(let code):
            f += [
                ("kind", .string("post")), ("code", .uint(UInt64(code))), ("component", .string(DebugPortComponent(code: code).rawValue)),
                ("since_previous_ns", .int(s.sincePrevious)), ("back_step", .bool(s.isBackStep)),
            ]
        case .mark(let name, let device, let line):
            f += [("kind", .string("mark")), ("name", .string(name)), ("device", .string(device)), ("line", .string(line))]
        case .consoleStart(let device):
            f += [("kind", .string("console_start")), ("device", .string(device))]
        }
        return .object(f)
    }
}
