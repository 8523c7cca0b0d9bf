import Devices
import Foundation
import FuzzTargets
import TraceFormat

// Release-build benchmarks for porttrace (not timed tests). Run through Benchmarks/run.
//   PorttraceBench encoding [REAL.pt]      bytes/event per workload, level and layout
//   PorttraceBench write-read [EVENTS]     events/s written and read
//   PorttraceBench replay [EVENTS]         events/s replayed; memory on a long trace
//   PorttraceBench memory [EVENTS]         resident memory of the writer and reader on a long trace
//   PorttraceBench entropy BURST.pt [T.pt...] trace size against order-0 entropy and xz -9e; before/after
//   PorttraceBench kvm GUEST BARE ROUNDS   exits/s: porttrace run with/without trace vs a bare C loop
//   PorttraceBench patterns                 the pattern matcher (RE2) on 64 KiB console lines
//   PorttraceBench gen-boot|gen-chlog|gen-perf N PATH   inputs for Benchmarks/analysis
//   PorttraceBench gen-unregistered|gen-guest|gen-console N PATH ...   inputs for its diff benchmarks
//     (gen-console N PATH printk SEED: kernel lines whose printk times depend on SEED)
//   PorttraceBench gen-blocks DIR TRACE...   each block, both timestamp codings: fuzz seeds
//   PorttraceBench gen-analysis DIR TRACE...   the traces as the analysis fuzz target's recipes
#if os(Linux) && KVMCapture
import Capture
import KVM
#endif

let args = CommandLine.arguments
guard args.count >= 2 else {
    print("usage: PorttraceBench encoding|write-read|replay|kvm ...")
    exit(2)
}

/// A v53.0 machine with a debug console at 0xe9 whose outputs go to `console` and the log to `log`.
func benchMachine(vmOrigin: UInt64 = 0, console: ByteSink, log: ByteSink) throws -> DebugMachine {
    let p = Profile(.latest)
    let f = try LogFormatter(
        profile: p, template: nil, loggerOrigin: 0, anchor: nil, pid: 0, tids: [], timeZone: TimeZone(identifier: "UTC")!)
    return try DebugMachine(
        configuration: MachineConfiguration(profile: p, vmOrigin: vmOrigin, debugConsolePort: 0xe9),
        log: DeviceLog(formatter: f, maxLevel: p.maxLevel(verbosity: 0), sink: log),
        sinks: MachineSinks(log: log, debugConsole: console, firmwareDebug: console, serial: console))
}

func tempPath(_ name: String) -> String { NSTemporaryDirectory() + "porttrace-bench-\(getpid())-\(name)" }

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

func residentMiB() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    return Double(Int(s.split(separator: " ")[1]) ?? 0) * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

struct Workload {
    var name: String
    var events: (inout SplitMix) -> [PortIOEvent]
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Standard normal (Box-Muller).
    mutating func gaussian() -> Double {
        let u1 = max(Double(next() >> 11) / Double(1 << 53), 1e-12)
        let u2 = Double(next() >> 11) / Double(1 << 53)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}

let text = Array(
    "[    0.000000] Linux version 6.1.0 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC\n[    0.004000] Command line: console=ttyS0 root=/dev/vda1\n"
        .utf8)

/// One byte to 0xe9 every ~10 us, with Gaussian jitter of `sigma` ns.
func consoleBurst(count: Int, sigma: Double) -> Workload {
    Workload(name: "console burst, 10 us +- \(Int(sigma)) ns") { rng in
        var t: UInt64 = 1_000_000_000
        return (0..<count).map { i in
            t += UInt64(max(1000, 10_000 + sigma * rng.gaussian()))
            return .access(at: t, port: 0xe9, .out, data: [text[i % text.count]])
        }
    }
}

/// Console burst with deltas drawn from a real recording's delta distribution.
func replayedJitter(count: Int, deltas: [UInt64]) -> Workload {
    Workload(name: "console burst, jitter resampled from the real recording") { rng in
        var t: UInt64 = 1_000_000_000
        return (0..<count).map { i in
            t += deltas[Int(rng.next() % UInt64(deltas.count))]
            return .access(at: t, port: 0xe9, .out, data: [text[i % text.count]])
        }
    }
}

func sparsePost(count: Int) -> Workload {
    Workload(name: "sparse POST codes (one per ~50 ms)") { rng in
        var t: UInt64 = 1_000_000_000
        return (0..<count).map { i in
            t += 50_000_000 + rng.next() % 5_000_000
            return .access(at: t, port: 0x80, .out, data: [UInt8(i & 0x7f)])
        }
    }
}

func mixed(count: Int) -> Workload {
    Workload(name: "mixed: serial with LSR polls, 0x402, 0xe9, POST, 2 vCPUs") { rng in
        var t: UInt64 = 1_000_000_000
        var out: [PortIOEvent] = []
        var i = 0
        while out.count < count {
            let vcpu = UInt32(rng.next() % 2)
            t += 9_000 + rng.next() % 3_000
            switch rng.next() % 10 {
            case 0...3:
                out.append(.access(at: t, vcpu: vcpu, port: 0x3fd, .in, data: [0x60]))
                t += 9_000 + rng.next() % 3_000
                out.append(.access(at: t, vcpu: vcpu, port: 0x3f8, .out, data: [text[i % text.count]]))
            case 4...6: out.append(.access(at: t, vcpu: vcpu, port: 0x402, .out, data: [text[i % text.count]]))
            case 7...8: out.append(.access(at: t, vcpu: vcpu, port: 0xe9, .out, data: [text[i % text.count]]))
            default: out.append(.access(at: t, vcpu: vcpu, port: 0x80, .out, data: [UInt8(rng.next() & 0xff)]))
            }
            i += 1
        }
        return out
    }
}

/// Writes events as a live recorder would (100 ms blocks by event time) and returns the file size.
func writeTrace(_ events: [PortIOEvent], path: String, level: Int32, columnBlocks: Bool, blockNs: UInt64 = 100_000_000) throws -> UInt64 {
    var options = TraceWriter.Options()
    options.compressionLevel = level
    options.columnBlocks = columnBlocks
    options.maxEventsPerBlock = 1 << 30
    options.sealInterval = .seconds(3600)
    let w = try TraceWriter(path: path, metadata: TraceMetadata(), options: options)
    var blockStart = events.first?.timestamp ?? 0
    for e in events {
        if e.timestamp - blockStart >= blockNs {
            w.flush()
            blockStart = e.timestamp
        }
        w.append(e)
    }
    try w.close(at: events.last?.timestamp ?? 0)
    return try TraceReader(path: path).fileSize
}

func realDeltas(_ path: String) throws -> [PortIOEvent] {
    try TraceReader(path: path).readAll().events.filter { $0.shape?.port == 0xe9 }
}

switch args[1] {
case "encoding":
    let n = 200_000
    var workloads = [
        consoleBurst(count: n, sigma: 50), consoleBurst(count: n, sigma: 200), consoleBurst(count: n, sigma: 1000),
        sparsePost(count: 2_000), mixed(count: n),
    ]
    var real: [PortIOEvent] = []
    if args.count >= 3 {
        real = try realDeltas(args[2])
        let ts = real.map(\.timestamp)
        let deltas = zip(ts, ts.dropFirst()).map { $1 - $0 }
        workloads.insert(replayedJitter(count: n, deltas: deltas), at: 0)
    }
    print("| workload | events | zstd level | per-column blocks | bytes/event |")
    print("|---|---:|---:|---|---:|")
    let path = tempPath("enc")
    defer { unlink(path) }
    if !real.isEmpty {
        for (level, cols) in [(Int32(3), true), (9, false), (9, true), (19, true)] {
            let size = try writeTrace(real, path: path, level: level, columnBlocks: cols)
            print(
                "| real recording: bench.bin, 0xe9 burst under nested KVM | \(real.count) | \(level) | \(cols) | \(String(format: "%.3f", Double(size) / Double(real.count))) |"
            )
        }
    }
    for w in workloads {
        var rng = SplitMix(state: 42)
        let events = w.events(&rng)
        for (level, cols) in [(Int32(3), true), (9, false), (9, true), (19, true)] {
            let size = try writeTrace(events, path: path, level: level, columnBlocks: cols)
            print("| \(w.name) | \(events.count) | \(level) | \(cols) | \(String(format: "%.3f", Double(size) / Double(events.count))) |")
        }
    }

case "write-read":
    let n = args.count >= 3 ? Int(args[2])! : 2_000_000
    print("| workload | events | write events/s | read events/s | bytes/event |")
    print("|---|---:|---:|---:|---:|")
    let path = tempPath("wr")
    defer { unlink(path) }
    for w in [consoleBurst(count: n, sigma: 200), sparsePost(count: n / 10), mixed(count: n)] {
        var rng = SplitMix(state: 7)
        let events = w.events(&rng)
        let clock = ContinuousClock()
        var writer: TraceWriter!
        let writeTime = try clock.measure {
            writer = try TraceWriter(path: path, metadata: TraceMetadata())
            for e in events { writer.append(e) }
            try writer.close(at: events.last!.timestamp)
        }
        var count = 0
        let readTime = try clock.measure {
            try TraceReader(path: path).scan {
                count += $0.count
                return true
            }
        }
        let size = try TraceReader(path: path).fileSize
        print(
            "| \(w.name) | \(events.count) | \(Int(Double(events.count) / seconds(writeTime))) | \(Int(Double(count) / seconds(readTime))) | \(String(format: "%.3f", Double(size) / Double(events.count))) |"
        )
    }

case "memory":
    // Resident memory of the writer and the reader over a long trace: both keep a few blocks at
    // most, whatever the trace's length (this replaced an RSS-reading unit test, which sanitizers
    // and shared machines made unreliable). Two timings: a periodic one (byte planes win) and a
    // spiky one whose blocks are value-coded, so the coder's tables are counted too.
    let n = args.count >= 3 ? Int(args[2])! : 3_000_000
    let path = tempPath("mem")
    defer { unlink(path) }
    print("| timing | events | value-coded blocks | raw MiB (9 bytes each) | RSS before MiB | after writing | after reading |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for spiky in [false, true] {
        let before = residentMiB()
        let w = try TraceWriter(path: path, metadata: TraceMetadata())
        var t: UInt64 = 1_000_000
        var rng = SplitMix(state: 3)
        let text = Array("The quick brown fox jumps over the lazy dog.\n".utf8)
        for i in 0..<n {
            let r = rng.next()
            t += spiky ? 7_561 + 10 * (r % 8 + (r >> 8) % 5) + (r >> 16) % 3 : 9_000 + UInt64(i * 7919 % 2000)
            // SAFETY: the text's bytes, for the call; the slice is one byte inside them (i % count);
            // the writer copies it.
            text.withUnsafeBytes { raw in
                w.append(
                    timestamp: t, shape: EventShape(vcpu: 0, port: 0xe9, direction: .out, size: 1),
                    data: UnsafeRawBufferPointer(rebasing: raw[(i % text.count)..<(i % text.count + 1)]))
            }
        }
        try w.close()
        let afterWrite = residentMiB()
        var read = 0
        var valueCoded = 0
        _ = try TraceReader(path: path).scan { block in
            read += block.count
            if block.valueCodedTimestamps { valueCoded += 1 }
            return true
        }
        let afterRead = residentMiB()
        print(
            "| \(spiky ? "spiky" : "periodic") | \(read) | \(valueCoded) | \((n * 9) >> 20) | \(String(format: "%.0f", before)) | \(String(format: "%.0f", afterWrite)) | \(String(format: "%.0f", afterRead)) |"
        )
    }

case "replay":
    let n = args.count >= 3 ? Int(args[2])! : 20_000_000
    let long = args.count >= 4 ? Int(args[3])! : 0
    /// Writes `count` events of one port in blocks, without holding them all in memory.
    /// `spiky`: gaps in steps of about 10 ns around a few favourites, as this host's clock makes
    /// them (a few dozen distinct values: the writer value-codes those timestamps); otherwise
    /// uniform over 2,000 ns (byte planes win there).
    func synthetic(_ path: String, count: Int, port: UInt16, gap: UInt64, spiky: Bool = false) throws {
        let w = try TraceWriter(path: path, metadata: TraceMetadata())
        var t: UInt64 = 0
        var rng = SplitMix(state: 1)
        for i in 0..<count {
            let r = rng.next()
            t += spiky ? gap - 2_439 + 10 * (r % 8 + (r >> 8) % 5) + (r >> 16) % 3 : gap + r % 2000
            var b = port == 0x80 ? UInt8(i & 0xff) : text[i % text.count]
            // SAFETY: the byte's storage lives for the closure, and append copies the one byte it is given.
            withUnsafeBytes(of: &b) { w.append(timestamp: t, shape: EventShape(vcpu: 0, port: port, direction: .out, size: 1), data: $0) }
        }
        try w.close(at: t)
    }
    print("| trace | events | output | replay events/s (1 core) | peak RSS MiB |")
    print("|---|---:|---|---:|---:|")
    let cases: [(String, Int, UInt16, UInt64, String)] =
        [
            ("console burst (0xe9)", n, 0xe9, 10_000, "/dev/null"),
            ("console burst (0xe9), spiky jitter: value-coded timestamps", n, 0xe9, 10_000, "/dev/null"),
            ("POST codes (0x80), every line logged", n / 10, 0x80, 10_000, "log file"),
        ] + (long > 0 ? [("console burst, long trace", long, 0xe9, 10_000, "/dev/null")] : [])
    let only = ProcessInfo.processInfo.environment["PORTTRACE_BENCH_ONLY"]
    for (name, count, port, gap, output) in cases where only == nil || name.hasPrefix(only!) {
        let spiky = name.contains("spiky")
        let path = NSTemporaryDirectory() + "porttrace-bench-replay-\(port)-\(count)\(spiky ? "-spiky" : "")-v2.pt"
        if (try? TraceReader(path: path))?.isComplete != true { try synthetic(path, count: count, port: port, gap: gap, spiky: spiky) }
        let devnull = open("/dev/null", O_WRONLY)
        let logPath = tempPath("log")
        defer { unlink(logPath) }
        let log = output == "log file" ? try ByteSink.output(logPath, contents: .guestData) : ByteSink(.descriptor(devnull))
        let m = try benchMachine(console: ByteSink(.descriptor(devnull)), log: log)
        let driver = ReplayDriver(machine: m)
        let before = residentMiB()
        var peak = before
        let reader = try TraceReader(path: path)
        var replayed = 0
        var report: TraceReader.ScanReport?
        let time = try ContinuousClock().measure {
            report = try reader.scan { block in
                replayed += block.count
                driver.feed(block: block)
                peak = max(peak, residentMiB())
                return true
            }
            try m.finish()
        }
        // A cached trace from another build that this one cannot read must not pass for a fast one.
        guard report?.problems.isEmpty == true, replayed >= count else {
            throw BenchError("\(path): replayed \(replayed) of \(count) events (\(report?.problems.first?.description ?? "")); delete it")
        }
        print(
            "| \(name) | \(count) | \(output) | \(Int(Double(count) / seconds(time))) | \(String(format: "%.0f", peak)) (start \(String(format: "%.0f", before))) |"
        )
        close(devnull)
    }

case "kvm":
    #if os(Linux) && KVMCapture
    guard args.count >= 5 else {
        print("usage: kvm GUEST BARE_BINARY ROUNDS")
        exit(2)
    }
    let guestPath = args[2]
    let bare = args[3]
    let rounds = Int(args[4])!
    let image = try GuestImage(path: guestPath, load: 0x10000)
    func porttraceRun(record: Bool) throws -> Double {
        let vm = try BuiltInMachine(configuration: RunConfiguration(image: image, mode: .real, load: 0x10000))
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let sink = ByteSink(.descriptor(devnull))
        let devices = try benchMachine(vmOrigin: vm.vmStartNs, console: sink, log: sink)
        let path = tempPath("kvm")
        defer { unlink(path) }
        var writer: TraceWriter?
        let (outcome, _, stats) = try vm.runMeasured(devices: devices) { _ in
            writer = record ? try TraceWriter(path: path, metadata: TraceMetadata()) : nil
            return writer
        }
        try writer?.close()
        guard outcome == .halted else { throw BenchError("bench guest did not halt: \(outcome)") }
        return stats.exitsPerSecond
    }
    func bareRun() throws -> Double {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bare)
        p.arguments = [guestPath]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return Double(out.split(separator: " ").last!.trimmingCharacters(in: .whitespacesAndNewlines))!
    }
    /// The KVM module alone, on the calling thread: no models, no trace, no threads.
    func swiftLoop(models: Bool = false) throws -> Double {
        let vm = try BuiltInMachine(configuration: RunConfiguration(image: image, mode: .real, load: 0x10000))
        let vcpu = vm.vcpus[0]
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let out = ByteSink(.descriptor(devnull))
        let devices = try benchMachine(vmOrigin: vm.vmStartNs, console: out, log: out)
        let lock = NSLock()
        var exits = 0
        var sink: UInt8 = 0
        let start = Monotonic.now()
        loop: while true {
            switch try vcpu.runOnce() {
            case .ioOut(let port, _, _):
                exits += 1
                if models {
                    lock.lock()
                    let t = Monotonic.now()
                    let d = vcpu.ioData
                    // SAFETY: `d` is the vCPU's I/O buffer in the kvm_run page, valid until the next KVM_RUN on this thread.
                    devices.write(timestamp: t, vcpu: 0, port: port, length: d.count, data: UnsafeRawBufferPointer(d))
                    lock.unlock()
                } else {
                    sink ^= vcpu.ioData[0]
                }
            case .halt: break loop
            default: throw BenchError("unexpected exit")
            }
        }
        let end = Monotonic.now()
        _ = sink
        return Double(exits) / (Double(end - start) / 1e9)
    }
    var bareRates: [Double] = []
    var plainRates: [Double] = []
    var recordRates: [Double] = []
    var swiftRates: [Double] = []
    var modelRates: [Double] = []
    for _ in 0..<rounds {
        // Interleaved, so drift in the host affects all three alike.
        bareRates.append(try bareRun())
        plainRates.append(try porttraceRun(record: false))
        recordRates.append(try porttraceRun(record: true))
        swiftRates.append(try swiftLoop())
        modelRates.append(try swiftLoop(models: true))
    }
    func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s[s.count / 2]
    }
    func quartiles(_ v: [Double]) -> String {
        let s = v.sorted()
        return String(format: "%.3f-%.3f", s[s.count / 4], s[(3 * s.count) / 4])
    }
    /// Ratios taken within each round (back-to-back runs), so slow drift of the host cancels.
    func ratios(_ v: [Double]) -> [Double] { zip(v, bareRates).map { $0 / $1 } }
    print(
        "| loop: 100,000 one-byte OUTs to 0xe9, 1 vCPU, \(rounds) interleaved rounds | median exits/s | median of per-round ratio to bare C | interquartile range of the ratio |"
    )
    print("|---|---:|---:|---:|")
    print("| bare C KVM_RUN loop | \(Int(median(bareRates))) | 1.000 | |")
    for (name, rates) in [
        ("Swift loop over the KVM module alone (no models, same thread)", swiftRates),
        ("same, plus lock, clock and device models per exit", modelRates),
        ("porttrace run --no-trace (vCPU thread, models, output to /dev/null)", plainRates),
        ("porttrace run -o TRACE (models + recording)", recordRates),
    ] {
        print("| \(name) | \(Int(median(rates))) | \(String(format: "%.3f", median(ratios(rates)))) | \(quartiles(ratios(rates))) |")
    }
    print("")
    print(
        "all rounds (exits/s): bare \(bareRates.map { Int($0) }), swift loop \(swiftRates.map { Int($0) }), with models \(modelRates.map { Int($0) }), no-trace \(plainRates.map { Int($0) }), record \(recordRates.map { Int($0) })"
    )
    #else
    print("the kvm benchmark needs Linux with KVM (built without the KVMCapture trait)")
    exit(2)
    #endif

case "entropy":
    // entropy BURST.pt [TRACE.pt ...]: the burst's size against its entropy and xz -9e, then
    // a before/after table of every trace given.
    guard args.count >= 3 else { throw BenchError("usage: PorttraceBench entropy BURST.pt [TRACE.pt ...]") }
    try Entropy.burst(args[2])
    print("")
    try Entropy.table(Array(args[2...]))

case "gen-blocks":
    // gen-blocks DIR TRACE...: every block of the traces, decompressed, once with byte planes and
    // once value-coded: seeds for the block fuzz target.
    var k = 0
    for path in args[3...] {
        _ = try TraceReader(path: path).scan { block in
            var b = EventBlockBuilder()
            for e in block.events() { b.append(e) }
            for coding in [EventBlockBuilder.TimestampCoding.planes, .values] {
                try Data(b.encode(coding)).write(to: URL(fileURLWithPath: "\(args[2])/block-\(k)"))
                k += 1
            }
            return true
        }
    }

case "gen-analysis":
    // gen-analysis DIR TRACE...: the traces as recipes of the analysis fuzz target (stretches of
    // their events, each with other analysis choices), and its hand-made recipes.
    for path in args[3...] {
        let name = URL(fileURLWithPath: path).lastPathComponent
        for (k, recipe) in try AnalysisSeeds.recipes(of: TraceReader(path: path)).enumerated() {
            try Data(recipe).write(to: URL(fileURLWithPath: "\(args[2])/\(name)-\(k)"))
        }
    }
    for (name, recipe) in AnalysisSeeds.examples { try Data(recipe).write(to: URL(fileURLWithPath: "\(args[2])/\(name)")) }

case "patterns":
    try PatternBench.run()

case "gen-boot":
    // gen-boot EVENTS PATH [SEED] [KERNEL_MS] [LABEL=VALUE]
    let labels = args.count > 6 ? [String(args[6].split(separator: "=")[0])].map { ($0, String(args[6].dropFirst($0.count + 1))) } : []
    try Generators.boot(
        events: Int(args[2])!, path: args[3], seed: args.count > 4 ? UInt64(args[4])! : 1,
        kernelMs: args.count > 5 ? Double(args[5])! : 300,
        labels: labels)

case "gen-unregistered":
    // gen-unregistered EVENTS PATH [SEED]
    try DiffGenerators.unregistered(events: Int(args[2])!, path: args[3], seed: args.count > 4 ? UInt64(args[4])! : 1)

case "gen-guest":
    // gen-guest EVENTS PATH SEED
    try DiffGenerators.guest(events: Int(args[2])!, path: args[3], seed: UInt64(args[4])!)

case "gen-console":
    // gen-console LINES PATH [changed | printk SEED]
    if args.count > 5 && args[4] == "printk" {
        try DiffGenerators.printkConsole(lines: Int(args[2])!, path: args[3], seed: UInt64(args[5])!)
    } else {
        try DiffGenerators.console(lines: Int(args[2])!, path: args[3], changed: args.count > 4 && args[4] == "changed")
    }

case "gen-chlog":
    _ = FileManager.default.createFile(atPath: args[3], contents: nil)
    try Generators.chLog(lines: Int(args[2])!, path: args[3])

case "gen-perf":
    _ = FileManager.default.createFile(atPath: args[3], contents: nil)
    try Generators.perfScript(lines: Int(args[2])!, path: args[3])

default:
    print("unknown benchmark \(args[1])")
    exit(2)
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
