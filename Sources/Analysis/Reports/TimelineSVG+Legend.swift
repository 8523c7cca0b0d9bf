import Foundation

/// The legend of a timeline picture (what each colour, mark and shade means, for what the
/// picture holds) and its account of what it left out.
extension TimelinePicture {
    enum Swatch {
        case fill(String)
        case hatched(String)
        case tick(String, dashed: Bool)
        case repeats
        case density
        case cut
    }

    var legendEntries: [(Swatch, String)] {
        var out: [(Swatch, String)] = []
        for name in phaseOrder { out.append((.fill(phaseColours[name] ?? "#999"), "\(name) phase")) }
        if let p = t.phases.first(where: \.unfinished) {
            out.append((.hatched(phaseColours[p.name] ?? "#999"), "unfinished phase: its end never came; it runs to the end of the trace"))
        }
        if posts.contains(where: { !$0.isBackStep }) { out.append((.tick(Self.stepColour, dashed: false), "POST step")) }
        if posts.contains(where: { $0.count > 1 }) {
            out.append((.repeats, "xN over T: a code written N times in a row, one step; the bar runs to its last write"))
        }
        if posts.contains(where: \.isBackStep) {
            out.append(
                (.tick(Self.backStepColour, dashed: true), "back-step: a code of an earlier component; outside the chain, it ends no phase")
            )
        }
        if others.contains(where: \.isMark) { out.append((.tick(Self.markColour, dashed: false), "console mark")) }
        if others.contains(where: { !$0.isMark }) { out.append((.tick(Self.consoleStartColour, dashed: false), "a console's first byte")) }
        if !lines.isEmpty {
            out.append((.tick(Self.lineColour, dashed: false), "console line (lines on one pixel share a tick; hover it for them)"))
        }
        let peak = densityPeak
        if peak > 0 {
            out.append(
                (.density, "port I/O per \(TimeText.span(t.activity.bucketWidth)), per vCPU: light 1 access, darkest \(peak)"))
        }
        if !axis.cuts.isEmpty {
            out.append(
                (.cut, "cut: a stretch with nothing in it, drawn \(Int(TimelineAxis.cutWidth)) px wide and labelled with its length"))
        }
        return out
    }

    mutating func legend() {
        let entries = legendEntries
        guard !entries.isEmpty else { return }
        let n = SVGDrawing.number
        let size = 10.0
        canvas.text(8, y + 11, "legend", size: 11, bold: true, kind: "legend")
        var x = left
        for (swatch, text) in entries {
            let label = SVGDrawing.fit(text, width: width - left - 40, size: size)
            let w = 22 + SVGDrawing.textWidth(label, size: size)
            if x + w > width - 8 && x > left {
                x = left
                y += 15
            }
            let top = y + 2
            switch swatch {
            case .fill(let colour):
                canvas.shape("<rect x=\"\(n(x))\" y=\"\(n(top))\" width=\"16\" height=\"11\" fill=\"\(colour)\"/>")
            case .hatched(let colour):
                canvas.shape("<rect x=\"\(n(x))\" y=\"\(n(top))\" width=\"16\" height=\"11\" fill=\"\(colour)\"/>")
                canvas.shape(
                    "<path d=\"M\(n(x)) \(n(top + 11))L\(n(x + 11)) \(n(top))M\(n(x + 6)) \(n(top + 11))L\(n(x + 16)) \(n(top + 1))\" stroke=\"#fff\" stroke-width=\"1.5\"/>"
                )
            case .tick(let colour, let dashed):
                canvas.shape(
                    "<line x1=\"\(n(x + 8))\" y1=\"\(n(top - 1))\" x2=\"\(n(x + 8))\" y2=\"\(n(top + 12))\" stroke=\"\(colour)\" stroke-width=\"1.5\"\(dashed ? " stroke-dasharray=\"3 2\"" : "")/>"
                )
            case .repeats:
                canvas.shape(
                    "<line x1=\"\(n(x + 2))\" y1=\"\(n(top - 1))\" x2=\"\(n(x + 2))\" y2=\"\(n(top + 12))\" stroke=\"\(Self.stepColour)\" stroke-width=\"1.5\"/>"
                )
                canvas.shape("<rect x=\"\(n(x + 2))\" y=\"\(n(top + 4))\" width=\"13\" height=\"4\" fill=\"\(Self.stepColour)\"/>")
            case .density:
                for (i, level) in [1, 3, 5, 8].enumerated() {
                    canvas.shape(
                        "<rect x=\"\(n(x + Double(i) * 4))\" y=\"\(n(top))\" width=\"4\" height=\"11\" fill=\"\(Self.densityColour)\" fill-opacity=\"\(Self.opacity(level))\"/>"
                    )
                }
            case .cut:
                canvas.shape("<rect x=\"\(n(x))\" y=\"\(n(top - 1))\" width=\"16\" height=\"13\" fill=\"#eee\"/>")
                canvas.shape(Self.zigzag(x: x + 2, from: top - 1, to: top + 12))
                canvas.shape(Self.zigzag(x: x + 14, from: top - 1, to: top + 12))
            }
            canvas.text(x + 20, y + 11, label, size: size, kind: "legend")
            x += w + 14
        }
        y += 20
    }

    /// What the picture does not show, and why: nothing is left out silently.
    mutating func leftOut() {
        var notes: [String] = []
        func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }
        for u in unlabelled {
            let lists = u.row == "console lines" ? "" : "; --format text lists them"
            notes.append(
                "\(u.row): \(u.count) of \(u.of) have no label for want of room (each has its tick, with its text as a tooltip\(lists))")
        }
        if t.stepsLeftOut > 0 {
            notes.append(
                count(t.stepsLeftOut, "POST step", "POST steps") + " past the most a timeline keeps: not drawn (the phases count them)")
        }
        if t.consoleLinesLeftOut > 0 {
            notes.append(
                count(t.consoleLinesLeftOut, "console line", "console lines")
                    + " past the most a timeline keeps: not drawn (the marks saw them)")
        }
        if t.filteredOut > 0 { notes.append(count(t.filteredOut, "POST code", "POST codes") + " left out by --codes") }
        for note in notes {
            for line in Self.wrap(note, width: width - 16, size: 10) {
                canvas.text(8, y + 10, line, size: 10, fill: "#555", kind: "left-out")
                y += 14
            }
        }
    }
}
