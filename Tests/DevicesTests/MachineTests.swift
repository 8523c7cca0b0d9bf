import Foundation
import Testing
import TraceFormat

@testable import Devices

/// A machine with memory sinks, for a release.
func machine(
    _ tag: String, verbosity: Int = 0, console: UInt16? = 0xe9, template: String? = nil,
    anchor: (UInt64, UInt64)? = nil, timeZone: String = "UTC"
) throws -> DebugMachine {
    let profile = Profile(Release(tag: tag)!)
    let log = ByteSink.memory()
    let sinks = MachineSinks(log: log, debugConsole: .memory(), firmwareDebug: .memory(), serial: .memory())
    let formatter = try LogFormatter(
        profile: profile, template: template, loggerOrigin: 0, anchor: anchor.map { ($0.0, $0.1) },
        pid: 4242, tids: [4243], timeZone: TimeZone(identifier: timeZone)!)
    let deviceLog = DeviceLog(formatter: formatter, maxLevel: profile.maxLevel(verbosity: verbosity), sink: log)
    return try DebugMachine(
        configuration: MachineConfiguration(
            profile: profile, vmOrigin: 0,
            debugConsolePort: profile.hasDebugConsole ? console : nil),
        log: deviceLog, sinks: sinks)
}

extension DebugMachine {
    func out(_ t: UInt64, _ port: UInt16, _ bytes: [UInt8], vcpu: UInt32 = 0) {
        bytes.withUnsafeBytes { write(timestamp: t, vcpu: vcpu, port: port, length: bytes.count, data: $0) }
    }
    func input(_ t: UInt64, _ port: UInt16, size: Int = 1) -> [UInt8]? {
        var b = [UInt8](repeating: 0xAA, count: size)
        let defined = b.withUnsafeMutableBytes { read(timestamp: t, vcpu: 0, port: port, into: $0) }
        return defined ? b : nil
    }
    var logText: String { String(decoding: sinks.log.captured, as: UTF8.self) }
}

@Suite struct MachineTests {
    /// The reference's section 4.6 example lines, one per era.
    @Test(arguments: [
        ("v0.2.0", 3, "cloud-hypervisor: 1.5s: DEBUG:vmm/src/vm.rs:527 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds\n"),
        ("v0.13.0", 2, "cloud-hypervisor: 1.5s: <vcpu0> DEBUG:vmm/src/vm.rs:384 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds\n"),
        ("v20.0", 1, "cloud-hypervisor: 1.5s: <vcpu0> INFO:vmm/src/vm.rs:385 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds\n"),
        (
            "v24.0", 0,
            "cloud-hypervisor: 1.5s: <vcpu0> WARN:devices/src/legacy/debug_port.rs:76 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds\n"
        ),
        (
            "v29.0", 0,
            "cloud-hypervisor: 1.500000s: <vcpu0> WARN:devices/src/legacy/debug_port.rs:76 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds\n"
        ),
        (
            "v32.1", 0,
            "cloud-hypervisor: 1.500000s: <vcpu0> WARN:devices/src/legacy/debug_port.rs:76 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds\r\n"
        ),
        (
            "v42.0", 0,
            "cloud-hypervisor: 1.500000s: <vcpu0> WARN:devices/src/legacy/debug_port.rs:77 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds\r\n"
        ),
        (
            "v49.0", 0,
            "cloud-hypervisor:   1.500000s: <vcpu0> WARN:devices/src/legacy/debug_port.rs:77 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds\r\n"
        ),
        (
            "v52.0", 0,
            "cloud-hypervisor:   1.500000s: <vcpu0> WARN:devices/src/legacy/debug_port.rs:78 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds\r\n"
        ),
        (
            "v53.0", 0,
            "cloud-hypervisor:   1.500000s: <vcpu0> WARN:devices/src/legacy/debug_port.rs:74 -- [Debug I/O port: Kernel code 0x41] 1.1500000 seconds\r\n"
        ),
    ])
    func debugPortLinePerEra(tag: String, verbosity: Int, expected: String) throws {
        let m = try machine(tag, verbosity: verbosity)
        m.out(1_500_000_000, 0x80, [0x41])
        #expect(m.logText == expected)
        // One level less verbose hides it where the release logged below WARN.
        let quiet = try machine(tag, verbosity: max(0, verbosity - 1))
        quiet.out(1_500_000_000, 0x80, [0x41])
        #expect(quiet.logText == (verbosity == 0 ? expected : ""))
    }

    @Test func wideWritesToDebugPort() throws {
        // Era A: a 2-byte write is not logged as a code, but falls to the empty bus (v0.12+).
        let a = try machine("v20.0", verbosity: 1)
        a.out(1_000, 0x80, [0x41, 0x00])
        #expect(a.logText == "cloud-hypervisor: 1µs: <vcpu0> WARN:vmm/src/vm.rs:471 -- Guest PIO write to unregistered address 0x80\n")
        // Era B: any size, first byte.
        let b = try machine("v53.0")
        b.out(1_000, 0x80, [0x42, 0x00, 0x00, 0x00])
        #expect(
            b.logText
                == "cloud-hypervisor:   0.000001s: <vcpu0> WARN:devices/src/legacy/debug_port.rs:74 -- [Debug I/O port: Kernel code 0x42] 0.000001 seconds\r\n"
        )
        // v0.11.0: even a 1-byte write warns after the code line.
        let c = try machine("v0.11.0", verbosity: 2)
        c.out(2_000_000, 0x80, [0x01])
        #expect(
            c.logText == """
                cloud-hypervisor: 2ms: DEBUG:vmm/src/vm.rs:367 -- [Debug I/O port: Firmware code 0x1] 0.002000 seconds
                cloud-hypervisor: 2ms: WARN:vmm/src/vm.rs:428 -- Guest PIO write to unregistered address 0x80\n
                """)
    }

    @Test func reads() throws {
        let m = try machine("v53.0", verbosity: 1)
        #expect(m.input(5, 0x80) == nil)
        #expect(m.input(6, 0x402) == [0xe9])
        #expect(m.input(7, 0x402, size: 2) == nil)
        #expect(m.input(8, 0xe9) == nil)
        #expect(m.input(9, 0x1234, size: 2) == [0xff, 0xff])
        #expect(m.input(10, 0x61) == [0x20])
        #expect(
            m.logText == """
                cloud-hypervisor:   0.000000s: <vcpu0> ERROR:devices/src/legacy/debug_port.rs:67 -- Invalid read to debug port\r
                cloud-hypervisor:   0.000000s: <vcpu0> ERROR:devices/src/legacy/fwdebug.rs:32 -- Invalid read size on debug port: 2\r
                cloud-hypervisor:   0.000000s: <vcpu0> INFO:vmm/src/vm.rs:500 -- Guest PIO read from unregistered address 0x1234\r\n
                """)
        let old = try machine("v0.13.0")
        #expect(old.input(9, 0x1234) == nil)
        #expect(old.logText == "cloud-hypervisor: 9ns: <vcpu0> WARN:vmm/src/vm.rs:434 -- Guest PIO read to unregistered address 0x1234\n")
    }

    @Test func consolesAndStringIO() throws {
        let m = try machine("v53.0")
        m.out(1, 0xe9, Array("hello\n".utf8))  // rep outsb: one exit, all bytes
        m.out(2, 0xe9, [0x41, 0x42])  // a 2-byte out writes both bytes
        m.out(3, 0x402, [0x68])
        m.out(4, 0x402, [0xe9])  // Latin-1 widened to UTF-8
        m.out(5, 0x402, [0x61, 0x62, 0x63])  // rep outsb to 0x402: only the error
        #expect(m.sinks.debugConsole.captured == Array("hello\nAB".utf8))
        #expect(m.sinks.firmwareDebug.captured == [0x68, 0xC3, 0xA9])
        #expect(
            m.logText
                == "cloud-hypervisor:   0.000000s: <vcpu0> ERROR:devices/src/legacy/fwdebug.rs:40 -- Invalid write size on debug port: 3\r\n"
        )
    }

    @Test func serialRegisters() throws {
        let m = try machine("v53.0")
        #expect(m.input(0, 0x3fd) == [0x60])  // LSR: transmitter empty
        #expect(m.input(0, 0x3fb) == [0x03])  // LCR default
        m.out(0, 0x3fb, [0x83])  // DLAB on
        m.out(0, 0x3f8, [0x01])  // divisor low, not transmitted
        #expect(m.input(0, 0x3f8) == [0x01])
        m.out(0, 0x3fb, [0x03])
        m.out(0, 0x3ff, [0x5a])
        #expect(m.input(0, 0x3ff) == [0x5a])  // scratch
        m.out(0, 0x3f9, [0xff])
        #expect(m.input(0, 0x3f9) == [0x0f])  // IER keeps 4 bits
        #expect(m.input(0, 0x3fa) == [0xc1])  // IIR: none, FIFO bits
        m.out(0, 0x3f8, Array("ok".utf8))  // 2 bytes at once: ignored
        m.out(0, 0x3f8, [0x6f])
        #expect(m.input(0, 0x3fa) == [0xc2])  // THR empty pending (IER bit 1)
        #expect(m.input(0, 0x3fa) == [0xc1])  // and cleared by the read
        m.out(0, 0x3fc, [0x10])  // loopback
        m.out(0, 0x3f8, [0x77])
        #expect(m.input(0, 0x3fd) == [0x61])
        #expect(m.input(0, 0x3f8) == [0x77])
        #expect(m.sinks.serial.captured == [0x6f])
    }

    /// Every register's reset value and the loopback behaviour, as cloud-hypervisor's serial device
    /// has them (reference 6, and its own serial unit tests): MSR reads 0xB0 in every mode, and a
    /// looped-back byte raises no THR-empty interrupt.
    @Test func serialRegistersAsCloudHypervisorHasThem() throws {
        let m = try machine("v53.0")
        let reset: [(UInt16, UInt8, String)] = [
            (0x3f9, 0x00, "IER"), (0x3fa, 0xc1, "IIR"), (0x3fb, 0x03, "LCR"), (0x3fc, 0x08, "MCR"), (0x3fd, 0x60, "LSR"),
            (0x3fe, 0xb0, "MSR"), (0x3ff, 0x00, "SCR"), (0x3f8, 0x00, "RBR, nothing received"),
        ]
        for (port, value, name) in reset { #expect(m.input(0, port) == [value], "\(name)") }
        m.out(0, 0x3fb, [0x83])
        #expect(m.input(0, 0x3f8) == [12], "divisor latch low: 12 (9600 baud)")
        #expect(m.input(0, 0x3f9) == [0], "divisor latch high")
        m.out(0, 0x3fb, [0x03])
        m.out(0, 0x3f9, [0x03])  // receive and THR interrupts on
        m.out(0, 0x3fc, [0x1f])  // loopback, with DTR, RTS, OUT1 and OUT2 set
        #expect(m.input(0, 0x3fe) == [0xb0], "MSR is fixed in loopback too")
        m.out(0, 0x3f8, [0x41])
        #expect(m.input(0, 0x3fa) == [0xc4], "only the receive interrupt is pending")
        #expect(m.input(0, 0x3fd) == [0x61])
        #expect(m.input(0, 0x3f8) == [0x41])
        #expect(m.input(0, 0x3fd) == [0x60])
        #expect(m.sinks.serial.captured.isEmpty)
        m.out(0, 0x3fc, [0x08])
        m.out(0, 0x3f8, [0x42])
        #expect(m.input(0, 0x3fa) == [0xc2], "THR empty after a byte sent out")
        #expect(m.sinks.serial.captured == [0x42])
        // The 64-byte loopback queue drops what does not fit.
        m.out(0, 0x3fc, [0x10])
        for b in 0..<70 { m.out(0, 0x3f8, [UInt8(b)]) }
        var received: [UInt8] = []
        while m.input(0, 0x3fd)?.first.map({ $0 & 1 == 1 }) == true { received += m.input(0, 0x3f8)! }
        #expect(received == Array(0..<64))
    }

    /// The other devices' read values (reference 6): i8042, ACPI shutdown, the debug ports.
    @Test func otherDevicesReadAsCloudHypervisorsDo() throws {
        let m = try machine("v53.0")
        #expect(m.input(0, 0x61) == [0x20], "i8042 port 0x61")
        #expect(m.input(0, 0x64) == [0x00], "i8042 status")
        #expect(m.input(0, 0x62) == nil, "i8042: other ports untouched")
        #expect(m.input(0, 0x600, size: 4) == [0, 0, 0, 0], "ACPI shutdown reads zeros")
        #expect(m.input(0, 0x402) == [0xe9], "fwdebug reads 0xe9")
        #expect(m.input(0, 0x80) == nil, "0x80 reads leave the buffer")
        #expect(m.input(0, 0xe9) == nil, "the debug console's reads leave the buffer")
        #expect(
            m.input(0, 0x70) == nil && m.input(0, 0xcf8, size: 4) == nil && m.input(0, 0x608, size: 4) == nil,
            "CMOS, PCI configuration and the PM timer: the recorded value stands")
    }

    @Test func busRefusesOverlapsAndEmptyRanges() {
        let bus = PortBus()
        #expect(throws: BusError.self) { try bus.insert(PassiveDevice(name: "a"), base: 0x10, length: 0) }
        #expect(throws: BusError.self) { try bus.insert(PassiveDevice(name: "a"), base: 0xfffe, length: 4) }
        #expect(throws: Never.self) { try bus.insert(PassiveDevice(name: "a"), base: 0x10, length: 4) }
        #expect(throws: BusError.overlap(device: "b", with: "a", port: 0x13)) {
            try bus.insert(PassiveDevice(name: "b"), base: 0x13, length: 1)
        }
        #expect(bus.lookup(0x12)?.offset == 2)
        #expect(bus.lookup(0x14) == nil)
    }

    @Test func templateTokens() throws {
        let m = try machine(
            "v53.0", template: "{wallclock} {glog} {pid} {tid} {thread} {levelchar} {year}-{month}-{day} {offset} {{x}} {msg}",
            anchor: (1_705_314_645_000_000_000, 0))
        m.out(123_456_789, 0x80, [0x7f])
        #expect(
            m.logText
                == "2024-01-15T10:30:45.123456Z 0115 10:30:45.123456 4242 4243 vcpu0 W 2024-01-15 +00:00 {x} [Debug I/O port: Userspace code 0x7f] 0.123456 seconds\r\n"
        )
    }

    @Test func localTokensFollowTheTimeZoneAndUTCTokensDoNot() throws {
        let m = try machine(
            "v53.0",
            template:
                "{localyear}-{localmonth}-{localday} {localhour}:{localminute}:{localsecond}.{localmicros}{localoffset} | {hour}{offset}",
            anchor: (1_705_314_645_000_000_000, 0), timeZone: "Asia/Tokyo")
        m.out(123_456_789, 0x80, [0x7f])
        #expect(m.logText == "2024-01-15 19:30:45.123456+09:00 | 10+00:00\r\n")
    }

    @Test func guestInputNeverTraps() throws {
        var rng = SeededGenerator()
        for tag in ["v0.2.0", "v0.10.0", "v23.1", "v24.0", "v53.0"] {
            let m = try machine(tag, verbosity: 3)
            for i in 0..<5000 {
                let port = [
                    0x80, 0xe9, 0x402, 0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x61, 0x64, 0x70, 0x600,
                    UInt16.random(in: 0...0xffff, using: &rng),
                ].randomElement(using: &rng)!
                let n = [1, 2, 4, 7].randomElement(using: &rng)!
                if Bool.random(using: &rng) {
                    m.out(UInt64(i), port, (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) })
                } else if let value = m.input(UInt64(i), port, size: n) {
                    #expect(value.count == n, "seed \(rng.seed)")
                }
            }
            // Every access was handled or counted: nothing trapped, and the log holds whole lines.
            #expect(m.logText.isEmpty || m.logText.utf8.last == 0x0a, "seed \(rng.seed)")
        }
    }
}
