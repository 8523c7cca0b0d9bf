import Foundation
import FuzzTargets
import Testing

let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz/regressions")

/// Every input that once crashed a fuzz target (`scripts/fuzz` files them under
/// `Fuzz/regressions/<target>/`), run again through the same target in the normal test run,
/// without the fuzzer: it must now return.
@Suite struct FuzzRegressionTests {
    @Test(arguments: FuzzTarget.allCases.filter(\.isAvailable)) func pastCrashesStayFixed(_ target: FuzzTarget) throws {
        let dir = regressions.appendingPathComponent(target.rawValue)
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        for name in files {
            let data = try Data(contentsOf: dir.appendingPathComponent(name))
            data.withUnsafeBytes { target.run($0) }
        }
    }

    /// The checked-in traces, through the trace-file target: the seeds of its corpus read whole.
    @Test func seedTracesRunThrough() throws {
        let traces = regressions.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("traces")
        let names = try FileManager.default.contentsOfDirectory(atPath: traces.path).filter { $0.hasSuffix(".pt") }
        #expect(!names.isEmpty)
        for name in names {
            let data = try Data(contentsOf: traces.appendingPathComponent(name))
            data.withUnsafeBytes { FuzzTarget.traceFile.run($0) }
        }
    }
}
