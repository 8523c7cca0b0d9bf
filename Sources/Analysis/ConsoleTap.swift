import Devices

/// Reads what a console device printed, as it is printed, and cuts it into lines of text
/// (terminal control sequences taken out, `ControlSequenceFilter`) that remember when their
/// first printable byte was written, and by which vCPU. Consumes the memory sink, so memory stays bounded by one
/// line (plus the lines kept); a comparison's observer gets the bytes as they come.
final class ConsoleTap {
    let device: String
    let sink: ByteSink
    /// The output number the observer knows this console by (1, 2, 3).
    let output: Int
    let observer: OutputObserver?
    /// Text of the line being printed; when its first byte and its first printable byte came.
    private var partial: [UInt8] = []
    private var lineOpen = false
    private var partialTime: Int64 = 0
    private var printableTime: Int64?
    private var partialVCPU: UInt32 = 0
    private var filter = ControlSequenceFilter()
    private(set) var firstByteTime: Int64?
    /// When the last line was printed (its first printable byte).
    private(set) var lastLineTime: Int64?
    private(set) var firstByteVCPU: UInt32 = 0
    private let onLine: (ConsoleLine) -> Void
    static let longestLine = 64 * 1024

    init(device: String, sink: ByteSink, output: Int, observer: OutputObserver?, onLine: @escaping (ConsoleLine) -> Void) {
        self.device = device
        self.sink = sink
        self.output = output
        self.observer = observer
        self.onLine = onLine
    }

    /// Takes what the device printed since the last call, all of it written at `time`.
    @inline(__always)
    func collect(time: Int64, vcpu: UInt32) {
        guard sink.bufferedCount > 0 else { return }
        consume(sink.takeCaptured(), times: { _ in time }, vcpu: vcpu)
    }

    /// Takes what a run of same-shape writes printed: byte `k` was written by event `k / bytesPerEvent`.
    func collect(run timestamps: UnsafeBufferPointer<UInt64>, origin: UInt64, bytesPerEvent: Int, vcpu: UInt32) {
        guard sink.bufferedCount > 0 else { return }
        let bytes = sink.takeCaptured()
        consume(
            bytes, times: { k in Int64(bitPattern: timestamps[min(k / max(bytesPerEvent, 1), timestamps.count - 1)] &- origin) }, vcpu: vcpu
        )
    }

    private func consume(_ bytes: [UInt8], times: (Int) -> Int64, vcpu: UInt32) {
        observer?.console(output, bytes)
        if firstByteTime == nil, !bytes.isEmpty {
            firstByteTime = times(0)
            firstByteVCPU = vcpu
        }
        for (k, b) in bytes.enumerated() {
            if b == 0x0a {
                emit()
                continue
            }
            if !lineOpen {
                lineOpen = true
                partialTime = times(k)
                partialVCPU = vcpu
            }
            guard partial.count < ConsoleTap.longestLine else { continue }
            let before = partial.count
            filter.feed(b, into: &partial)
            if printableTime == nil && partial.count > before { printableTime = times(k) }
        }
    }

    private func emit() {
        let time = printableTime ?? partialTime
        lastLineTime = time
        onLine(ConsoleLine(device: device, time: time, text: String(decoding: partial, as: UTF8.self), vcpu: partialVCPU))
        partial.removeAll(keepingCapacity: true)
        lineOpen = false
        printableTime = nil
    }

    /// The last line, if the output did not end with a newline.
    func finish() {
        if lineOpen { emit() }
    }
}
