import Foundation

/// What the SVG reports share: XML escaping, numbers, and how much room a label takes.
///
/// Labels are laid out by porttrace itself (SVG has no text flow), so their widths are estimated
/// from DejaVu Sans's advance widths, the font the pictures ask for first and the widest of the
/// common sans-serif faces (Verdana is alike; Arial and Helvetica are narrower): a label never
/// takes more room than its box in those fonts. Every label carries its box as
/// `data-box="x0 y0 x1 y1"`, so tests (and people) can check that none overlap.
public enum SVGDrawing {
    /// The fonts the pictures ask for, widest first.
    public static let fontFamily = "DejaVu Sans, Verdana, sans-serif"

    /// XML text: the five special characters escaped, and characters XML 1.0 forbids dropped.
    public static func escape(_ s: String) -> String {
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

    /// A coordinate with one decimal.
    public static func number(_ v: Double) -> String { String(format: "%.1f", v) }

    /// DejaVu Sans advance widths of the printable ASCII characters (0x20 to 0x7e), in
    /// thousandths of an em.
    static let asciiWidths: [Int] = [
        318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,  // space to /
        636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,  // 0 to ?
        1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,  // @ to O
        603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,  // P to _
        500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,  // ` to o
        635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,  // p to ~
    ]

    /// The width of `s` in pixels at a font size of `size` pixels, rounded up: ASCII by the
    /// table, other characters as a full em (wide ones, CJK and emoji, as 1.25 em).
    public static func textWidth(_ s: String, size: Double) -> Double {
        var thousandths = 0
        for u in s.unicodeScalars {
            switch u.value {
            case 0x20...0x7e: thousandths += asciiWidths[Int(u.value) - 0x20]
            case 0..<0x20, 0x7f: break
            case 0x80..<0x1100: thousandths += 1000
            default: thousandths += 1250
            }
        }
        // 3% and a pixel to spare for hinting and rounding.
        return (Double(thousandths) / 1000 * size * 1.03 + 1).rounded(.up)
    }

    /// `s` cut to at most `width` pixels at `size`, with an ellipsis when cut.
    public static func fit(_ s: String, width: Double, size: Double) -> String {
        if textWidth(s, size: size) <= width { return s }
        var scalars = Array(s.unicodeScalars)
        // Halve the excess until it fits (labels are short: a few steps).
        while !scalars.isEmpty {
            let over = textWidth(String(String.UnicodeScalarView(scalars)) + "...", size: size) - width
            if over <= 0 { break }
            let drop = max(1, min(scalars.count, Int(over / (size * 0.6))))
            scalars.removeLast(drop)
        }
        return String(String.UnicodeScalarView(scalars)) + "..."
    }
}

/// Where a label's ink may lie: its estimated width, and from its ascent above the baseline to
/// its descent below it.
public struct LabelBox: Sendable, Equatable {
    public var x0: Double
    public var y0: Double
    public var x1: Double
    public var y1: Double

    /// The box of `width` pixels of text at `size`, whose baseline is at `y`, starting at `x`.
    public init(x: Double, baseline y: Double, width: Double, size: Double) {
        x0 = x
        x1 = x + width
        y0 = y - 0.93 * size
        y1 = y + 0.24 * size
    }

    public init(x0: Double, y0: Double, x1: Double, y1: Double) {
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
    }

    public func overlaps(_ o: LabelBox) -> Bool { x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1 }
}

/// Labels placed left to right in lanes (rows): each goes into the first lane where it clears
/// the labels already there. A lane remembers only its rightmost edge, so a label is placed in a
/// lane only when it lies wholly to the right of every label in it, whatever the order.
struct LabelLanes {
    private(set) var ends: [Double] = []
    /// The most lanes, nil for as many as needed.
    let limit: Int?
    /// Room left between two labels of a lane.
    let gap: Double

    init(limit: Int?, gap: Double = 6) {
        self.limit = limit
        self.gap = gap
    }

    /// The lane for a label from `x0` to `x1`, nil when every lane allowed is taken there.
    mutating func place(_ x0: Double, _ x1: Double) -> Int? {
        for (i, end) in ends.enumerated() where x0 >= end + gap {
            ends[i] = x1
            return i
        }
        if let limit, ends.count >= limit { return nil }
        ends.append(x1)
        return ends.count - 1
    }

    var count: Int { ends.count }
}

/// An SVG picture being drawn: shapes first, then labels on top, each label with its box.
struct SVGCanvas {
    private(set) var shapes = ""
    private(set) var labels = ""
    private(set) var boxes: [LabelBox] = []

    mutating func shape(_ s: String) { shapes += s + "\n" }

    /// A label whose baseline is at `y`; `anchor` says whether `x` is its start or its end.
    /// Returns its box.
    @discardableResult
    mutating func text(
        _ x: Double, _ y: Double, _ s: String, size: Double, anchor: Anchor = .start, fill: String = "#222",
        bold: Bool = false, kind: String, title: String? = nil
    ) -> LabelBox {
        let width = SVGDrawing.textWidth(s, size: size) * (bold ? 1.1 : 1)
        let box = LabelBox(x: anchor == .start ? x : x - width, baseline: y, width: width, size: size)
        boxes.append(box)
        let n = SVGDrawing.number
        var t =
            "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor.rawValue)\" fill=\"\(fill)\""
        if bold { t += " font-weight=\"bold\"" }
        t += " data-label=\"\(kind)\" data-box=\"\(n(box.x0)) \(n(box.y0)) \(n(box.x1)) \(n(box.y1))\">"
        if let title { t += "<title>\(SVGDrawing.escape(title))</title>" }
        labels += t + SVGDrawing.escape(s) + "</text>\n"
        return box
    }

    enum Anchor: String {
        case start
        case end
    }
}
