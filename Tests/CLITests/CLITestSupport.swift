import Foundation
import Synchronization

/// The built `porttrace` binary, next to the test bundle.
func porttraceBinary() -> String {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("porttrace").path,
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/porttrace").path,
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
}

struct RunResult {
    var status: Int32
    var stdout: Data
    var stderr: String
    var out: String { String(decoding: stdout, as: UTF8.self) }
}

@discardableResult
func porttrace(_ args: [String], environment: [String: String] = [:], stdin: Data? = nil, directory: String? = nil) throws -> RunResult {
    try runProcess(porttraceBinary(), args, environment: environment, stdin: stdin, directory: directory)
}

/// Runs a program to its end with both pipes drained; `environment` adds to this process's.
@discardableResult
func runProcess(
    _ executable: String, _ args: [String], environment: [String: String] = [:], stdin: Data? = nil, directory: String? = nil
) throws -> RunResult {
    let p = Process()
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let input = Pipe()
    p.standardInput = input
    try p.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    // Read both pipes concurrently so neither fills up.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return RunResult(status: p.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
}

/// A new folder under the temporary directory, removed when the test process exits (all of
/// them, whatever test made them; a test that wants one gone sooner removes it itself).
func tempDir() -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-cli-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    madeDirectories.withLock { made in
        if made.isEmpty {
            atexit {
                for dir in madeDirectories.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: dir) }
            }
        }
        made.append(d)
    }
    return d
}

private let madeDirectories = Mutex<[String]>([])

/// A file to send an output the test does not read. Never a path under `/dev`: outputs there are
/// the machine's own devices, and a test must not write to (or replace) them.
func scratchOutput(_ name: String = "discarded.out") -> String { tempDir() + "/" + name }

/// A trace with every kind of event the devices care about, written by `import`.
func goldenInput() -> String {
    var lines = [
        #"{"header":{"vmm_start_ns":1000000,"vm_start_ns":2000000,"vcpus":2,"vmm_pid":77,"wallclock_anchor":{"realtime_ns":1705314645000000000,"monotonic_ns":0},"devices":[{"model":"debug-port","port":128,"length":1},{"model":"debug-console","port":233,"length":1},{"model":"firmware-debug","port":1026,"length":1},{"model":"serial","port":1016,"length":8}]}}"#
    ]
    var t: UInt64 = 2_000_000
    for (i, delta) in [UInt64(0), 999_000, 500_000_000, 1_000_000_000, 1_500_000_000, 61_000_000_000, 1_001_000_000_000].enumerated() {
        let code = [0x1f, 0x20, 0x3f, 0x40, 0x5f, 0x60, 0xff][i]
        lines.append(
            #"{"t_ns":\#(2_000_000 + delta),"vcpu":\#(i % 2),"port":128,"dir":"out","size":1,"count":1,"data":"\#(String(format: "%02x", code))"}"#
        )
        t = 2_000_000 + delta
    }
    t += 1000
    lines.append(#"{"t_ns":\#(t),"vcpu":0,"port":233,"dir":"out","size":1,"count":3,"data":"1b5b41"}"#)
    lines.append(#"{"t_ns":\#(t + 1),"vcpu":0,"port":1026,"dir":"out","size":1,"count":1,"data":"41"}"#)
    lines.append(#"{"t_ns":\#(t + 2),"vcpu":1,"port":1016,"dir":"out","size":1,"count":1,"data":"42"}"#)
    lines.append(#"{"t_ns":\#(t + 3),"vcpu":1,"port":128,"dir":"out","size":2,"count":1,"data":"7f80"}"#)
    lines.append(#"{"t_ns":\#(t + 4),"vcpu":1,"port":128,"dir":"in","size":1,"count":1,"data":"00"}"#)
    lines.append(#"{"t_ns":\#(t + 5),"vcpu":1,"port":1026,"dir":"in","size":1,"count":1,"data":"e9"}"#)
    lines.append(#"{"t_ns":\#(t + 6),"vcpu":1,"port":1021,"dir":"in","size":1,"count":1,"data":"00"}"#)
    return lines.joined(separator: "\n") + "\n"
}

/// Whether this build has `run` and `record` (Linux, with the KVMCapture trait, which is on by default).
#if os(Linux) && KVMCapture
let captureBuilt = true
#else
let captureBuilt = false
#endif
