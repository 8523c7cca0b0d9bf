import Foundation
import Testing
import TraceFormat

@testable import Analysis
@testable import Devices

/// Traces written event by event, for the streamed comparison of outputs.
struct OutputTrace {
    static let vmStart: UInt64 = 2_000_000
    let writer: TraceWriter
    let path: String
    var t: UInt64 = OutputTrace.vmStart

    init(profile: String = "v53.0", name: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-streamed-\(UUID().uuidString)-\(name).pt").path
        var md = TraceMetadata()
        md.vmmStartNs = 1_000_000
        md.vmStartNs = OutputTrace.vmStart
        md["profile"] = .string(profile)
        md["devices"] = .array(
            [("debug-port", 0x80, 1), ("debug-console", 0xe9, 1), ("firmware-debug", 0x402, 1), ("serial", 0x3f8, 8)].map {
                .object([("model", .string($0.0)), ("port", .uint(UInt64($0.1))), ("length", .uint(UInt64($0.2)))])
            })
        writer = try TraceWriter(path: path, metadata: md)
    }

    mutating func out(_ port: UInt16, _ byte: UInt8, gap: UInt64 = 1000) {
        t += gap
        var b = byte
        withUnsafeBytes(of: &b) { writer.append(timestamp: t, shape: EventShape(vcpu: 0, port: port, direction: .out, size: 1), data: $0) }
    }

    mutating func print(_ text: [UInt8], port: UInt16 = 0xe9) {
        for b in text { out(port, b) }
    }

    func close() throws -> String {
        try writer.close(at: t)
        return path
    }
}

/// Console texts written as two traces and compared through the streamed engine.
func compareConsoles(_ a: [UInt8], _ b: [UInt8], masks: OutputMasks = .standard) throws -> TraceDiff {
    var ta = try OutputTrace(name: "a")
    ta.print(a)
    var tb = try OutputTrace(name: "b")
    tb.print(b)
    let pa = try ta.close()
    let pb = try tb.close()
    defer {
        try? FileManager.default.removeItem(atPath: pa)
        try? FileManager.default.removeItem(atPath: pb)
    }
    return try TraceDiff.compare(pathA: pa, pathB: pb, masks: masks)
}

struct StreamedDiffTests {
    /// Fed in random pieces, alternately, the aligner finds a valid script, and a shortest one
    /// when the changes are apart.
    @Test func theAlignerMatchesAOneShotAlignment() {
        var rng = SeededGenerator()
        for round in 0..<300 {
            let a = (0..<Int.random(in: 0...400, using: &rng)).map { UInt64($0) }
            var b = a
            for k in 0..<Int.random(in: 0...12, using: &rng) {
                let at = Int.random(in: 0...b.count, using: &rng)
                switch Int.random(in: 0...2, using: &rng) {
                case 0 where at < b.count: b.remove(at: at)
                case 1: b.insert(UInt64(10_000 + k), at: at)
                default: if at < b.count { b[at] = UInt64(20_000 + k) }
                }
            }
            var al = StreamAligner()
            var i = 0
            var j = 0
            while i < a.count || j < b.count {
                let n = Int.random(in: 0...9, using: &rng)
                if Bool.random(using: &rng) {
                    al.feed(0, Array(a[i..<min(a.count, i + n)]))
                    i = min(a.count, i + n)
                } else {
                    al.feed(1, Array(b[j..<min(b.count, j + n)]))
                    j = min(b.count, j + n)
                }
            }
            al.finish()
            let note = "seed \(rng.seed), round \(round)"
            #expect(al.divergence == nil, "\(note)")
            // Equal runs between the blocks really are equal.
            var x = 0
            var y = 0
            for block in al.blocks {
                #expect(Array(a[x..<block.a.lowerBound]) == Array(b[y..<block.b.lowerBound]), "\(note)")
                x = block.a.upperBound
                y = block.b.upperBound
            }
            #expect(Array(a[x...]) == Array(b[y...]), "\(note)")
            let edits = al.blocks.reduce(0) { $0 + $1.a.count + $1.b.count }
            let shortest = EditScript.align(a, b)!.reduce(0) { $0 + $1.a.count + $1.b.count }
            #expect(edits == shortest, "\(note)")
        }
    }

    /// Lines that repeat (a log of one message) fed with one side far ahead: the script is
    /// still valid, and the lines of the side ahead are never taken as removed while the
    /// other side may still produce them.
    @Test func repeatedLinesWithOneSideAhead() {
        var rng = SeededGenerator()
        for round in 0..<200 {
            let n = Int.random(in: 50...600, using: &rng)
            let a = (0..<n).map { _ in UInt64.random(in: 0..<3, using: &rng) == 0 ? 1 : 0 }.map(UInt64.init)
            var b = a
            for _ in 0..<Int.random(in: 0...4, using: &rng) where !b.isEmpty { b[Int.random(in: 0..<b.count, using: &rng)] = 7 }
            var al = StreamAligner()
            // Side a runs ahead by up to 200 lines.
            let lead = Int.random(in: 0...200, using: &rng)
            al.feed(0, Array(a.prefix(lead)))
            var i = min(lead, a.count)
            var j = 0
            while i < a.count || j < b.count {
                let n = Int.random(in: 1...20, using: &rng)
                al.feed(1, Array(b[j..<min(b.count, j + n)]))
                j = min(b.count, j + n)
                al.feed(0, Array(a[i..<min(a.count, i + n)]))
                i = min(a.count, i + n)
            }
            al.finish()
            var x = 0
            var y = 0
            for block in al.blocks {
                #expect(Array(a[x..<block.a.lowerBound]) == Array(b[y..<block.b.lowerBound]), "seed \(rng.seed), round \(round)")
                x = block.a.upperBound
                y = block.b.upperBound
            }
            #expect(Array(a[x...]) == Array(b[y...]), "seed \(rng.seed), round \(round)")
            // The side ahead never makes the script longer than a shortest one.
            let edits = al.blocks.reduce(0) { $0 + $1.a.count + $1.b.count }
            let shortest = EditScript.align(a, b)!.reduce(0) { $0 + $1.a.count + $1.b.count }
            #expect(edits == shortest, "seed \(rng.seed), round \(round): \(al.blocks)")
        }
    }

    /// A window that outgrows its bound is reported where it began, with the lines after it counted.
    @Test func aWindowPastItsBoundIsReportedNotDropped() {
        var al = StreamAligner(windowLimit: 1000)
        let common = (0..<50).map { UInt64($0) }
        let a = common + (0..<5000).map { UInt64(100_000 + $0) }
        let b = common + (0..<5000).map { UInt64(200_000 + $0 % 7) }
        for start in stride(from: 0, to: a.count, by: 50) {
            al.feed(0, Array(a[start..<min(a.count, start + 50)]))
            al.feed(1, Array(b[start..<min(b.count, start + 50)]))
        }
        al.finish()
        #expect(al.divergence?.a == 50 && al.divergence?.b == 50)
        #expect(al.total == [5050, 5050])
        #expect(al.isDifferent)
    }

    /// The small-scale version of two 10 M-line logs: identical runs are the same; one record
    /// changed in the middle is one hunk at its line numbers, with its real times.
    @Test func oneChangedLogRecordIsOneHunkAtItsLine() throws {
        func trace(_ name: String, changedAt: Int?) throws -> String {
            var t = try OutputTrace(name: name)
            for i in 0..<20_000 { t.out(i == changedAt ? 0x511 : 0x510, 0, gap: 1000 + UInt64(i % 7)) }
            return try t.close()
        }
        let a = try trace("a", changedAt: nil)
        let same = try trace("same", changedAt: nil)
        let changed = try trace("changed", changedAt: 10_000)
        defer { for p in [a, same, changed] { try? FileManager.default.removeItem(atPath: p) } }
        #expect(try TraceDiff.compare(pathA: a, pathB: same).outputs.isEmpty)

        let d = try TraceDiff.compare(pathA: a, pathB: changed)
        let log = try #require(d.outputs.first { $0.name == "vmm log" })
        #expect(log.hunks.filter { $0.hasPrefix("@@") } == ["@@ -9998,7 +9998,7 @@"])
        let removed = try #require(log.hunks.first { $0.hasPrefix("-cloud") })
        let added = try #require(log.hunks.first { $0.hasPrefix("+cloud") })
        // Real lines: the times are printed, the CRLF of v53.0 shows as \r.
        #expect(removed.hasSuffix("Guest PIO write to unregistered address 0x510\\r"))
        #expect(added.hasSuffix("Guest PIO write to unregistered address 0x511\\r"))
        #expect(removed.contains("cloud-hypervisor:   0.01"))
        #expect(log.hunks.count == 2 + 1 + 6 + 2)
    }

    /// The hunks are the ones `diff -u` prints for the same two texts, CR and missing final newline included.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/diff"), "diff is not installed"))
    func consoleHunksAreWhatDiffPrints() throws {
        var rng = SeededGenerator()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-streamed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for round in 0..<12 {
            let count = round < 10 ? Int.random(in: 0...80, using: &rng) : 3000
            let a = (0..<count).map { "line \($0)" + (round % 3 == 1 ? "\r" : "") }
            var b = a
            for k in 0..<Int.random(in: 0...(round < 10 ? 6 : 200), using: &rng) {
                let at = Int.random(in: 0...b.count, using: &rng)
                switch Int.random(in: 0...2, using: &rng) {
                case 0 where at < b.count: b.remove(at: at)
                case 1: b.insert("new \(k)", at: at)
                default: if at < b.count { b[at] = "changed \(k)" }
                }
            }
            let endA = round % 4 == 2 ? "" : "\n"
            let endB = round % 5 == 3 ? "" : "\n"
            let textA = a.joined(separator: "\n") + (a.isEmpty ? "" : endA)
            let textB = b.joined(separator: "\n") + (b.isEmpty ? "" : endB)
            let d = try compareConsoles(Array(textA.utf8), Array(textB.utf8))
            try textA.write(to: dir.appendingPathComponent("a"), atomically: true, encoding: .utf8)
            try textB.write(to: dir.appendingPathComponent("b"), atomically: true, encoding: .utf8)
            let gnu = try runProcess(
                "/usr/bin/diff",
                [
                    "-u", "--label", "a/debug console", "--label", "b/debug console", dir.appendingPathComponent("a").path,
                    dir.appendingPathComponent("b").path,
                ]
            ).utf8.split(separator: 0x0a).map { UnifiedDiff.display($0) }
            // diff shows a CR as itself; the report as the two characters \r (`display`).
            let expected = gnu
            let ours = d.outputs.first { $0.name == "debug console" }?.hunks ?? []
            #expect(ours == expected, "seed \(rng.seed), round \(round)")
        }
    }

    /// Outputs too different to align within the work limit say where alignment stopped and
    /// how many lines follow; the first lines after that point are shown, marked as not aligned.
    @Test func outputsTooDifferentToAlignSaySo() throws {
        var rng = SeededGenerator()
        func text(_ n: Int) -> [UInt8] {
            Array((0..<n).map { _ in "line \(Int.random(in: 0..<4, using: &rng))\n" }.joined().utf8)
        }
        let common = Array((0..<20).map { "same \($0)\n" }.joined().utf8)
        var ta = try OutputTrace(name: "a")
        ta.print(common + text(3000))
        var tb = try OutputTrace(name: "b")
        tb.print(common + text(3000))
        let pa = try ta.close()
        let pb = try tb.close()
        defer { for p in [pa, pb] { try? FileManager.default.removeItem(atPath: p) } }
        let d = try TraceDiff.compare(pathA: pa, pathB: pb, workLimit: 2000)
        #expect(d.isDifferent, "seed \(rng.seed)")
        let console = try #require(d.outputs.first { $0.name == "debug console" }, "seed \(rng.seed)")
        let u = try #require(console.unaligned, "seed \(rng.seed)")
        #expect(u.lineA > 20 && u.restA + u.lineA - 1 == 3020 && u.restB + u.lineB - 1 == 3020, "seed \(rng.seed)")
        #expect(console.hunks.contains { $0.hasSuffix("@@ not aligned from here") })
        #expect(console.notes.first?.contains("not aligned (too different to align within the work limit)") == true)
        let text = DiffReport.render(d, format: .text, color: false)
        #expect(text.contains("outputs diverge from line \(u.lineA) (a) and line \(u.lineB) (b)"))
    }

    /// Masks are a hook: lines that differ only where a mask covers them are the same.
    @Test func aMaskMakesLinesEqualWhereItCovers() throws {
        var masks = OutputMasks()
        masks.add(
            FunctionMask(name: "digits") { line in
                line.indices.filter { (0x30...0x39).contains(line[$0]) }.map { $0..<($0 + 1) }
            }, outputs: [1])
        let a = Array("[ 1.000] booting\n[ 2.000] up\n".utf8)
        let b = Array("[ 7.123] booting\n[ 8.456] up\n".utf8)
        #expect(!(try compareConsoles(a, b)).outputs.isEmpty)
        #expect(try compareConsoles(a, b, masks: masks).outputs.isEmpty)
        // The real lines are what a difference shows.
        let c = Array("[ 7.123] booting\n[ 8.456] down\n".utf8)
        let hunks = try #require(try compareConsoles(a, c, masks: masks).outputs.first).hunks
        #expect(hunks.contains("-[ 2.000] up") && hunks.contains("+[ 8.456] down"))
    }

    /// One trace under two releases goes through the same engine.
    @Test func oneTraceUnderTwoReleases() throws {
        var t = try OutputTrace(name: "r")
        t.out(0x80, 0x01)
        t.print(Array("hello\n".utf8))
        let path = try t.close()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let v53 = TraceRelease(release: Release.latest, source: .flag)
        let v24 = TraceRelease(release: try Release.named("v24.0").get(), source: .flag)
        #expect(try ReleaseComparison.outputDiffs(path: path, a: v53, b: v53).isEmpty)
        let diffs = try ReleaseComparison.outputDiffs(path: path, a: v24, b: v53)
        let log = try #require(diffs.first { $0.name == "vmm log" })
        #expect(log.hunks.filter { $0.contains("Guest PIO write to unregistered address 0xe9") }.count == 6)
        #expect(diffs.contains { $0.name == "debug console" })
    }
}
