import Devices

/// Pass 2: the text of the lines a report shows, read again from a second replay.
final class LineCapture: OutputObserver {
    /// A shown line is cut here (the rest is counted in the line).
    static let longestShown = 64 * 1024
    private let formatter: LogFormatter
    /// Per output: the lines wanted, sorted and disjoint.
    private let wanted: [[Range<Int>]]
    private var cursor = [0, 0, 0, 0]
    private var index = [0, 0, 0, 0]
    /// The console line being captured, if it is wanted; and how long it really is.
    private var current: [[UInt8]?] = [nil, nil, nil, nil]
    private var currentLength = [0, 0, 0, 0]
    private var atLineStart = [true, true, true, true]
    private(set) var lines: [[Int: [UInt8]]] = [[:], [:], [:], [:]]
    /// Fold repeated debug-port lines as pass 1 did (`RecordKeyer`, masked mode), so the line
    /// numbers agree.
    private let foldsRepeats: Bool
    private var lastCode: UInt8?

    init(formatter: LogFormatter, wanted: [[Range<Int>]], foldsRepeats: Bool = false) {
        self.formatter = formatter
        self.wanted = wanted
        self.foldsRepeats = foldsRepeats
    }

    /// Whether line `i` of `output` is wanted (lines are asked for in order).
    private func wants(_ output: Int, _ i: Int) -> Bool {
        let ranges = wanted[output]
        while cursor[output] < ranges.count && ranges[cursor[output]].upperBound <= i { cursor[output] += 1 }
        return cursor[output] < ranges.count && ranges[cursor[output]].contains(i)
    }

    func record(_ r: LogRecord) {
        if foldsRepeats, case .debugPortCode(let code, _) = r.message {
            if code == lastCode { return }
            lastCode = code
        }
        let i = index[0]
        index[0] += 1
        guard wants(0, i) else { return }
        var bytes: [UInt8] = []
        formatter.write(r, into: &bytes)
        lines[0][i] = bytes
    }

    func console(_ output: Int, _ bytes: [UInt8]) {
        var start = 0
        while start < bytes.count {
            if atLineStart[output] {
                atLineStart[output] = false
                current[output] = wants(output, index[output]) ? [] : nil
                currentLength[output] = 0
            }
            let newline = bytes[start...].firstIndex(of: 0x0a)
            let end = newline ?? bytes.count
            currentLength[output] += end - start
            if current[output] != nil {
                let room = LineCapture.longestShown - current[output]!.count
                current[output]!.append(contentsOf: bytes[start..<min(end, start + max(0, room))])
            }
            if newline != nil {
                endLine(output)
                start = end + 1
            } else {
                start = end
            }
        }
    }

    private func endLine(_ output: Int) {
        if var line = current[output] {
            if currentLength[output] > line.count {
                line += Array(" [... \(currentLength[output] - line.count) more bytes]".utf8)
            }
            lines[output][index[output]] = line
        }
        current[output] = nil
        index[output] += 1
        atLineStart[output] = true
    }

    func blockEnd(events: Int) -> Bool { true }

    func end() {
        for k in 1...3 where !atLineStart[k] { endLine(k) }
    }

    /// What was captured, as the text a report shows.
    var shown: [[Int: String]] { lines.map { $0.mapValues { UnifiedDiff.display($0) } } }
}
