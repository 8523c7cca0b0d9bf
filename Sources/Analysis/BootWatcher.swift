import Devices
import Foundation
import Patterns
import Synchronization
import TraceFormat

/// `--until CODE|MARK`: what ends a boot while it is recorded.
public enum UntilCondition: Sendable, CustomStringConvertible {
    /// A POST code (`0x41`) the release logs.
    case code(UInt8)
    /// The first console line matching a pattern (RE2, matched with control sequences taken out).
    case mark(source: String, pattern: Pattern)

    /// `0xNN` is a POST code; anything else is a mark's pattern.
    public static func parse(_ text: String) throws -> UntilCondition {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            guard let v: UInt8 = ValueSyntax.hex(Substring(text)) else {
                throw AnalysisError.badOption("--until '\(text)': a POST code is 0x00 to 0xff")
            }
            return .code(v)
        }
        guard !text.isEmpty else { throw AnalysisError.badOption("--until: empty pattern") }
        do {
            return .mark(source: text, pattern: try Pattern(text))
        } catch {
            throw AnalysisError.badOption("--until '\(text)': \(error)")
        }
    }

    public var description: String {
        switch self {
        case .code(let c): return "POST code 0x\(String(c, radix: 16))"
        case .mark(let source, _): return "the console line matching '\(source)'"
        }
    }
}

/// Watches a recording as it is made, through the same device models a replay uses (one model,
/// two drivers): the POST codes the release logs and the console lines the devices print, and
/// says when the `--until` condition is met. Fed from the recording thread (or the vCPU threads,
/// one at a time, under the machine's lock); asked from another.
// SAFETY (@unchecked Sendable): `feed` runs on one thread at a time (the recorder's, or a vCPU
// thread holding the built-in machine's lock) and is the only user of `core`, `taps` and
// `machine`; `met` is locked, the only state read from other threads.
public final class BootWatcher: @unchecked Sendable {
    private var core: ReplayCore
    private let taps: [ConsoleTap]
    private let machine: DebugMachine
    private let origin: UInt64
    private let met = FirstReason()

    public let condition: UntilCondition

    /// The devices of `metadata` as `release` has them.
    public init(metadata: TraceMetadata, release: TraceRelease, condition: UntilCondition) throws {
        let built = try AnalysisMachine(metadata: metadata, release: release, path: "the recording")
        machine = built.machine
        origin = TraceLimits.timeOrigin(of: metadata)
        self.condition = condition
        let met = self.met
        if case .code(let wanted) = condition {
            machine.debugPort?.onCode = { _, _, code in
                if code == wanted { met.set("POST code 0x\(String(code, radix: 16))") }
            }
        }
        var taps: [ConsoleTap] = []
        if case .mark(let source, let pattern) = condition {
            for (k, device) in [
                ("debug console", built.sinks.debugConsole), ("firmware debug", built.sinks.firmwareDebug), ("serial", built.sinks.serial),
            ]
            .enumerated() {
                taps.append(
                    ConsoleTap(device: device.0, sink: device.1, output: k + 1, observer: nil) { line in
                        if pattern.matches(line.text) {
                            met.set("\(line.device) printed a line matching '\(source)'")
                        }
                    })
            }
        }
        self.taps = taps
        core = ReplayDriver(machine: machine).state
    }

    /// One access of the recording.
    public func feed(timestamp: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) {
        core.access(timestamp: timestamp, shape: shape, data: data)
        if !taps.isEmpty && shape.direction == .out {
            let t = Int64(bitPattern: timestamp &- origin)
            for tap in taps { tap.collect(time: t, vcpu: shape.vcpu) }
        }
    }

    /// What met the condition, once it was met.
    public var reached: String? { met.value }
}

/// The first reason given, kept under a lock (set on the recording thread, read on another).
final class FirstReason: Sendable {
    private let reason = Mutex<String?>(nil)

    func set(_ s: String) { reason.withLock { $0 = $0 ?? s } }
    var value: String? { reason.withLock { $0 } }
}
