import Devices
import Foundation

/// `porttrace timeline --format svg`: a self-contained SVG in the spirit of `systemd-analyze plot`:
/// a time axis, one bar per phase, a tick per POST step with its code, console lines as labelled
/// ticks, and one lane per vCPU shaded by port-I/O density. Labels that would overlap are left
/// out (the tick stays), so a trace of a million events stays readable.
public enum TimelineSVG {
    static let width = 1200.0
    static let left = 140.0
    static let right = 190.0
    static let rowHeight = 22.0

    public static func render(_ t: BootTimeline) -> String {
        let start = min(0, t.firstEventTime ?? 0, t.steps.first?.time ?? 0)
        let end = max(t.lastEventTime ?? 0, t.bootEnd ?? 0, start + 1)
        let plot = width - left - right
        // In floating point: a bucket's end may lie past the last event, by up to a bucket's width.
        func x(_ ns: Int64) -> Double { left + plot * (Double(ns) - Double(start)) / (Double(end) - Double(start)) }

        let posts = t.steps.filter { $0.code != nil }
        let others = t.steps.filter { $0.code == nil }
        let lines = t.consoleLines
        let lanes = t.activity.vcpus.sorted()
        var y = 58.0
        var body = ""

        // Title and axis.
        body += text(8, 18, "\(t.path) as cloud-hypervisor \(t.release.release)", size: 13, weight: "bold")
        body += text(8, 36, TimelineText.summary(t), size: 12)
        let axisY = y
        body += "<line x1=\"\(f(left))\" y1=\"\(f(axisY))\" x2=\"\(f(width - right))\" y2=\"\(f(axisY))\" stroke=\"#333\"/>\n"
        for (ns, label) in ticks(start: start, end: end) {
            body += "<line x1=\"\(f(x(ns)))\" y1=\"\(f(axisY - 4))\" x2=\"\(f(x(ns)))\" y2=\"\(f(axisY + 4))\" stroke=\"#333\"/>\n"
            body += text(x(ns), axisY - 8, label, size: 10, anchor: "middle")
        }
        y += 14

        // Phases.
        body += text(8, y + 15, "phases", size: 11)
        let colours = ["Firmware": "#e6a23c", "Bootloader": "#67c23a", "Kernel": "#409eff", "Userspace": "#9b59b6", "Custom": "#909399"]
        for p in t.phases {
            let x0 = x(p.start)
            let x1 = max(x(p.end), x0 + 1)
            body +=
                "<rect x=\"\(f(x0))\" y=\"\(f(y))\" width=\"\(f(x1 - x0))\" height=\"\(f(rowHeight - 4))\" fill=\"\(colours[p.component?.rawValue ?? ""] ?? "#999")\"><title>\(escape(p.name)) \(TimeText.span(p.start)) to \(TimeText.span(p.end)) (\(TimeText.span(p.duration)))</title></rect>\n"
            if x1 - x0 > 60 { body += text(x0 + 4, y + 13, "\(p.name) \(TimeText.span(p.duration))", size: 10, fill: "#fff") }
        }
        y += rowHeight + 4

        // POST steps.
        body += text(8, y + 15, "POST codes", size: 11)
        body += tickRow(posts.map { (x($0.time), $0.label + (($0.isBackStep) ? " (back)" : ""), $0.isBackStep ? "#c0392b" : "#222") }, y: y)
        y += rowHeight * 2

        // Marks and console starts.
        if !others.isEmpty {
            body += text(8, y + 15, "marks", size: 11)
            body += tickRow(others.map { (x($0.time), $0.label, "#16a085") }, y: y)
            y += rowHeight * 2
        }

        // Console lines.
        if !lines.isEmpty {
            body += text(8, y + 15, "console lines", size: 11)
            body += tickRow(lines.map { (x($0.time), "\($0.device): \($0.text)", "#555") }, y: y)
            y += rowHeight * 2
        }

        // One lane per vCPU: port-I/O density.
        let width = t.activity.bucketWidth
        let bucketStart = t.activity.start ?? 0
        let peak = max(1, t.activity.lanes.flatMap { $0 }.max() ?? 1)
        for vcpu in lanes {
            body += text(8, y + 13, vcpu == ActivityHistogram.otherVCPUs ? "other vCPUs port I/O" : "vcpu\(vcpu) port I/O", size: 11)
            for (i, c) in t.activity.lane(vcpu).enumerated() where c > 0 {
                let b0 = bucketStart + Int64(i) * width
                let x0 = x(b0)
                let x1 = max(x(b0 + width), x0 + 0.5)
                let opacity = 0.15 + 0.85 * Double(c) / Double(peak)
                body +=
                    "<rect x=\"\(f(x0))\" y=\"\(f(y))\" width=\"\(f(x1 - x0))\" height=\"\(f(rowHeight - 6))\" fill=\"#2c3e50\" fill-opacity=\"\(String(format: "%.2f", opacity))\"><title>\(c) accesses in \(TimeText.span(width)) from \(TimeText.span(b0))</title></rect>\n"
            }
            y += rowHeight
        }

        let height = y + 20
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(Self.width))" height="\(f(height))" viewBox="0 0 \(f(Self.width)) \(f(height))" font-family="sans-serif">
            <rect width="100%" height="100%" fill="#fff"/>
            \(body)</svg>

            """
    }

    /// Ticks at the given positions; a label only where it does not run into the previous one,
    /// alternating two heights.
    static func tickRow(_ items: [(x: Double, label: String, colour: String)], y: Double) -> String {
        var out = ""
        var lastEnd = [-Double.infinity, -Double.infinity]
        var row = 0
        for item in items {
            out +=
                "<line x1=\"\(f(item.x))\" y1=\"\(f(y))\" x2=\"\(f(item.x))\" y2=\"\(f(y + rowHeight - 4))\" stroke=\"\(item.colour)\"><title>\(escape(item.label))</title></line>\n"
            let label = item.label.count > 60 ? String(item.label.prefix(57)) + "..." : item.label
            let textWidth = Double(label.count) * 6.0
            if item.x > lastEnd[row] + 4 {
                out += text(item.x + 2, y + rowHeight + 8 + Double(row) * 12, label, size: 10, fill: item.colour)
                lastEnd[row] = item.x + textWidth
                row = 1 - row
            }
        }
        return out
    }

    /// Round axis ticks: 1, 2 or 5 times a power of ten, about ten of them.
    static func ticks(start: Int64, end: Int64) -> [(Int64, String)] {
        let span = Double(end - start)
        let raw = span / 10
        let power = pow(10, floor(log10(max(raw, 1))))
        let step = Int64([1.0, 2.0, 5.0, 10.0].map { $0 * power }.first { $0 >= raw } ?? power * 10)
        guard step > 0 else { return [] }
        var ticks: [(Int64, String)] = []
        var t = (start / step) * step
        while t <= end && ticks.count < 50 {
            if t >= start { ticks.append((t, TimeText.span(t))) }
            t += step
        }
        return ticks
    }

    static func text(
        _ x: Double, _ y: Double, _ s: String, size: Int, anchor: String = "start", fill: String = "#222", weight: String = "normal"
    ) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\" fill=\"\(fill)\" font-weight=\"\(weight)\">\(escape(s))</text>\n"
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// XML text: the five special characters escaped, and characters XML 1.0 forbids dropped.
    static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || (0xFFFE...0xFFFF).contains(u.value) { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
