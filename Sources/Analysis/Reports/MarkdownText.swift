/// Outside text (labels, group names, metric and mark names) placed inside a line of Markdown
/// (GitHub-flavoured): a table cell or a heading. What the text holds stays visible as text and
/// cannot end the cell, the row or the line, open a code span, emphasis, a link or math, or be
/// read as HTML.
enum MarkdownText {
    /// `text` for one cell or heading:
    /// - control characters (newlines and tabs included, DEL, C1) become `\xNN`, as `replay`
    ///   shows them on a terminal, so a row stays one line;
    /// - `&`, `<` and `>` become entities, so nothing is read as HTML;
    /// - the punctuation Markdown gives a meaning inline (`|` ending a cell, backticks,
    ///   `\ * _ [ ] ~ $`) is escaped with a backslash.
    static func inline(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x00..<0x20, 0x7F, 0x80...0x9F:
                let hex = String(scalar.value, radix: 16, uppercase: false)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            case 0x26: out += "&amp;"
            case 0x3C: out += "&lt;"
            case 0x3E: out += "&gt;"
            case 0x7C, 0x60, 0x5C, 0x2A, 0x5F, 0x5B, 0x5D, 0x7E, 0x24:
                out += "\\"
                out.unicodeScalars.append(scalar)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
