import Foundation
import Testing

/// `traces/linux-boot.pt` and `traces/linux-boot-2.pt`: two boots of Debian's 6.1 cloud kernel
/// (same kernel, same command line) under QEMU + SeaBIOS with a serial console only, recorded by
/// `porttrace record` through `scripts/make-linux-trace`, which says how and with what. On the
/// host they were recorded on, KVM cannot deliver INT3, so each boot stops at the kernel's INT3
/// self-test (docs/cloud-hypervisor-notes.md): SeaBIOS, the real-mode setup's six 0x00 writes to
/// port 0x80, then the kernel's console from `Linux version` to `x86/fpu`, and no userspace.
/// Their replays must give back the bytes QEMU itself wrote to its serial and debugcon files.
@Suite struct LinuxBootTraceTests {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("traces")
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let boots = ["linux-boot", "linux-boot-2"]

    @Test(arguments: boots) func replaysToQEMUsOwnFiles(_ name: String) throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try porttrace(["replay", Self.traces.appendingPathComponent("\(name).pt").path, "--out-dir", dir])
        #expect(r.status == 0, "\(r.stderr)")
        for (mine, qemu) in [("serial.out", "\(name).serial.log"), ("firmware-debug.out", "\(name).debugcon.log")] {
            let replayed = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(mine)"))
            let recorded = try Data(contentsOf: Self.golden.appendingPathComponent(qemu))
            #expect(!recorded.isEmpty, "\(qemu) is empty")
            #expect(replayed == recorded, "\(name): \(mine) differs from \(qemu)")
        }
    }

    /// Each recording closed cleanly and is whole; its console holds a real kernel's lines.
    @Test(arguments: boots) func isCompleteWithARealKernelsConsole(_ name: String) throws {
        let path = Self.traces.appendingPathComponent("\(name).pt").path
        let v = try porttrace(["verify", path])
        #expect(v.status == 0, "\(v.stderr)")
        #expect(v.out.contains("closed cleanly"), "\(v.out)")
        let console = try String(decoding: Data(contentsOf: Self.golden.appendingPathComponent("\(name).serial.log")), as: UTF8.self)
        let lines = [
            "\u{1B}c\u{1B}[?7l\u{1B}[2J\u{1B}[0mSeaBIOS (version", "Booting from ROM...", "] Linux version 6.1.0-",
            "] Kernel command line: console=ttyS0 ", "] printk: console [ttyS0] enabled",
        ]
        for line in lines {
            #expect(console.contains(line), "\(name): no '\(line)' on the console")
        }
        // The real-mode setup's I/O delay: six writes of 0x00 to port 0x80, the only POST codes.
        let post = try porttrace(["dump", "--port", "0x80", path])
        #expect(post.status == 0, "\(post.stderr)")
        let writes = post.out.split(separator: "\n").filter { $0.contains(" out ") }
        #expect(writes.count == 6 && writes.allSatisfy { $0.hasSuffix(" 00") }, "\(post.out)")
    }

    /// The two boots ran the same kernel with the same command line (issue 21 diffs them).
    @Test func bothBootsRanTheSameCommandLine() throws {
        let lines = try Self.boots.map { name in
            let info = try porttrace(["info", "--json", Self.traces.appendingPathComponent("\(name).pt").path])
            #expect(info.status == 0, "\(info.stderr)")
            let json = try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any]
            let metadata = json?["metadata"] as? [String: Any]
            return metadata?["vmm_command_line"] as? [String] ?? []
        }
        #expect(lines[0].contains("-kernel"), "\(lines[0])")
        #expect(lines[0] == lines[1])
    }
}
