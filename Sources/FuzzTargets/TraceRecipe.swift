import Devices
import TraceFormat

/// The `analysis` target's input: a trace described value by value, so that the fuzzer mutates
/// headers, times, vCPUs, ports and console bytes rather than compressed blocks. Read in order:
///
/// 1. **Header** (`HeaderFlags`, then each value present): `vm_start_ns` and `vmm_start_ns`
///    (time choices, `Self.time`, extremes included), `profile` (a release, `latest` or any
///    text), device map entries (model, port, length; overlaps and empty ranges allowed), labels,
///    the wall-clock anchor, other header fields (`vmm_kind`, `vmm_version`, `vcpus`, `clock`),
///    and how the writer cuts blocks.
/// 2. **Analysis choices** (`AnalysisChoices`): `--marks`, `--mark`, `--phase`, `--interval`,
///    `--codes`, `--profile`, a window, a tolerance and ignored sections for `diff`, the
///    releases compared, a `stats` grouping, and how trace B differs from A.
/// 3. **Events** until the input ends, one operation each (`Operation`): a byte whose low 3 bits
///    say what and whose high 5 bits move the clock (`Self.step`), then its values.
///
/// Past the input's end every value reads as zero, so any input is a recipe.
struct TraceRecipe {
    struct HeaderFlags: OptionSet {
        let rawValue: UInt8
        static let vmStart = HeaderFlags(rawValue: 1 << 0)
        static let vmmStart = HeaderFlags(rawValue: 1 << 1)
        static let profile = HeaderFlags(rawValue: 1 << 2)
        static let devices = HeaderFlags(rawValue: 1 << 3)
        static let labels = HeaderFlags(rawValue: 1 << 4)
        static let wallclock = HeaderFlags(rawValue: 1 << 5)
        static let otherFields = HeaderFlags(rawValue: 1 << 6)
        /// Append every event as it is, letting the writer refuse what is over the limits (it then
        /// fails, and the trace is whatever it had written); else events over them are left out.
        static let unchecked = HeaderFlags(rawValue: 1 << 7)
    }

    /// What an event operation does (its low 3 bits).
    enum Operation: UInt8, CaseIterable {
        /// A POST code: one byte written to port 0x80.
        case postCode = 0
        /// A POST code of 2 or 4 bytes (`outw`/`outl` to 0x80).
        case widePostCode
        /// Any access: port, direction, size, count, incompleteness, data.
        case access
        /// Console bytes to one of the console ports, as one string write or a write per byte.
        case console
        /// A recorder marker.
        case marker
        /// The vCPU of the events that follow.
        case vcpu
        /// A read (`in`) of a device's port, with the value the device returned.
        case read
        /// The previous event again, N times.
        case repeatLast
    }

    var metadata = TraceMetadata()
    var flags: HeaderFlags = []
    var writerOptions = TraceWriter.Options()
    /// Leave trace A unclosed (as a killed recorder does).
    var leaveOpen = false
    var choices = AnalysisChoices()
    var events: [PortIOEvent] = []

    /// The most events a recipe makes (repeats multiply the input's operations). Values, not
    /// volume, break an analysis (the benchmarks cover volume), and every analysis walks the
    /// trace (about 20 walks and renderings an input): more events only slow the fuzzer down.
    static let maxEvents = 256

    static let markerNames = [
        Marker.vmmStarted, Marker.vmCreated, Marker.lost, Marker.vcpuHalted, Marker.guestHalted, Marker.shutdown,
        Marker.timeout, Marker.signal, Marker.traceClosed, Marker.loggerTime, Marker.loggerWallclock, "vcpu_unmapped",
    ]
    static let consolePorts: [UInt16] = [
        DeviceMap.defaultDebugConsolePort, DeviceMap.firmwareDebugAddress, DeviceMap.serialAddress, 0x2f8, 0x80,
    ]
    static let deviceModels: [DeviceMap.Model] = [.debugPort, .debugConsole, .firmwareDebug, .serial]

    init(_ input: [UInt8]) {
        var r = FuzzBytes(input)
        flags = HeaderFlags(rawValue: r.u8())
        readHeader(&r)
        choices = AnalysisChoices(&r, labelKeys: metadata.labels.map(\.0))
        readEvents(&r)
    }

    // MARK: The header

    private mutating func readHeader(_ r: inout FuzzBytes) {
        if flags.contains(.vmStart) { metadata.vmStartNs = Self.time(&r, origin: 0) }
        if flags.contains(.vmmStart) { metadata.vmmStartNs = Self.time(&r, origin: metadata.vmStartNs ?? 0) }
        if flags.contains(.profile) {
            let i = Int(r.u8())
            metadata["profile"] = .string(i < Release.all.count ? Release.all[i].tag : i % 2 == 0 ? "latest" : r.string(limit: 24))
        }
        if flags.contains(.devices) {
            var list: [JSONValue] = []
            for _ in 0..<(r.u8() % 6) {
                let m = Int(r.u8())
                let model = m < Self.deviceModels.count ? Self.deviceModels[m].rawValue : r.string(limit: 16)
                let p = Int(r.u8())
                let port = p < Self.consolePorts.count ? Self.consolePorts[p] : r.u16()
                let length = r.u8()
                list.append(
                    .object([
                        ("model", .string(model)), ("port", .uint(UInt64(port))),
                        ("length", .uint(length == 0 ? 1 : length == 255 ? 0 : UInt64(length % 16))),
                    ]))
            }
            metadata["devices"] = .array(list)
            if let console = DeviceMap(metadata: metadata)?.port(of: .debugConsole) {
                metadata["debug_console_iobase"] = .uint(UInt64(console))
            }
        }
        if flags.contains(.labels) {
            var labels: [(String, String)] = []
            for _ in 0..<(r.u8() % 4) { labels.append((r.string(limit: 16), r.string(limit: 40))) }
            metadata.labels = labels
        }
        if flags.contains(.wallclock) {
            metadata.wallclockAnchor = (realtimeNs: r.u64(), monotonicNs: Self.time(&r, origin: metadata.vmStartNs ?? 0))
        }
        if flags.contains(.otherFields) {
            metadata["vmm_kind"] = .string(r.pick(["cloud-hypervisor", "qemu", "firecracker"]))
            metadata["vmm_version"] = .string(r.string(limit: 40))
            metadata.vcpus = r.u32()
            metadata.clock = r.pick(["CLOCK_MONOTONIC", "CLOCK_BOOTTIME", "perf"])
            metadata.source = r.pick(TraceMetadata.Source.allCases.map(\.rawValue))
        }
        let writer = r.u8()
        writerOptions.maxEventsPerBlock = [65_536, 1000, 64, 7, 1][Int(writer & 7) % 5]
        if writer & 8 != 0 { writerOptions.timestampCoding = .planes }
        if writer & 16 != 0 { writerOptions.columnBlocks = false }
        leaveOpen = writer & 32 != 0
    }

    // MARK: Times

    /// An absolute time: one of the extremes around `origin` (the limits of `TraceLimits`, the
    /// ends of 64 bits, just before the VM's start) or a value from the input.
    static func time(_ r: inout FuzzBytes, origin: UInt64) -> UInt64 {
        let limit = TraceLimits.maxTimeOffset
        switch r.u8() % 12 {
        case 0: return 0
        case 1: return .max
        case 2: return origin &+ limit
        case 3: return origin &+ limit &+ 1
        case 4: return origin &- limit
        case 5: return origin &- limit &- 1
        case 6: return origin &- 1
        case 7: return origin
        case 8: return r.u64()
        case 9: return origin &+ UInt64(r.u32())
        case 10: return UInt64(Int64.max)
        default: return origin &- UInt64(r.u32())
        }
    }

    /// The clock after an operation's step `s` (its high 5 bits): the same time, small steps
    /// forward and back, a step from the input, or an absolute time (`time`).
    static func step(_ s: UInt8, from t: UInt64, _ r: inout FuzzBytes, origin: UInt64) -> UInt64 {
        switch s {
        case 0: return t
        case 1: return t &+ 1
        case 2: return t &+ 1_000
        case 3: return t &+ 1_000_000
        case 4: return t &+ 1_000_000_000
        case 5: return t &- 1
        case 6: return t &- 1_000_000
        case 7: return t &+ UInt64(r.u16())
        case 8: return t &+ UInt64(r.u32())
        case 9: return r.u64()
        case 10: return time(&r, origin: origin)
        case 11: return t &- UInt64(r.u32())
        default: return t &+ UInt64(s - 11) * 10_000
        }
    }

    // MARK: Events

    private mutating func readEvents(_ r: inout FuzzBytes) {
        let origin = TraceLimits.timeOrigin(of: metadata)
        var t = origin
        var vcpu: UInt32 = 0
        while !r.isAtEnd && events.count < Self.maxEvents {
            let op = r.u8()
            t = Self.step(op >> 3, from: t, &r, origin: origin)
            switch Operation(rawValue: op & 7)! {
            case .postCode:
                events.append(.access(at: t, vcpu: vcpu, port: DeviceMap.debugPortAddress, .out, data: [r.u8()]))
            case .widePostCode:
                let size: UInt8 = r.bool() ? 4 : 2
                events.append(
                    .access(
                        at: t, vcpu: vcpu, port: DeviceMap.debugPortAddress, .out, size: size, data: r.take(Int(size)).padded(Int(size))))
            case .access:
                events.append(Self.access(&r, at: t, vcpu: vcpu))
            case .console:
                let which = r.u8()
                let port = Self.consolePorts[Int(which & 0x7f) % Self.consolePorts.count]
                let text = r.take(Int(r.u8()))
                if which & 0x80 != 0 || text.count < 2 {
                    for (i, byte) in text.enumerated() {
                        events.append(.access(at: t &+ UInt64(i), vcpu: vcpu, port: port, .out, data: [byte]))
                    }
                } else {
                    events.append(.access(at: t, vcpu: vcpu, port: port, .out, count: UInt32(text.count), data: text))
                }
            case .marker:
                let n = Int(r.u8())
                let name = n < Self.markerNames.count ? Self.markerNames[n] : r.string(limit: 64)
                events.append(.marker(at: t, vcpu: vcpu, Marker(name, value: r.u64(), text: r.string())))
            case .vcpu:
                let v = r.u8()
                switch v {
                case 0..<64: vcpu = UInt32(v)
                case 64: vcpu = TraceLimits.maxVCPUs - 1
                case 65: vcpu = TraceLimits.maxVCPUs
                case 66: vcpu = .max
                case 67: vcpu = r.u32()
                default: vcpu = UInt32(v % 8)
                }
            case .read:
                let p = Int(r.u8())
                let port = p < 8 ? DeviceMap.serialAddress + UInt16(p) : p < 16 ? Self.consolePorts[p % Self.consolePorts.count] : r.u16()
                events.append(.access(at: t, vcpu: vcpu, port: port, .in, data: [r.u8()]))
            case .repeatLast:
                guard let last = events.last else { continue }
                for i in 0..<min(Int(r.u8()), Self.maxEvents - events.count) {
                    var e = last
                    e.timestamp = t &+ UInt64(i) &* 1_000
                    events.append(e)
                }
            }
        }
    }

    /// An access of any shape. Its data is as long as the shape says, unless that is over the
    /// limits (the writer refuses it on its shape; nothing that large is allocated).
    static func access(_ r: inout FuzzBytes, at t: UInt64, vcpu: UInt32) -> PortIOEvent {
        let port = r.u16()
        let f = r.u8()
        let size: UInt8 = [1, 2, 4, 3][Int(f >> 1) & 3]
        let countClass = f >> 4
        let count: UInt32 = countClass == 0 ? 1 : countClass == 15 ? r.u32() : UInt32(r.u8())
        let shape = EventShape(
            vcpu: vcpu, port: port, direction: f & 1 == 0 ? .out : .in, size: size, count: count, incomplete: f & 8 != 0 && count > 1)
        let length = TraceLimits.problem(with: shape) == nil ? shape.dataLength : 0
        return PortIOEvent(timestamp: t, vcpu: vcpu, payload: .access(shape, data: r.take(length).padded(length)))
    }
}

extension [UInt8] {
    /// These bytes, with zeros added up to `count`.
    func padded(_ count: Int) -> [UInt8] { self.count >= count ? self : self + [UInt8](repeating: 0, count: count - self.count) }
}
