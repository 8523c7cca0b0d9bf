import Devices
import Foundation

/// `porttrace timeline --format svg`: a self-contained SVG in the spirit of `systemd-analyze plot`.
/// From the top: what the trace is and its summary; the time axis (linear, with long empty
/// stretches cut out: `TimelineAxis` says why); one bar per phase (overlapping `--phase` phases
/// on rows of their own; an unfinished one hatched and open-ended); a tick per POST step, mark
/// and console line; one lane per vCPU shaded by port-I/O density; a legend; and what was left
/// out.
///
/// Nothing is dropped silently. Phase labels are always drawn: inside their bar when it is wide
/// enough, else in rows of their own below the bars. Step and console-line labels are drawn where
/// there is room and counted where there is not (each tick keeps its text as a tooltip). Ticks
/// that fall on one pixel are drawn as one, whose tooltip counts them, so a boot of a million
/// console lines stays a picture of a few hundred kilobytes.
public enum TimelineSVG {
    /// The picture as a standalone SVG file.
    public static func render(_ t: BootTimeline) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + element(t)
    }

    /// The picture as one `<svg>` element to put in a page: self-contained (no ids, no links,
    /// no script), with every string from the trace escaped.
    public static func element(_ t: BootTimeline) -> String {
        var p = TimelinePicture(t)
        return p.draw()
    }

    /// XML text (kept for callers of the old name; `SVGDrawing.escape` is the one home).
    static func escape(_ s: String) -> String { SVGDrawing.escape(s) }
}

/// One timeline being drawn.
struct TimelinePicture {
    static let componentColours: [String: String] = [
        "Firmware": "#e6a23c", "Bootloader": "#67c23a", "Kernel": "#409eff", "Userspace": "#9b59b6", "Custom": "#909399",
    ]
    /// Colours of phases named by `--phase`, in order of first appearance.
    static let customColours = ["#16a085", "#d35400", "#2e86c1", "#b7950b", "#7d3c98", "#117a65", "#a04000", "#5d6d7e"]
    static let stepColour = "#222"
    static let backStepColour = "#c0392b"
    static let markColour = "#16a085"
    static let consoleStartColour = "#6a9a92"
    static let lineColour = "#666"
    static let densityColour = "#2c3e50"
    static let labelSize = 10.0
    static let laneStep = 12.0
    static let barHeight = 16.0

    let t: BootTimeline
    let posts: [BootStep]
    let others: [BootStep]
    let lines: [ConsoleLine]
    let width: Double
    let left: Double
    let plotRight: Double
    let axis: TimelineAxis
    var canvas = SVGCanvas()
    var y = 0.0
    var phaseColours: [String: String] = [:]
    var phaseOrder: [String] = []
    /// What could not be labelled for want of room, by row.
    var unlabelled: [(row: String, count: Int, of: Int)] = []

    init(_ t: BootTimeline) {
        self.t = t
        let window = t.shownWindow
        func inside(_ time: Int64) -> Bool { window.map { $0.contains(time) } ?? true }
        posts = t.steps.filter { $0.code != nil && inside($0.time) }
        others = t.steps.filter { $0.code == nil && inside($0.time) }
        lines = t.consoleLines.filter { inside($0.time) }

        var start =
            [
                t.originKnown ? 0 : nil, t.firstEventTime, t.steps.first?.time, t.phases.map(\.start).min(), lines.first?.time,
            ].compactMap { $0 }.min() ?? 0
        var end =
            [
                t.lastEventTime, t.bootEnd, t.phases.map(\.end).max(), t.steps.map(\.lastTime).max(), lines.last?.time,
            ].compactMap { $0 }.max() ?? start
        if let window {
            start = max(start, window.lowerBound)
            end = min(end, window.upperBound)
        }
        if end <= start { end = start == .max ? start : start + 1 }

        let titles = ["phases", "POST codes", "marks", "console lines"] + t.activity.vcpus.map(Self.laneTitle)
        left = (titles.map { SVGDrawing.textWidth($0, size: 11) }.max() ?? 80) + 24
        let chain = t.steps.filter(\.inChain).count + t.phases.count
        let plot = min(2100, max(900, 40 * Double(chain)))
        plotRight = left + plot
        width = plotRight + 36

        var items = posts.flatMap { [$0.time, $0.lastTime] } + others.map(\.time) + lines.map(\.time)
        var structure = posts.map(\.time) + others.filter(\.inChain).map(\.time)
        for p in t.phases {
            items += [p.start, p.end]
            structure += [p.start, p.end]
        }
        axis = TimelineAxis(start: start, end: end, x0: left, width: plot, items: items, structure: structure, activity: t.activity)

        for p in t.phases where phaseColours[p.name] == nil {
            phaseOrder.append(p.name)
            if let c = p.component, let colour = Self.componentColours[c.rawValue], p.name == c.rawValue {
                phaseColours[p.name] = colour
            } else {
                let custom = phaseOrder.count - 1
                phaseColours[p.name] =
                    p.component.flatMap { Self.componentColours[$0.rawValue] }
                    ?? Self.customColours[custom % Self.customColours.count]
            }
        }
    }

    static func laneTitle(_ vcpu: UInt32) -> String {
        vcpu == ActivityHistogram.otherVCPUs ? "other vCPUs port I/O" : "vcpu\(vcpu) port I/O"
    }

    func x(_ t: Int64) -> Double { axis.x(t) }

    mutating func draw() -> String {
        y = 8
        header()
        let axisY = y + 18
        drawAxis(at: axisY)
        y = axisY + 22
        let plotTop = y
        phaseRows()
        stepRow(
            title: "POST codes", posts,
            colour: { $0.isBackStep ? Self.backStepColour : Self.stepColour },
            label: { $0.labelWithRepeats + ($0.isBackStep ? " (back-step)" : "") })
        stepRow(
            title: "marks", others, colour: { $0.isMark ? Self.markColour : Self.consoleStartColour },
            label: { s in
                if case .mark(_, let device, let line) = s.kind { return "\(s.label) (\(device): \(line))" }
                return s.label
            })
        consoleRow()
        densityLanes()
        let plotBottom = y
        drawCuts(from: plotTop - 4, to: plotBottom)
        y += 10
        legend()
        leftOut()
        let height = (y + 10).rounded(.up)
        let n = SVGDrawing.number
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" viewBox="0 0 \(n(width)) \(n(height))" font-family="\(SVGDrawing.fontFamily)" data-porttrace="timeline">
            <rect width="100%" height="100%" fill="#fff"/>
            \(canvas.shapes)\(canvas.labels)</svg>

            """
    }

    // MARK: The header

    mutating func header() {
        let room = width - 16
        canvas.text(
            8, y + 13, SVGDrawing.fit("\(t.path) as cloud-hypervisor \(t.release.release)", width: room / 1.1, size: 13),
            size: 13, bold: true, kind: "title")
        y += 18
        var lines: [String]
        if let w = t.shownWindow {
            // The boot's summary would add up clipped phases: say what the window holds instead.
            let from = w.lowerBound == .min ? "the start" : TimeText.span(w.lowerBound)
            let to = w.upperBound == .max ? "the end" : TimeText.span(w.upperBound)
            let phases = t.phases.map { p in
                let notes = [p.start == w.lowerBound || p.end == w.upperBound ? "clipped" : nil, p.unfinished ? "unfinished" : nil]
                    .compactMap { $0 }
                return "\(p.name) \(TimeText.span(p.duration))" + (notes.isEmpty ? "" : " (\(notes.joined(separator: ", ")))")
            }
            lines = Self.wrap(
                "shown: from \(from) to \(to) since the VM started"
                    + (phases.isEmpty ? "; no phase in it" : "; phases in it: " + phases.joined(separator: ", ")), width: room, size: 12)
        } else {
            lines = Self.wrap(TimelineText.summary(t), width: room, size: 12)
        }
        if let note = t.consoleOutlastsTheCodes { lines += Self.wrap("note: " + note, width: room, size: 12) }
        for line in lines {
            canvas.text(8, y + 12, line, size: 12, kind: "summary")
            y += 16
        }
    }

    /// `s` in lines of at most `width` pixels, broken at spaces (a word too long is cut).
    static func wrap(_ s: String, width: Double, size: Double) -> [String] {
        var out: [String] = []
        var line = ""
        for word in s.split(separator: " ", omittingEmptySubsequences: false) {
            let candidate = line.isEmpty ? String(word) : line + " " + word
            if SVGDrawing.textWidth(candidate, size: size) <= width || line.isEmpty {
                line = candidate
            } else {
                out.append(line)
                line = String(word)
            }
        }
        out.append(line)
        return out.map { SVGDrawing.fit($0, width: width, size: size) }
    }

    // MARK: The axis

    mutating func drawAxis(at axisY: Double) {
        let n = SVGDrawing.number
        for p in axis.pieces {
            canvas.shape("<line x1=\"\(n(p.x0))\" y1=\"\(n(axisY))\" x2=\"\(n(p.x1))\" y2=\"\(n(axisY))\" stroke=\"#333\"/>")
        }
        var taken: [LabelBox] = []
        func free(_ b: LabelBox) -> Bool { b.x0 >= 2 && b.x1 <= width - 2 && !taken.contains { $0.overlaps(b) } }
        // The cuts first: a zigzag on the axis and the length cut out, below it.
        for c in axis.cuts {
            let m = (c.x0 + c.x1) / 2
            canvas.shape(
                "<polyline points=\"\(n(c.x0)),\(n(axisY)) \(n(m - 6)),\(n(axisY)) \(n(m - 2)),\(n(axisY - 5)) \(n(m + 2)),\(n(axisY + 5)) \(n(m + 6)),\(n(axisY)) \(n(c.x1)),\(n(axisY))\" fill=\"none\" stroke=\"#333\"/>"
            )
            // Below the axis, in one row: the length cut out, shorter if need be.
            for label in ["cut " + TimeText.span(c.duration), TimeText.span(c.duration)] {
                let w = SVGDrawing.textWidth(label, size: 9)
                let box = LabelBox(x: m - w / 2, baseline: axisY + 14, width: w, size: 9)
                guard free(box) else { continue }
                taken.append(box)
                canvas.text(
                    box.x0, axisY + 14, label, size: 9, fill: "#555", kind: "cut",
                    title: "\(TimeText.span(c.duration)) with nothing in it, from \(TimeText.span(c.start)) to \(TimeText.span(c.end))")
                break
            }
        }
        // Where each piece after a cut resumes, exactly; then round ticks where they fit.
        var ticks: [(time: Int64, label: String, exact: Bool)] = axis.cuts.map { ($0.end, TimeText.span($0.end), true) }
        if let first = axis.pieces.first { ticks.insert((first.start, TimeText.span(first.start), true), at: 0) }
        ticks += axis.ticks().map { ($0.time, $0.label, false) }
        for tick in ticks {
            let tx = x(tick.time)
            canvas.shape(
                "<line x1=\"\(n(tx))\" y1=\"\(n(axisY - 4))\" x2=\"\(n(tx))\" y2=\"\(n(axisY + 4))\" stroke=\"#333\"/>")
            let w = SVGDrawing.textWidth(tick.label, size: 10)
            // Exact times start at their tick (the piece is to the right); round ones are centred.
            let x0 = tick.exact ? tx : tx - w / 2
            let box = LabelBox(x: x0, baseline: axisY - 7, width: w, size: 10)
            guard free(box) else { continue }
            taken.append(box)
            canvas.text(x0, axisY - 7, tick.label, size: 10, fill: tick.exact ? "#000" : "#333", kind: "tick")
        }
    }

    // MARK: Phases

    mutating func phaseRows() {
        guard !t.phases.isEmpty else { return }
        let n = SVGDrawing.number
        canvas.text(8, y + 12, "phases", size: 11, kind: "row")
        // Overlapping phases (`--phase` may define them) on rows of their own; touching is fine.
        var rowEnds: [Int64] = []
        var rowOf: [Int] = []
        for p in t.phases {
            if let r = rowEnds.firstIndex(where: { $0 <= p.start }) {
                rowEnds[r] = p.end
                rowOf.append(r)
            } else {
                rowEnds.append(p.end)
                rowOf.append(rowEnds.count - 1)
            }
        }
        var outside: [(x0: Double, x1: Double, text: String, colour: String, title: String)] = []
        for (i, p) in t.phases.enumerated() {
            let top = y + Double(rowOf[i]) * (Self.barHeight + 3)
            let x0 = x(p.start)
            let x1 = max(x(p.end), x0 + 1.5)
            let colour = phaseColours[p.name] ?? "#999"
            let clipped = t.shownWindow.map { p.start == $0.lowerBound || p.end == $0.upperBound } ?? false
            let what = "\(p.name) \(TimeText.span(p.duration))" + (clipped ? ", clipped" : "") + (p.unfinished ? ", unfinished" : "")
            let title =
                "\(p.name): \(TimeText.span(p.start)) to \(TimeText.span(p.end)) (\(TimeText.span(p.duration)))"
                + (clipped ? "; clipped to the window shown" : "")
                + (p.unfinished ? "; unfinished: its end never came, it runs to the end of the trace" : "")
            canvas.shape(
                "<rect x=\"\(n(x0))\" y=\"\(n(top))\" width=\"\(n(x1 - x0))\" height=\"\(n(Self.barHeight))\" fill=\"\(colour)\"><title>\(SVGDrawing.escape(title))</title></rect>"
            )
            let w = SVGDrawing.textWidth(what, size: Self.labelSize)
            let inside = x1 - x0 >= w + 8
            // The hatching starts after a label inside the bar, which stays on plain colour.
            if p.unfinished { unfinishedMarks(x0: inside ? x0 + w + 8 : x0, x1: x1, top: top, colour: colour) }
            if inside {
                canvas.text(x0 + 4, top + 12, what, size: Self.labelSize, fill: "#fff", kind: "phase", title: title)
            } else {
                outside.append((x0, x0 + 12 + w, what, colour, title))
            }
        }
        y += Double(rowEnds.count) * (Self.barHeight + 3) + 1
        // The labels that did not fit in their bars, each after a swatch of its colour, in as
        // many rows as they need.
        var lanes = LabelLanes(limit: nil)
        for o in outside.sorted(by: { $0.x0 < $1.x0 }) {
            let w = o.x1 - o.x0
            let x0 = max(left, min(o.x0, width - 4 - w))
            let lane = lanes.place(x0, x0 + w)!
            let base = y + 11 + Double(lane) * Self.laneStep
            canvas.shape(
                "<rect x=\"\(n(x0))\" y=\"\(n(base - 8))\" width=\"8\" height=\"8\" fill=\"\(o.colour)\"/>")
            canvas.text(x0 + 12, base, o.text, size: Self.labelSize, kind: "phase", title: o.title)
        }
        y += Double(lanes.count) * Self.laneStep + 6
    }

    /// An unfinished phase: white hatching over its bar, and an open end (an arrow past it).
    mutating func unfinishedMarks(x0: Double, x1: Double, top: Double, colour: String) {
        let n = SVGDrawing.number
        let h = Self.barHeight
        var path = ""
        // Lines at 45 degrees, 6 px apart, clipped to the bar by hand (no clip path: no ids).
        var c = x0 - h
        while c < x1 {
            // The line from (c, top + h) to (c + h, top), clipped to x0...x1.
            let a = max(c, x0)
            let b = min(c + h, x1)
            if b > a { path += "M\(n(a)) \(n(top + h - (a - c)))L\(n(b)) \(n(top + h - (b - c)))" }
            c += 6
        }
        canvas.shape("<path d=\"\(path)\" stroke=\"#fff\" stroke-width=\"1.5\" fill=\"none\"/>")
        canvas.shape(
            "<path d=\"M\(n(x1 + 2)) \(n(top))L\(n(x1 + 10)) \(n(top + h / 2))L\(n(x1 + 2)) \(n(top + h))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
        )
    }

    // MARK: Ticks

    /// Ticks that fall on one pixel column, as one.
    struct TickGroup<Item> {
        var x: Double
        var items: [Item]
    }

    static func grouped<Item>(_ items: [Item], key: (Item) -> String = { _ in "" }, x: (Item) -> Double) -> [TickGroup<Item>] {
        var out: [TickGroup<Item>] = []
        var lastKey = ""
        for item in items {
            let px = x(item)
            let k = key(item)
            if let last = out.last, Int(last.x.rounded(.down)) == Int(px.rounded(.down)), lastKey == k {
                out[out.count - 1].items.append(item)
            } else {
                out.append(TickGroup(x: px, items: [item]))
            }
            lastKey = k
        }
        return out
    }

    /// A row of ticks with labels in two lanes below them where there is room; what has no room
    /// is counted.
    mutating func tickRow<Item>(
        title: String, _ groups: [TickGroup<Item>], colour: (Item) -> String, dashed: (Item) -> Bool = { _ in false },
        label: (TickGroup<Item>) -> String, tooltip: (TickGroup<Item>) -> String, total: Int,
        extra: (inout SVGCanvas, Item) -> Void = { _, _ in }
    ) {
        guard !groups.isEmpty else { return }
        let n = SVGDrawing.number
        canvas.text(8, y + 12, title, size: 11, kind: "row")
        var lanes = LabelLanes(limit: 2)
        var missed = 0
        for g in groups {
            let first = g.items[0]
            let dash = dashed(first) ? " stroke-dasharray=\"3 2\"" : ""
            canvas.shape(
                "<line x1=\"\(n(g.x))\" y1=\"\(n(y))\" x2=\"\(n(g.x))\" y2=\"\(n(y + Self.barHeight))\" stroke=\"\(colour(first))\" stroke-width=\"1.5\"\(dash)><title>\(SVGDrawing.escape(tooltip(g)))</title></line>"
            )
            for item in g.items { extra(&canvas, item) }
            // After the tick; else before it; else after it, cut to the room left before the
            // picture's edge: the first of these with room in a lane.
            let full = SVGDrawing.fit(label(g), width: 360, size: Self.labelSize)
            let w = SVGDrawing.textWidth(full, size: Self.labelSize)
            let room = width - 4 - (g.x + 2)
            var candidates: [(x0: Double, text: String)] = []
            if w <= room { candidates.append((g.x + 2, full)) }
            if g.x - 2 - w >= left - 4 { candidates.append((g.x - 2 - w, full)) }
            if w > room && room >= 120 { candidates.append((g.x + 2, SVGDrawing.fit(full, width: room, size: Self.labelSize))) }
            var placed: (x0: Double, text: String, lane: Int)?
            for c in candidates {
                if let lane = lanes.place(c.x0, c.x0 + SVGDrawing.textWidth(c.text, size: Self.labelSize)) {
                    placed = (c.x0, c.text, lane)
                    break
                }
            }
            guard let (x0, text, lane) = placed else {
                missed += g.items.count
                continue
            }
            canvas.text(
                x0, y + Self.barHeight + 11 + Double(lane) * Self.laneStep, text, size: Self.labelSize, fill: colour(first),
                kind: "step")
        }
        if missed > 0 { unlabelled.append((title, missed, total)) }
        y += Self.barHeight + Double(max(1, lanes.count)) * Self.laneStep + 8
    }

    mutating func stepRow(title: String, _ steps: [BootStep], colour: (BootStep) -> String, label: (BootStep) -> String) {
        let groups = Self.grouped(steps, key: { colour($0) }, x: { x($0.time) })
        let axis = self.axis
        let top = y
        tickRow(
            title: title, groups, colour: colour, dashed: \.isBackStep,
            label: { g in label(g.items[0]) + (g.items.count > 1 ? " +\(g.items.count - 1) more" : "") },
            tooltip: { g in Self.tooltip(g.items) { "\(TimeText.span($0.time)) \(label($0))" } },
            total: steps.count,
            extra: { canvas, s in
                // Repeats: a bar from the first write to the last.
                guard s.count > 1 else { return }
                let x0 = axis.x(s.time)
                let x1 = axis.x(s.lastTime)
                guard x1 - x0 >= 1 else { return }
                let n = SVGDrawing.number
                canvas.shape(
                    "<rect x=\"\(n(x0))\" y=\"\(n(top + 6))\" width=\"\(n(x1 - x0))\" height=\"4\" fill=\"\(colour(s))\"/>")
            })
    }

    mutating func consoleRow() {
        let groups = Self.grouped(lines, x: { x($0.time) })
        tickRow(
            title: "console lines", groups, colour: { _ in Self.lineColour },
            label: { g in "\(g.items[0].device): \(g.items[0].text)" + (g.items.count > 1 ? " (+\(g.items.count - 1))" : "") },
            tooltip: { g in Self.tooltip(g.items) { "\(TimeText.span($0.time)) \($0.device): \($0.text)" } },
            total: lines.count)
    }

    /// A tick's tooltip: its items, one a line; of many, the first ten and the last ten.
    static func tooltip<Item>(_ items: [Item], _ line: (Item) -> String) -> String {
        guard items.count > 20 else { return items.map(line).joined(separator: "\n") }
        return (items.prefix(10).map(line) + ["(\(items.count - 20) more here)"] + items.suffix(10).map(line)).joined(separator: "\n")
    }

    // MARK: Port-I/O density

    /// The densest bucket within the axis, for the shading's scale.
    var densityPeak: UInt64 {
        let h = t.activity
        guard h.start != nil else { return 0 }
        var peak: UInt64 = 0
        for lane in h.lanes {
            for (i, c) in lane.enumerated() where c > peak {
                let (b0, b1) = h.bounds(i)
                if b1 > axis.start && b0 <= axis.end { peak = c }
            }
        }
        return peak
    }

    mutating func densityLanes() {
        let h = t.activity
        guard h.start != nil else { return }
        let peak = densityPeak
        guard peak > 0 else { return }
        let n = SVGDrawing.number
        let columns = Int(width.rounded(.up)) + 1
        for vcpu in h.vcpus {
            canvas.text(8, y + 11, Self.laneTitle(vcpu), size: 11, kind: "row")
            // The densest bucket drawn in each pixel column.
            var most = [UInt64](repeating: 0, count: columns)
            for (i, c) in h.lane(vcpu).enumerated() where c > 0 {
                let (b0, b1) = h.bounds(i)
                guard b1 > axis.start, b0 <= axis.end else { continue }
                let c0 = max(0, Int(x(max(b0, axis.start)).rounded(.down)))
                let c1 = min(columns - 1, max(c0, Int(x(min(b1, axis.end)).rounded(.up)) - 1))
                for col in c0...c1 { most[col] = max(most[col], c) }
            }
            // Runs of one shade, as one rectangle each.
            func level(_ c: UInt64) -> Int { c == 0 ? 0 : max(1, Int((8 * Double(c) / Double(peak)).rounded(.up))) }
            var col = 0
            while col < columns {
                let l = level(most[col])
                var endCol = col + 1
                var top = most[col]
                while endCol < columns && level(most[endCol]) == l {
                    top = max(top, most[endCol])
                    endCol += 1
                }
                if l > 0 {
                    canvas.shape(
                        "<rect x=\"\(n(Double(col)))\" y=\"\(n(y))\" width=\"\(n(Double(endCol - col)))\" height=\"14\" fill=\"\(Self.densityColour)\" fill-opacity=\"\(Self.opacity(l))\"><title>up to \(top) port accesses per \(TimeText.span(h.bucketWidth))</title></rect>"
                    )
                }
                col = endCol
            }
            y += 18
        }
        y += 4
    }

    static func opacity(_ level: Int) -> String { String(format: "%.2f", 0.12 + 0.88 * Double(level) / 8) }

    // MARK: Cuts

    /// Each cut stretch, veiled across the rows, with a zigzag at each edge.
    mutating func drawCuts(from top: Double, to bottom: Double) {
        let n = SVGDrawing.number
        for c in axis.cuts {
            canvas.shape(
                "<rect x=\"\(n(c.x0 + 4))\" y=\"\(n(top))\" width=\"\(n(c.x1 - c.x0 - 8))\" height=\"\(n(bottom - top))\" fill=\"#fff\" fill-opacity=\"0.75\"><title>cut: \(TimeText.span(c.duration)) with nothing in it, from \(TimeText.span(c.start)) to \(TimeText.span(c.end))</title></rect>"
            )
            // Inside the cut's width, clear of what is drawn at the pieces' ends.
            for edge in [c.x0 + 4, c.x1 - 4] { canvas.shape(Self.zigzag(x: edge, from: top, to: bottom)) }
        }
    }

    static func zigzag(x: Double, from top: Double, to bottom: Double) -> String {
        let n = SVGDrawing.number
        var points: [String] = []
        var yy = top
        var side = -1.5
        while yy < bottom {
            points.append("\(n(x + side)),\(n(yy))")
            yy += 4
            side = -side
        }
        points.append("\(n(x)),\(n(bottom))")
        return "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"#999\"/>"
    }
}
