import Foundation
import Testing
import TraceFormat

@testable import Devices

/// Replaying a block as runs of same-shape writes must give exactly what event-by-event replay gives.
@Suite struct ReplayRunTests {
    func events(seed: UInt64) -> [PortIOEvent] {
        var rng = SeededGenerator(seed: seed)
        var t: UInt64 = 1_000_000
        var out: [PortIOEvent] = []
        let ports: [UInt16] = [0xe9, 0x80, 0x402, 0x3f8, 0x3fd, 0x1234]
        while out.count < 3000 {
            let port = ports.randomElement(using: &rng)!
            let run = Int.random(in: 1...40, using: &rng)
            let size: UInt8 = [1, 1, 1, 2, 4].randomElement(using: &rng)!
            let vcpu = UInt32.random(in: 0...1, using: &rng)
            let dir: PortDirection = Int.random(in: 0..<8, using: &rng) == 0 ? .in : .out
            for _ in 0..<run {
                t += UInt64.random(in: 1_000...20_000_000, using: &rng)
                out.append(
                    .access(
                        at: t, vcpu: vcpu, port: port, dir, size: size,
                        data: (0..<Int(size)).map { _ in UInt8.random(in: 0x20...0x7e, using: &rng) }))
            }
        }
        return out
    }

    @Test(arguments: ["v0.11.0", "v20.0", "v24.0", "v53.0"])
    func runsEqualEventByEvent(tag: String) throws {
        let list = events(seed: 1)
        var builder = EventBlockBuilder()
        for e in list { builder.append(e) }
        guard case .success(.events(let block)) = builder.encode().withUnsafeBytes({ EventBlock.decode($0) }) else {
            Issue.record("block did not decode")
            return
        }
        let mid = list[list.count / 3].timestamp
        let end = list[2 * list.count / 3].timestamp
        for window in [0...UInt64.max, mid...end] {
            let a = try machine(tag, verbosity: 3)
            let b = try machine(tag, verbosity: 3)
            let runs = ReplayDriver(machine: a)
            let single = ReplayDriver(machine: b)
            runs.window = window
            single.window = window
            runs.feed(block: block)
            block.forEachAccess(
                { t, s, d in single.feed(timestamp: t, shape: s, data: d) },
                marker: { t, v, m in single.feed(timestamp: t, vcpu: v, marker: m) })
            for (x, y) in zip(a.sinks.all, b.sinks.all) { #expect(x.captured == y.captured, "\(tag) \(window)") }
            #expect(runs.report.events == single.report.events)
            #expect(runs.report.divergenceCount == single.report.divergenceCount)
            #expect(!a.sinks.debugConsole.captured.isEmpty || tag != "v53.0")
        }
    }
}
