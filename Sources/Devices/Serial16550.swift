/// cloud-hypervisor's 8250/16550-style UART at 0x3f8 (reference section 6): enough of the
/// register model that transmitted bytes and register reads come out as the real device's.
/// Only 1-byte accesses do anything.
public final class Serial16550: PortDevice {
    public let name = "serial"

    // Register offsets.
    static let data: UInt16 = 0, ier: UInt16 = 1, iir: UInt16 = 2, lcr: UInt16 = 3
    static let mcr: UInt16 = 4, lsr: UInt16 = 5, msr: UInt16 = 6, scratch: UInt16 = 7

    // Bits.
    static let lcrDLAB: UInt8 = 0x80
    static let mcrLoop: UInt8 = 0x10
    static let lsrDataReady: UInt8 = 0x01
    static let ierReceived: UInt8 = 0x01, ierTHREmpty: UInt8 = 0x02
    static let iirNone: UInt8 = 0x01, iirTHREmpty: UInt8 = 0x02, iirReceived: UInt8 = 0x04
    static let iirFIFOBits: UInt8 = 0xC0
    static let rxCapacity = 64

    let sink: ByteSink
    public private(set) var counters = DeviceCounters()

    var divisorLow: UInt8 = 12
    var divisorHigh: UInt8 = 0
    var interruptEnable: UInt8 = 0
    var interruptIdentification: UInt8 = Serial16550.iirNone
    var lineControl: UInt8 = 0x03
    var modemControl: UInt8 = 0x08
    var lineStatus: UInt8 = 0x60
    var modemStatus: UInt8 = 0xB0
    var scratchValue: UInt8 = 0
    var receiveQueue: [UInt8] = []

    public init(sink: ByteSink) { self.sink = sink }

    var dlab: Bool { lineControl & Serial16550.lcrDLAB != 0 }
    var loopback: Bool { modemControl & Serial16550.mcrLoop != 0 }

    func raise(_ bit: UInt8) {
        interruptIdentification &= ~Serial16550.iirNone
        interruptIdentification |= bit
    }

    public func write(offset: UInt16, length: Int, data: UnsafeRawBufferPointer, context: DeviceContext) {
        counters.writes += 1
        guard length == 1, let value = data.first else {
            counters.ignored += 1
            return
        }
        switch offset {
        case Serial16550.data where dlab: divisorLow = value
        case Serial16550.data:
            if loopback {
                // Looped back into the receive queue (64 bytes); no THR-empty interrupt, as in
                // cloud-hypervisor, which raises that only for bytes it sends out.
                if receiveQueue.count < Serial16550.rxCapacity {
                    receiveQueue.append(value)
                    lineStatus |= Serial16550.lsrDataReady
                    if interruptEnable & Serial16550.ierReceived != 0 { raise(Serial16550.iirReceived) }
                }
            } else {
                sink.write(byte: value)
                if interruptEnable & Serial16550.ierTHREmpty != 0 { raise(Serial16550.iirTHREmpty) }
            }
        case Serial16550.ier where dlab: divisorHigh = value
        case Serial16550.ier: interruptEnable = value & 0x0f
        case Serial16550.lcr: lineControl = value
        case Serial16550.mcr: modemControl = value
        case Serial16550.scratch: scratchValue = value
        default: counters.ignored += 1  // FCR, LSR, MSR: nothing to do
        }
    }

    public func read(offset: UInt16, into buffer: UnsafeMutableRawBufferPointer, context: DeviceContext) -> Bool {
        counters.reads += 1
        guard buffer.count == 1 else {
            counters.ignored += 1
            return false
        }
        let value: UInt8
        switch offset {
        case Serial16550.data where dlab: value = divisorLow
        case Serial16550.data:
            interruptIdentification &= ~Serial16550.iirReceived
            if interruptIdentification == 0 { interruptIdentification = Serial16550.iirNone }
            if receiveQueue.count <= 1 { lineStatus &= ~Serial16550.lsrDataReady }
            value = receiveQueue.isEmpty ? 0 : receiveQueue.removeFirst()
        case Serial16550.ier where dlab: value = divisorHigh
        case Serial16550.ier: value = interruptEnable
        case Serial16550.iir:
            value = interruptIdentification | Serial16550.iirFIFOBits
            interruptIdentification = Serial16550.iirNone
        case Serial16550.lcr: value = lineControl
        case Serial16550.mcr: value = modemControl
        case Serial16550.lsr: value = lineStatus
        // Fixed in every mode, loopback included (a physical 16550 would map MCR bits here;
        // cloud-hypervisor's own serial tests assert 0xB0 after enabling loopback).
        case Serial16550.msr: value = modemStatus
        default: value = scratchValue
        }
        buffer[0] = value
        return true
    }
}
