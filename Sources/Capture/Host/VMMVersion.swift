// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import Foundation

/// The version a VMM binary reports for itself, for the trace header's `vmm_version`, so that
/// reports can group by it and replay can choose the matching cloud-hypervisor release.
public enum VMMVersion {
    /// The first non-empty line `PROGRAM --version` prints within `timeout`, or "" when it fails,
    /// prints nothing or takes longer (it is then killed). The program is found on PATH as
    /// execvp would find it; `/proc/PID/exe` works for a running VMM.
    public static func query(_ program: String, timeout: Duration = .seconds(3)) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [program, "--version"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        do {
            try p.run()
        } catch {
            return ""
        }
        let deadline = ContinuousClock.now + timeout
        while p.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            return ""
        }
        guard p.terminationStatus == 0 else { return "" }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile().prefix(4096), as: UTF8.self)
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty } ?? ""
    }
}

#endif
