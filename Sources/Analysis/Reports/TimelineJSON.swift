import Devices
import TraceFormat

/// `porttrace timeline --format json`: the model itself, for scripts. Times are ns since VM start.
public enum TimelineJSON {
    public static func value(_ t: BootTimeline) -> JSONValue {
        func opt(_ v: Int64?) -> JSONValue { v.map(JSONValue.int) ?? .null }
        var fields: [(String, JSONValue)] = [
            ("trace", .string(t.path)),
            ("trace_id", t.metadata.traceID.map(JSONValue.string) ?? .null),
            ("release", .string(t.release.release.tag)),
            ("release_source", .string(t.release.source.rawValue)),
            ("origin_known", .bool(t.originKnown)),
            ("closed_cleanly", .bool(t.closedCleanly)),
            ("events", .uint(t.events)),
            ("accesses", .uint(t.accesses)),
            ("first_event_ns", opt(t.firstEventTime)),
            ("last_event_ns", opt(t.lastEventTime)),
            ("last_console_line_ns", opt(t.lastConsoleTime)),
            ("phases_from", .string(phaseSource(t.phaseSource))),
            ("boot_start_ns", opt(t.bootStart)),
            ("boot_end_ns", opt(t.bootEnd)),
            ("before_first_step_ns", opt(t.beforeFirstStep)),
            ("total_ns", opt(t.total)),
            ("unfinished", .bool(t.unfinished)),
            ("back_steps", .uint(UInt64(t.backSteps))),
            ("filtered_out", .uint(UInt64(t.filteredOut))),
            ("steps_left_out", .uint(UInt64(t.stepsLeftOut))),
            ("console_lines_left_out", .uint(UInt64(t.consoleLinesLeftOut))),
            ("note", t.consoleOutlastsTheCodes.map(JSONValue.string) ?? .null),
            ("ending", t.ending.map { .object([("reason", .string($0.reason)), ("failed", .bool($0.failed))]) } ?? .null),
        ]
        fields.append(("phases", .array(t.phases.map(phase))))
        fields.append(("intervals", .array(t.intervals.map(interval))))
        fields.append(("named_intervals", .array(t.namedIntervals.map(named))))
        fields.append(("steps", .array(t.steps.map(step))))
        return .object(fields)
    }

    static func phaseSource(_ s: PhaseSource) -> String {
        switch s {
        case .postCodes: return "post codes"
        case .marks(let name): return "marks (\(name))"
        }
    }

    static func phase(_ p: BootPhase) -> JSONValue {
        .object([
            ("phase", .string(p.name)), ("component", p.component.map { .string($0.rawValue) } ?? .null), ("start_ns", .int(p.start)),
            ("end_ns", .int(p.end)), ("duration_ns", .int(p.duration)), ("unfinished", .bool(p.unfinished)),
        ])
    }

    static func interval(_ i: ChainInterval) -> JSONValue {
        .object([
            ("from", .string(i.from)), ("to", .string(i.to)), ("start_ns", .int(i.start)), ("end_ns", .int(i.end)),
            ("duration_ns", .int(i.duration)),
        ])
    }

    static func named(_ i: NamedInterval) -> JSONValue {
        .object([
            ("name", .string(i.name)), ("from", .string(i.from)), ("to", .string(i.to)), ("start_ns", i.start.map(JSONValue.int) ?? .null),
            ("end_ns", i.end.map(JSONValue.int) ?? .null), ("duration_ns", i.duration.map(JSONValue.int) ?? .null),
        ])
    }

    static func step(_ s: BootStep) -> JSONValue {
        var f: [(String, JSONValue)] = [("time_ns", .int(s.time)), ("vcpu", .uint(UInt64(s.vcpu)))]
        switch s.kind {
        case .post(let code):
            f += [
                ("kind", .string("post")), ("code", .uint(UInt64(code))), ("component", .string(DebugPortComponent(code: code).rawValue)),
                ("count", .uint(UInt64(s.count))), ("last_ns", .int(s.lastTime)), ("back_step", .bool(s.isBackStep)),
            ]
        case .mark(let name, let device, let line):
            f += [("kind", .string("mark")), ("name", .string(name)), ("device", .string(device)), ("line", .string(line))]
        case .consoleStart(let device):
            f += [("kind", .string("console_start")), ("device", .string(device))]
        }
        f += [("in_chain", .bool(s.inChain)), ("interval_ns", s.interval.map(JSONValue.int) ?? .null)]
        return .object(f)
    }
}
