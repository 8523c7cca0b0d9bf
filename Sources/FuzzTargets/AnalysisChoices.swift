import Analysis
import Devices
import TraceFormat

/// The options the `analysis` target runs the analyses with, and how its trace B differs from
/// trace A, read from the recipe's input after the header (`TraceRecipe`). Option values are
/// text, as a user types them, and go through the commands' own parsers.
struct AnalysisChoices {
    struct Options: OptionSet {
        let rawValue: UInt8
        static let markSet = Options(rawValue: 1 << 0)
        static let mark = Options(rawValue: 1 << 1)
        static let phase = Options(rawValue: 1 << 2)
        static let interval = Options(rawValue: 1 << 3)
        static let codes = Options(rawValue: 1 << 4)
        static let release = Options(rawValue: 1 << 5)
        static let window = Options(rawValue: 1 << 6)
        static let tolerance = Options(rawValue: 1 << 7)
    }

    var options: Options = []
    var markSet = ""
    var mark = ""
    var phase = ""
    var interval = ""
    var codes = ""
    var release = Release.latest
    var window: (from: Int64, to: Int64) = (.min, .max)
    var tolerance = ""
    var ignoring: Set<DiffSection> = []
    /// `diff --times`, `--no-printk-mask`, and a `--mask` (the mark's text as a pattern).
    var judgingTimes = false
    var masks = OutputMasks.standard
    /// `diff --profile A --against B`, and `diff --profiles` over a short range from A.
    var pair = (Release.latest, Release.latest)
    var releaseRange = "latest..latest"
    /// `stats --group-by`, `--threshold`, `--seed`.
    var groupKey = "vmm_version"
    var threshold: Double?
    var seed: UInt64 = 0
    var mutation = Mutation()

    init() {}

    init(_ r: inout FuzzBytes, labelKeys: [String]) {
        options = Options(rawValue: r.u8())
        if options.contains(.markSet) { markSet = r.u8() < 250 ? "linux" : r.string(limit: 8) }
        if options.contains(.mark) {
            let form = r.u8() % 6
            let text = r.string(limit: 40)
            mark =
                [
                    "m=\(text)", text, "m=Linux version", "m=(a+)+$", "esc=\u{1b}\\[[0-9;]*m\(text)", "login=login: *$",
                ][Int(form)]
        }
        if options.contains(.phase) { phase = Self.span(&r) }
        if options.contains(.interval) { interval = Self.span(&r) }
        if options.contains(.codes) { codes = r.pick(["0x00-0x7f", "0x20-0x3f,0x40", "0x00", "0xff"] + [r.string(limit: 24)]) }
        if options.contains(.release) { release = Self.release(&r) }
        if options.contains(.window) { window = (Self.signed(&r), Self.signed(&r)) }
        if options.contains(.tolerance) { tolerance = r.pick(["5%,200us", "0%", "100%,1s", "0ns"] + [r.string(limit: 16)]) }
        let sections = r.u8()
        ignoring = Set(DiffSection.allCases.enumerated().filter { sections & (1 << $0.offset) != 0 }.map(\.element))
        judgingTimes = sections & 0x80 != 0
        if sections & 0x40 != 0 { masks = OutputMasks() }
        if sections & 0x20 != 0, let mask = try? PatternMask(source: mark.isEmpty ? "[0-9]+" : mark) { masks.add(mask) }
        let first = Int(r.u8()) % Release.all.count
        pair = (Release.all[first], Self.release(&r))
        releaseRange = "\(Release.all[first].tag)..\(Release.all[min(Release.all.count - 1, first + Int(r.u8() % 4))].tag)"
        groupKey = r.pick(["vmm_version", "profile", "labels.\(labelKeys.first ?? "x")", "host.kernel", "source"] + [r.string(limit: 16)])
        let t = r.u8()
        threshold = t == 0 ? nil : Double(t) / 100
        seed = UInt64(r.u16())
        mutation = Mutation(&r)
    }

    static func release(_ r: inout FuzzBytes) -> Release { Release.all[Int(r.u8()) % Release.all.count] }

    /// A time since the VM's start for a window's end: the extremes or a value from the input.
    static func signed(_ r: inout FuzzBytes) -> Int64 {
        switch r.u8() % 6 {
        case 0: return .min
        case 1: return .max
        case 2: return 0
        case 3: return -1
        case 4: return Int64(bitPattern: r.u64())
        default: return Int64(r.u32())
        }
    }

    /// `NAME=FROM..TO` for `--phase` and `--interval`, from names and references a user would
    /// write (codes, marks, start, end) or any text.
    static func span(_ r: inout FuzzBytes) -> String {
        func reference(_ r: inout FuzzBytes) -> String {
            let k = r.u8() % 11
            switch k {
            case 0: return "start"
            case 1: return "end"
            case 2: return "0x\(String(r.u8(), radix: 16))"
            case 3...8: return ["firmware", "bootloader", "kernel", "userspace", "boot-end", "m"][Int(k) - 3]
            case 9: return "esc"
            default: return r.string(limit: 8)
            }
        }
        let name = r.pick(["p", "Boot", "a.b"] + [r.string(limit: 8)])
        return "\(name)=\(reference(&r))..\(reference(&r))"
    }

    /// The timeline options: each choice through the parser the commands use; a choice the
    /// parser refuses is left out (the refusal itself is the answer), as are phases and intervals
    /// naming marks that none defines.
    func timelineOptions() -> TimelineOptions {
        var o = TimelineOptions()
        if options.contains(.markSet) { o.markSet = MarkSet.named(markSet) }
        if options.contains(.mark), let m = try? TimelineOptions.mark(mark) { o.marks = [m] }
        if options.contains(.phase), let p = try? PhaseSpec.parse(phase) { o.phases = [p] }
        if options.contains(.interval), let i = try? IntervalSpec.parse(interval) { o.intervals = [i] }
        if options.contains(.codes) { o.codes = ValueSyntax.codeRanges(codes) }
        if options.contains(.release) { o.release = release }
        if (try? o.checkReferences()) == nil {
            o.phases = []
            o.intervals = []
        }
        return o
    }
}

/// How trace B is made from A's recipe: times shifted, events dropped, POST codes and console
/// bytes changed, another release in the header, and its bytes unclosed, cut or flipped.
struct Mutation {
    var flags: UInt8 = 0
    var every = 2
    var xor: UInt8 = 1
    var shift: UInt64 = 0
    var profile = Release.latest
    var cut: UInt16 = 0
    var flipAt: UInt32 = 0
    var flipXor: UInt8 = 1

    init() {}

    init(_ r: inout FuzzBytes) {
        flags = r.u8()
        every = Int(r.u8() % 16) + 2
        xor = r.u8() | 1
        shift = UInt64(r.u32())
        profile = AnalysisChoices.release(&r)
        cut = r.u16()
        flipAt = r.u32()
        flipXor = r.u8() | 1
    }

    /// B's events: A's, with every `every`-th changed as the flags say.
    func events(_ a: [PortIOEvent]) -> [PortIOEvent] {
        var out: [PortIOEvent] = []
        out.reserveCapacity(a.count)
        for (i, var e) in a.enumerated() {
            let chosen = i % every == every - 1
            if flags & 1 != 0 { e.timestamp = flags & 2 != 0 ? e.timestamp &+ shift : e.timestamp &- shift }
            if flags & 4 != 0 && chosen { continue }
            if case .access(let shape, var data) = e.payload, chosen, !data.isEmpty {
                if flags & 8 != 0 && shape.port == DeviceMap.debugPortAddress { data[0] ^= xor }
                if flags & 16 != 0 && shape.port != DeviceMap.debugPortAddress { data[data.count - 1] ^= xor }
                e.payload = .access(shape, data: data)
            }
            out.append(e)
        }
        return out
    }

    /// B's header: A's, naming another release when the flags say so.
    func metadata(_ a: TraceMetadata) -> TraceMetadata {
        var md = a
        if flags & 32 != 0 { md["profile"] = .string(profile.tag) }
        return md
    }

    /// B's bytes: cut short, or with one byte flipped.
    func bytes(_ b: [UInt8]) -> [UInt8] {
        guard !b.isEmpty else { return b }
        switch flags >> 6 {
        case 1: return Array(b.prefix(Int(UInt64(b.count) * UInt64(cut) / 65_536)))
        case 2:
            var c = b
            c[Int(flipAt) % c.count] ^= flipXor
            return c
        default: return b
        }
    }
}
