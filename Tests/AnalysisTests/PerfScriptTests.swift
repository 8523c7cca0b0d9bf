import Testing

@testable import Analysis

struct PerfScriptTests {
    func parse(_ s: String) -> Result<PerfScriptImport.Line, PerfScriptImport.Failure> {
        Array(s.utf8).withUnsafeBufferPointer { PerfScriptImport.parse($0) }
    }

    /// Lines as perf 6.1 printed them for porttrace's own machine (`perf script`, `-F tid,time,event,trace`, `--ns`),
    /// and QEMU's thread names with spaces.
    @Test func defaultAndSelectedFields() throws {
        let a = try parse("           vcpu0  8825 [001]  2178.047002: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0 ").get()
        #expect(a.comm == "vcpu0" && a.tid == 8825 && a.timestamp == 2_178_047_002_000 && a.out && a.port == 0x80 && a.value == 0)
        let b = try parse(" 8825  2178.047121: kvm:kvm_pio: pio_write at 0x402 size 1 count 1 val 0x66 ").get()
        #expect(b.comm == nil && b.tid == 8825 && b.timestamp == 2_178_047_121_000 && b.value == 0x66)
        let c = try parse("           vcpu0  8825 [001]  2178.047121864: kvm:kvm_pio: pio_write at 0x402 size 1 count 1 val 0x66 ").get()
        #expect(c.timestamp == 2_178_047_121_864)
        let d = try parse(
            "       CPU 1/KVM  3306/3310 [002]  4523.173428:                   kvm:kvm_pio: pio_read at 0x3fd size 1 count 1 val 0x60 "
        ).get()
        #expect(d.comm == "CPU 1/KVM" && d.tid == 3310 && !d.out && d.port == 0x3fd && d.value == 0x60)
        let e = try parse(" 2178.5: kvm:kvm_pio: pio_write at 0xe9 size 1 count 12 val 0x68 (...)").get()
        #expect(e.count == 12 && e.tid == nil && e.comm == nil && e.timestamp == 2_178_500_000_000)
    }

    @Test func otherEventsAndBadLines() {
        #expect(parse("vcpu0 8825 [001] 2178.047002: kvm:kvm_exit: reason IO_INSTRUCTION") == .failure(.notPio))
        #expect(parse("# ========") == .failure(.notPio))
        for bad in [
            "vcpu0 8825 [001] 2178.047002: kvm:kvm_pio: pio_write at 0x80 size one count 1 val 0x0",
            "vcpu0 8825 [001]: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0",
            "vcpu0 8825 [001] soon: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0",
            "vcpu0 8825 kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0",
            "vcpu0 8825 [001] 99999999999.5: kvm:kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0",
        ] {
            guard case .failure(.unreadable) = parse(bad) else {
                Issue.record("read: \(bad)")
                continue
            }
        }
    }

    @Test func clocksAreChecked() {
        #expect(throws: AnalysisError.self) { try PerfScriptImport(clock: "sundial") }
        #expect((try? PerfScriptImport(clock: "mono")) != nil)
    }
}
