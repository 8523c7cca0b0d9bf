import Foundation
import Testing

@testable import Analysis

/// Outside text inside Markdown lines: it stays text.
struct MarkdownTextTests {
    @Test func hostileTextStaysInItsCell() {
        #expect(MarkdownText.inline("a|b`c") == #"a\|b\`c"#)
        #expect(MarkdownText.inline("x\ny\r\tz\u{7f}\u{85}") == #"x\x0ay\x0d\x09z\x7f\x85"#)
        #expect(MarkdownText.inline("<img src=x onerror=alert(1)> & co") == "&lt;img src=x onerror=alert(1)&gt; &amp; co")
        #expect(MarkdownText.inline(#"*b* _i_ [l](u) ~~s~~ $m$ \"#) == #"\*b\* \_i\_ \[l\](u) \~\~s\~\~ \$m\$ \\"#)
        #expect(MarkdownText.inline("Firmware") == "Firmware")
        #expect(MarkdownText.inline("step 0x20 Grüße ☕") == "step 0x20 Grüße ☕")
        #expect(MarkdownText.inline("") == "")
    }
}
