import Devices
import TraceFormat

/// Seeds for the `analysis` target's corpus: real traces written as recipes (`TraceRecipe`),
/// so the fuzzer starts from boots the device models know (firmware, kernel and userspace
/// consoles, POST code sequences), plus a few hand-made recipes at the extremes.
public enum AnalysisSeeds {
    /// Recipes of `reader`'s trace: up to `count` stretches of its events (the first, then others
    /// spread over the trace), each of at most `maxBytes` and `TraceRecipe.maxEvents` events, and
    /// each with other analysis choices.
    public static func recipes(of reader: TraceReader, count: Int = 8, maxBytes: Int = 8_000) throws -> [[UInt8]] {
        var events: [PortIOEvent] = []
        try reader.scan { block in
            events.append(contentsOf: block.events())
            return true
        }
        let metadata = reader.metadata
        // Where each stretch starts: the first event, then evenly spread.
        let starts = (0..<max(1, count)).map { events.count * $0 / max(1, count) }
        var out: [[UInt8]] = []
        for (k, start) in Set(starts).sorted().enumerated() {
            out.append(
                recipe(
                    metadata: metadata, events: events[start...], choices: ChoicePreset.all[k % ChoicePreset.all.count], maxBytes: maxBytes)
            )
        }
        return out
    }

    /// Hand-made recipes: times at the limits and before the VM's start, vCPUs at and past the
    /// limit, console text with escape sequences and marks, conflicting devices, a release named
    /// by an unknown tag.
    public static var examples: [(name: String, bytes: [UInt8])] {
        var md = TraceMetadata()
        md.vmStartNs = 1_000_000
        md.vmmStartNs = 500_000
        md["profile"] = .string("v40.0")
        md.labels = [("board", "a|b`c"), ("run", "1")]
        var devices = DeviceMap.defaults(for: Profile(.latest), debugConsole: DeviceMap.defaultDebugConsolePort)
        devices.add(.firmwareDebug)
        devices.store(in: &md)
        let t0: UInt64 = 1_000_000
        let console = Array("\u{1b}[31mSeaBIOS (version 1.16)\u{1b}[0m\nBooting from ROM\n\u{1b}]0;title\u{07}Linux version 6.1\r\n".utf8)
        let userspace = Array("Run /sbin/init as init process\n\u{1b}[?25lWelcome ```|x|\nlogin: \n".utf8)
        let boot: [PortIOEvent] =
            [.marker(at: t0, Marker(Marker.vmCreated))]
            + (0..<6).map { .access(at: t0 + 1000 * UInt64($0), port: 0x80, .out, data: [UInt8($0) * 0x10]) }
            + [
                .access(at: t0 + 10_000, port: 0xe9, .out, count: UInt32(console.count), data: console),
                .access(at: t0 + 20_000, vcpu: 3, port: 0x80, .out, data: [0x00]),
                .access(at: t0 + 30_000, vcpu: 3, port: 0x3f8, .out, count: UInt32(userspace.count), data: userspace),
                .access(at: t0 + 40_000, vcpu: 1, port: 0x80, .out, size: 4, data: [0x7f, 1, 2, 3]),
            ]
        let limit = TraceLimits.maxTimeOffset
        let extremes: [PortIOEvent] = [
            .access(at: 0, port: 0x80, .out, data: [1]),
            .access(at: t0 - 1, port: 0x80, .out, data: [2]),
            .access(at: t0 &+ limit, vcpu: TraceLimits.maxVCPUs - 1, port: 0x80, .out, data: [0x40]),
            .access(at: t0 &+ limit &+ 1, vcpu: TraceLimits.maxVCPUs, port: 0x80, .out, data: [0x41]),
            .access(at: .max, vcpu: .max, port: 0xe9, .out, data: [0x1b]),
            .marker(at: t0 + 5, vcpu: 7, Marker(Marker.lost, value: .max, text: "x")),
        ]
        var overlapping = md
        overlapping["devices"] = .array([
            .object([("model", .string("debug-port")), ("port", .uint(0x80)), ("length", .uint(1))]),
            .object([("model", .string("debug-console")), ("port", .uint(0x80)), ("length", .uint(1))]),
        ])
        var unknown = md
        unknown["profile"] = .string("v99.99")
        return [
            ("boot-marks", recipe(metadata: md, events: boot[...], choices: .marks)),
            ("boot-options", recipe(metadata: md, events: boot[...], choices: .options)),
            ("boot-releases", recipe(metadata: md, events: boot[...], choices: .releases)),
            ("extremes", recipe(metadata: md, events: (boot + extremes)[...], choices: .plain)),
            ("extremes-unchecked", recipe(metadata: md, events: (boot + extremes)[...], choices: .plain, unchecked: true)),
            ("overlapping-devices", recipe(metadata: overlapping, events: boot[...], choices: .plain)),
            ("unknown-release", recipe(metadata: unknown, events: boot[...], choices: .cut)),
        ]
    }

    /// The analysis choices a seed carries (the bytes `AnalysisChoices` reads).
    enum ChoicePreset: CaseIterable {
        /// No options; B is A with its times shifted.
        case plain
        /// `--marks linux`, a window; B drops events.
        case marks
        /// `--mark`, `--phase`, `--interval`, `--codes`, `--profile`, `--tolerance`; B's POST codes and console bytes change.
        case options
        /// Releases compared over a range; B names another release and is left unclosed.
        case releases
        /// B cut short.
        case cut

        static let all = allCases
    }

    /// The bytes `TraceRecipe` reads back as `metadata` and as many of `events` as fit in about
    /// `maxBytes` and `TraceRecipe.maxEvents` (marker texts and strings cut to what a recipe holds).
    static func recipe(
        metadata: TraceMetadata, events: ArraySlice<PortIOEvent>, choices: ChoicePreset, unchecked: Bool = false, maxBytes: Int = 8_000
    ) -> [UInt8] {
        var w = FuzzBytesWriter()
        header(metadata, unchecked: unchecked, &w)
        self.choices(choices, &w)
        var t = TraceLimits.timeOrigin(of: metadata)
        var vcpu: UInt32 = 0
        for e in events.prefix(TraceRecipe.maxEvents) {
            guard w.bytes.count < maxBytes else { break }
            encode(e, clock: &t, vcpu: &vcpu, &w)
        }
        return w.bytes
    }

    static func header(_ md: TraceMetadata, unchecked: Bool, _ w: inout FuzzBytesWriter) {
        typealias F = TraceRecipe.HeaderFlags
        var flags: F = unchecked ? [.unchecked] : []
        if md.vmStartNs != nil { flags.insert(.vmStart) }
        if md.vmmStartNs != nil { flags.insert(.vmmStart) }
        if md["profile"]?.stringValue != nil { flags.insert(.profile) }
        let devices = DeviceMap(metadata: md)
        if devices != nil { flags.insert(.devices) }
        if !md.labels.isEmpty { flags.insert(.labels) }
        if md.wallclockAnchor != nil { flags.insert(.wallclock) }
        if md["vmm_kind"]?.stringValue != nil { flags.insert(.otherFields) }
        w.u8(flags.rawValue)
        // A time as `TraceRecipe.time` reads it: choice 8, the value itself.
        func time(_ v: UInt64) {
            w.u8(8)
            w.u64(v)
        }
        if let v = md.vmStartNs { time(v) }
        if let v = md.vmmStartNs { time(v) }
        if let tag = md["profile"]?.stringValue {
            if let i = Release.all.firstIndex(where: { $0.tag == tag }) {
                w.u8(UInt8(i))
            } else if tag == "latest" {
                w.u8(UInt8(Release.all.count + Release.all.count % 2))
            } else {
                w.u8(UInt8(Release.all.count + 1 - Release.all.count % 2))
                w.string(cut(tag, 24))
            }
        }
        if let devices {
            let list = devices.devices.prefix(5)
            w.u8(UInt8(list.count))
            for d in list {
                if let m = TraceRecipe.deviceModels.firstIndex(of: d.model) {
                    w.u8(UInt8(m))
                } else {
                    w.u8(UInt8(TraceRecipe.deviceModels.count))
                    w.string(cut(d.model.rawValue, 16))
                }
                if let p = TraceRecipe.consolePorts.firstIndex(of: d.port) {
                    w.u8(UInt8(p))
                } else {
                    w.u8(UInt8(TraceRecipe.consolePorts.count))
                    w.u16(d.port)
                }
                w.u8(d.length == 1 ? 0 : d.length == 0 ? 255 : UInt8(d.length % 16))
            }
        }
        if !md.labels.isEmpty {
            let labels = md.labels.prefix(3)
            w.u8(UInt8(labels.count))
            for (k, v) in labels {
                w.string(cut(k, 16))
                w.string(cut(v, 40))
            }
        }
        if let anchor = md.wallclockAnchor {
            w.u64(anchor.realtimeNs)
            time(anchor.monotonicNs)
        }
        if let kind = md["vmm_kind"]?.stringValue {
            w.u8(UInt8(["cloud-hypervisor", "qemu", "firecracker"].firstIndex(of: kind) ?? 0))
            w.string(cut(md["vmm_version"]?.stringValue ?? "", 40))
            w.u32(md.vcpus ?? 1)
            w.u8(UInt8(["CLOCK_MONOTONIC", "CLOCK_BOOTTIME", "perf"].firstIndex(of: md.clock ?? "") ?? 0))
            w.u8(UInt8(TraceMetadata.Source.allCases.firstIndex { $0.rawValue == md.source } ?? 0))
        }
        // The writer: 1000 events a block, so even a short stretch has an index of several.
        w.u8(1)
    }

    static func choices(_ preset: ChoicePreset, _ w: inout FuzzBytesWriter) {
        typealias O = AnalysisChoices.Options
        switch preset {
        case .plain, .cut, .releases:
            w.u8(0)
        case .marks:
            w.u8(O([.markSet, .window]).rawValue)
            w.u8(0)  // linux
            w.u8(2)  // from 0
            w.u8(1)  // to Int64.max
        case .options:
            w.u8(O([.mark, .phase, .interval, .codes, .release, .tolerance]).rawValue)
            w.u8(0)  // m=TEXT
            w.string("Linux version")
            // --phase p=0x10..m: a name (any text first, then the pick), two references.
            w.string("")
            w.u8(0)
            w.u8(2)
            w.u8(0x10)
            w.u8(8)
            // --interval p=start..end.
            w.string("")
            w.u8(0)
            w.u8(0)
            w.u8(1)
            w.string("")  // --codes: the picks' text
            w.u8(0)  // 0x00-0x7f
            w.u8(UInt8(Release.all.firstIndex { $0.tag == "v38.0" } ?? 0))
            w.string("")  // --tolerance
            w.u8(0)  // 5%,200us
        }
        w.u8(preset == .options ? 0b0001 : 0)  // ignored sections
        let first = Release.all.firstIndex { $0.tag == (preset == .releases ? "v24.0" : "v52.0") } ?? 0
        w.u8(UInt8(first))
        w.u8(UInt8(Release.all.count - 1))  // against the latest
        w.u8(preset == .releases ? 3 : 1)  // the range's length
        w.string("")  // --group-by: the picks' text
        w.u8(preset == .releases ? 1 : 0)
        w.u8(preset == .options ? 5 : 0)  // --threshold 5%
        w.u16(7)  // --seed
        // How B differs.
        let flags: UInt8
        switch preset {
        case .plain: flags = 0b0000_0011
        case .marks: flags = 0b0000_0100
        case .options: flags = 0b0001_1000
        case .releases: flags = 0b1110_0000
        case .cut: flags = 0b0100_0000
        }
        w.u8(flags)
        w.u8(3)  // every 5th
        w.u8(0x21)  // xor
        w.u32(1_500_000)  // shift
        w.u8(UInt8(Release.all.firstIndex { $0.tag == "v30.0" } ?? 0))
        w.u16(40_000)  // cut at 61%
        w.u32(1234)
        w.u8(0x10)
    }

    /// One event as `TraceRecipe` operations: a vCPU change if needed, then the event, the clock
    /// moved to its time.
    static func encode(_ e: PortIOEvent, clock t: inout UInt64, vcpu: inout UInt32, _ w: inout FuzzBytesWriter) {
        typealias Op = TraceRecipe.Operation
        if e.vcpu != vcpu {
            w.u8(Op.vcpu.rawValue)
            if e.vcpu < 64 {
                w.u8(UInt8(e.vcpu))
            } else {
                w.u8(67)
                w.u32(e.vcpu)
            }
            vcpu = e.vcpu
        }
        // The step: the op's high bits, then its value.
        func op(_ kind: Op) {
            let d = e.timestamp &- t
            if d == 0 {
                w.u8(kind.rawValue)
            } else if d < 1 << 16 {
                w.u8(7 << 3 | kind.rawValue)
                w.u16(UInt16(d))
            } else if d < 1 << 32 {
                w.u8(8 << 3 | kind.rawValue)
                w.u32(UInt32(d))
            } else {
                w.u8(9 << 3 | kind.rawValue)
                w.u64(e.timestamp)
            }
            t = e.timestamp
        }
        switch e.payload {
        case .marker(let m):
            op(.marker)
            if let n = TraceRecipe.markerNames.firstIndex(of: m.name) {
                w.u8(UInt8(n))
            } else {
                w.u8(UInt8(TraceRecipe.markerNames.count))
                w.string(cut(m.name, 64))
            }
            w.u64(m.value)
            w.string(cut(m.text, 255))
        case .access(let s, let data):
            let consolePort = TraceRecipe.consolePorts.firstIndex(of: s.port)
            if s.port == DeviceMap.debugPortAddress && s.direction == .out && s.count == 1 && s.size == 1 {
                op(.postCode)
                w.u8(data[0])
            } else if s.port == DeviceMap.debugPortAddress && s.direction == .out && s.count == 1 {
                op(.widePostCode)
                w.u8(s.size == 4 ? 1 : 0)
                w.append(data)
            } else if let p = consolePort, s.direction == .out, s.size == 1, !s.incomplete, s.count >= 2, s.count <= 255 {
                op(.console)
                w.u8(UInt8(p))
                w.u8(UInt8(s.count))
                w.append(data)
            } else if s.direction == .in, s.size == 1, s.count == 1,
                s.port >= DeviceMap.serialAddress && s.port < DeviceMap.serialAddress + 8 || consolePort != nil
            {
                op(.read)
                w.u8(consolePort.map { UInt8(10 + $0) } ?? UInt8(s.port - DeviceMap.serialAddress))
                w.u8(data[0])
            } else {
                op(.access)
                w.u16(s.port)
                let sizeIndex: UInt8 = s.size == 1 ? 0 : s.size == 2 ? 1 : 2
                let countClass: UInt8 = s.count == 1 ? 0 : s.count <= 255 ? 1 : 15
                w.u8((s.direction == .in ? 1 : 0) | sizeIndex << 1 | (s.incomplete ? 8 : 0) | countClass << 4)
                if countClass == 1 { w.u8(UInt8(s.count)) } else if countClass == 15 { w.u32(s.count) }
                w.append(data)
            }
        }
    }

    /// `s` cut to at most `bytes` UTF-8 bytes, at a character's end.
    static func cut(_ s: String, _ bytes: Int) -> String {
        var out = ""
        var n = 0
        for c in s {
            n += c.utf8.count
            guard n <= bytes else { break }
            out.append(c)
        }
        return out
    }
}
