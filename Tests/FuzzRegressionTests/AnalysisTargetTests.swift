import Analysis
import Devices
import Foundation
import Testing
import TraceFormat

@testable import FuzzTargets

let checkedInTraces: [String] = {
    let dir = regressions.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("traces")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(".pt") }.sorted().map { dir.appendingPathComponent($0).path }
}()

/// The `analysis` target's recipes: what its seeds decode to, and that every analysis runs on
/// them without a trap.
@Suite struct AnalysisTargetTests {
    /// A trace written as a recipe reads back as the same header values and the same events
    /// (the seeds start the fuzzer from real boots, so the two directions must agree).
    @Test(arguments: checkedInTraces) func aTraceAsARecipeDecodesToItsEvents(_ path: String) throws {
        let reader = try TraceReader(path: path)
        let (events, _) = try reader.readAll()
        let recipes = try AnalysisSeeds.recipes(of: reader, count: 2, maxBytes: 20_000)
        #expect(!recipes.isEmpty)
        let decoded = TraceRecipe(recipes[0])
        #expect(!decoded.events.isEmpty)
        // Every event but marker texts over a recipe's 255 bytes comes back as it was.
        let cut = events.prefix(decoded.events.count).map { e -> PortIOEvent in
            guard case .marker(var m) = e.payload else { return e }
            m.text = AnalysisSeeds.cut(m.text, 255)
            m.name = AnalysisSeeds.cut(m.name, 64)
            return .marker(at: e.timestamp, vcpu: e.vcpu, m)
        }
        #expect(decoded.events == Array(cut))
        let md = reader.metadata
        #expect(decoded.metadata.vmStartNs == md.vmStartNs)
        #expect(decoded.metadata.vmmStartNs == md.vmmStartNs)
        #expect(decoded.metadata["profile"] == md["profile"])
        #expect(DeviceMap(metadata: decoded.metadata) == DeviceMap(metadata: md))
        #expect(decoded.metadata.labels.map(\.0) == md.labels.map(\.0))
        #expect(decoded.metadata.wallclockAnchor?.realtimeNs == md.wallclockAnchor?.realtimeNs)
        // The stretch starts where the trace does, so its timeline is the trace's up to there.
        #expect(decoded.events.first?.timestamp == events.first?.timestamp)
    }

    /// The analysis choices of the seeds decode to the options they stand for.
    @Test func presetChoicesDecodeToTheirOptions() {
        var w = FuzzBytesWriter()
        AnalysisSeeds.choices(.options, &w)
        var r = FuzzBytes(w.bytes)
        let c = AnalysisChoices(&r, labelKeys: [])
        #expect(r.isAtEnd)
        #expect(c.mark == "m=Linux version")
        #expect(c.phase == "p=0x10..m")
        #expect(c.interval == "p=start..end")
        #expect(c.codes == "0x00-0x7f")
        #expect(c.release.tag == "v38.0")
        #expect(c.tolerance == "5%,200us")
        #expect(c.threshold == 0.05)
        let o = c.timelineOptions()
        #expect(o.marks.map(\.name) == ["m"])
        #expect(o.phases.count == 1 && o.intervals.count == 1)

        var m = FuzzBytesWriter()
        AnalysisSeeds.choices(.marks, &m)
        var rm = FuzzBytes(m.bytes)
        let marks = AnalysisChoices(&rm, labelKeys: [])
        #expect(marks.timelineOptions().markSet?.name == "linux")
        #expect(marks.window.from == 0 && marks.window.to == .max)
    }

    /// The hand-made recipes hold what they are named for.
    @Test func examplesReachTheExtremes() throws {
        let examples = Dictionary(uniqueKeysWithValues: AnalysisSeeds.examples.map { ($0.name, $0.bytes) })
        let extremes = TraceRecipe(try #require(examples["extremes"]))
        #expect(extremes.events.contains { $0.timestamp == .max })
        #expect(extremes.events.contains { $0.vcpu == TraceLimits.maxVCPUs })
        #expect(extremes.events.contains { $0.timestamp == 0 })
        #expect(TraceRecipe(try #require(examples["extremes-unchecked"])).flags.contains(.unchecked))
        let boot = TraceRecipe(try #require(examples["boot-marks"]))
        #expect(boot.events.contains { $0.shape?.port == 0xe9 && ($0.shape?.count ?? 0) > 1 })
    }

    /// A boot's recipe reaches every analysis: the traces are written, their timelines have the
    /// boot's steps and marks, and the diff, the release comparison and the export answer.
    @Test func aBootRecipeReachesEveryAnalysis() throws {
        let examples = Dictionary(uniqueKeysWithValues: AnalysisSeeds.examples.map { ($0.name, $0.bytes) })
        for name in ["boot-marks", "boot-options", "boot-releases"] {
            let recipe = TraceRecipe(try #require(examples[name]))
            let a = try #require(recipe.write(recipe.events, metadata: recipe.metadata, name: "a.pt", leaveOpen: false))
            let m = recipe.choices.mutation
            let b = try #require(
                recipe.write(m.events(recipe.events), metadata: m.metadata(recipe.metadata), name: "b.pt", leaveOpen: false))
            let options = recipe.choices.timelineOptions()
            let t = try TimelineBuilder.build(reader: TraceReader(bytes: a, name: "a.pt"), options: options)
            #expect(t.postSteps.count >= 6, "\(name)")
            #expect(!t.consoleLines.isEmpty, "\(name)")
            if name == "boot-marks" { #expect(t.phaseSource != .postCodes) }
            if name == "boot-options" { #expect(t.steps.contains { $0.isMark }) }
            let d = try TraceDiff.compare(a: .memory(a, name: "a.pt"), b: .memory(m.bytes(b), name: "b.pt"), options: options)
            #expect(!DiffReport.render(d, format: .json, color: false).isEmpty)
            let groups = try ReleaseComparison.groups(
                source: .memory(a, name: "a.pt"), releases: try ReleaseComparison.releases(recipe.choices.releaseRange).get())
            #expect(!groups.groups.isEmpty)
            #expect(try TraceSource.memory(a, name: "a.pt").open().metadata.labels.map(\.0) == ["board", "run"])
            let boots = TableExport(table: .boots, format: .jsonl).rows(of: t, key: "a")
            #expect(boots.contains(#""labels":{"board""#), "\(boots)")
        }
    }

    /// The seeds and a few inputs of nothing but zeros or ones run through the target.
    @Test func seedsRunThroughTheTarget() throws {
        var inputs = AnalysisSeeds.examples.map(\.bytes)
        inputs.append(contentsOf: [[], [0], [UInt8](repeating: 0xff, count: 64), [UInt8](repeating: 0, count: 300)])
        for path in checkedInTraces {
            inputs.append(contentsOf: try AnalysisSeeds.recipes(of: TraceReader(path: path), count: 1, maxBytes: 4000))
        }
        for input in inputs { input.withUnsafeBytes { FuzzTarget.analysis.run($0) } }
    }

    /// The importers run in memory: what they write reads back, with no file left behind.
    @Test func importersRunInMemory() throws {
        let log = Array(
            "cloud-hypervisor: 19.762449ms: <vcpu0> DEBUG:vmm/src/vm.rs:510 -- [Debug I/O port: Firmware code 0x0] 0.019004 seconds\n"
                .utf8)
        let jsonl = Array(
            #"{"t_ns":1000,"vcpu":0,"port":128,"dir":"out","size":1,"count":1,"data":"01"}"#.utf8 + [0x0a])
        log.withUnsafeBytes { FuzzTarget.chLog.run($0) }
        jsonl.withUnsafeBytes { FuzzTarget.jsonl.run($0) }
        let scratch = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let left = (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []
        #expect(!left.contains { $0.hasPrefix("porttrace-fuzz-\(ProcessInfo.processInfo.processIdentifier)") })
    }
}
