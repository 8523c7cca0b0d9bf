import Foundation
import Testing

let chromiumBinary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// `porttrace report`: one HTML page, checked in a real browser (headless chromium, which
/// scripts/setup installs): it loads from file:// with no request and no Content-Security-Policy
/// violation, its DOM holds the verdict and the numbers `stats` gives, a screenshot shows the
/// timelines drawn, and a hostile console line changes nothing but its own text.
@Suite(.serialized) struct ReportCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let series = (1...5).map { "traces/series/a-\($0).pt" } + (1...5).map { "traces/series/b-\($0).pt" }
    static let options = ["--group-by", "build", "--baseline-group", "a", "--threshold", "5%"]

    /// Runs headless chromium on a page with what it needs as root and nothing it may fetch on
    /// its own; returns its result (console messages on stderr) and the page's requests.
    static func browse(_ page: String, _ mode: [String], in dir: String) throws -> (RunResult, [String]) {
        let netlog = "\(dir)/netlog-\(UUID().uuidString).json"
        let r = try runProcess(
            chromiumBinary!,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps", "--user-data-dir=\(dir)/profile",
                "--enable-logging=stderr", "--v=0", "--log-net-log=\(netlog)",
            ] + mode + ["file://\(page)"])
        // Requests the page made: their network isolation key is the file's origin (the browser's
        // own background requests have another).
        var requests: [String] = []
        if let data = FileManager.default.contents(atPath: netlog),
            let log = try JSONSerialization.jsonObject(with: data) as? [String: Any], let events = log["events"] as? [[String: Any]]
        {
            for e in events {
                guard let p = e["params"] as? [String: Any], let url = p["url"] as? String else { continue }
                if (p["network_isolation_key"] as? String)?.contains("file://") == true && url != "file://\(page)" { requests.append(url) }
            }
        }
        return (r, requests)
    }

    /// The report exits as `stats` with the same options does.
    @Test func theStatusIsThatOfStats() throws {
        try withScratch { dir in
            let stats = try porttrace(["stats"] + Self.options + Self.series, directory: Self.root.path)
            let report = try porttrace(["report"] + Self.options + Self.series + ["-o", "\(dir)/r.html"], directory: Self.root.path)
            #expect(report.status == stats.status && stats.status == 1, "\(report.stderr) / \(stats.stderr)")
            let page = try String(contentsOfFile: "\(dir)/r.html", encoding: .utf8)
            #expect(page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"))
            // Nothing to load: no scripts, no external references.
            for needle in ["<script", "src=\"http", "href=\"http", "url(", "@import"] { #expect(!page.contains(needle), "\(needle)") }
            // 3 v 3 cannot decide: status 2, as stats.
            let few = Array(Self.series[0..<3] + Self.series[5..<8])
            let small = try porttrace(["report"] + Self.options + few + ["-o", "\(dir)/s.html"], directory: Self.root.path)
            #expect(small.status == 2, "\(small.stderr)")
        }
    }

    @Test(.enabled(if: chromiumBinary != nil, "chromium is not installed (scripts/setup installs it)"))
    func aBrowserShowsTheVerdictTheNumbersAndTheTimelines() throws {
        try withScratch { dir in
            let page = "\(dir)/report.html"
            let r = try porttrace(["report"] + Self.options + Self.series + ["-o", page], directory: Self.root.path)
            #expect(r.status == 1, "\(r.stderr)")
            let (dom, requests) = try Self.browse(page, ["--dump-dom"], in: dir)
            #expect(dom.status == 0, "\(dom.stderr.suffix(500))")
            #expect(requests.isEmpty, "\(requests)")
            #expect(!dom.stderr.contains("Content Security Policy") && !dom.stderr.contains("Refused to"), "\(dom.stderr)")
            #expect(dom.out.contains("REGRESSED"))
            // The numbers stats gives: each group's Kernel median, in ms with three decimals.
            let stats = try porttrace(["stats", "--format", "json"] + Self.options + Self.series, directory: Self.root.path)
            let root = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])
            for g in try #require(root["groups"] as? [[String: Any]]) {
                let kernel = try #require((g["metrics"] as? [[String: Any]])?.first { $0["name"] as? String == "Kernel" })
                let ms = String(format: "%.3f", (kernel["median"] as! NSNumber).doubleValue / 1e6)
                #expect(dom.out.contains(">\(ms)<"), "Kernel median \(ms) of \(g["name"]!)")
            }
            // A screenshot of the first screen shows the median boot's timeline: the phase colours.
            let (shot, _) = try Self.browse(page, ["--screenshot=\(dir)/shot.png", "--window-size=1280,800"], in: dir)
            #expect(shot.status == 0, "\(shot.stderr.suffix(500))")
            let count = try runProcess(
                "/usr/bin/env",
                ["python3", Self.root.path + "/Tests/CLITests/png_colours.py", "\(dir)/shot.png", "e6a23c", "67c23a", "409eff"])
            let counts = count.out.split(separator: "\n").compactMap { Int($0) }
            #expect(counts.count == 3 && counts.allSatisfy { $0 > 500 }, "Firmware, Bootloader, Kernel pixels: \(counts) \(count.stderr)")
        }
    }

    /// A console line that tries to end the page's markup, a Markdown fence and control bytes,
    /// and a label with HTML in it: shown as text, changing nothing else.
    @Test(.enabled(if: chromiumBinary != nil, "chromium is not installed (scripts/setup installs it)"))
    func aHostileConsoleLineChangesOnlyItsOwnText() throws {
        try withScratch { dir in
            let hostile = "</script><script>document.title='pwned'</script><img src=x onerror=alert(1)> ``` \u{1b}[2J\u{7}done"
            var traces: [String] = []
            for k in 1...4 {
                var lines = [
                    #"{"header":{"vmm_start_ns":0,"vm_start_ns":0,"vcpus":1,"labels":{"build":"<b>x</b>"},"devices":[{"model":"debug-port","port":128,"length":1},{"model":"debug-console","port":233,"length":1}]}}"#
                ]
                var t: UInt64 = 1_000_000 * UInt64(k)
                for code in [0x01, 0x20, 0x40] {
                    lines.append(
                        #"{"t_ns":\#(t),"vcpu":0,"port":128,"dir":"out","size":1,"count":1,"data":"\#(String(format: "%02x", code))"}"#)
                    t += 20_000_000
                }
                for b in Array((hostile + "\n").utf8) {
                    lines.append(
                        #"{"t_ns":\#(t),"vcpu":0,"port":233,"dir":"out","size":1,"count":1,"data":"\#(String(format: "%02x", b))"}"#)
                    t += 1000
                }
                lines.append(#"{"t_ns":\#(t + 10_000_000),"vcpu":0,"port":128,"dir":"out","size":1,"count":1,"data":"60"}"#)
                try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: "\(dir)/x\(k).jsonl"))
                let imp = try porttrace(["import", "\(dir)/x\(k).jsonl", "-o", "\(dir)/x\(k).pt"])
                try #require(imp.status == 0, "\(imp.stderr)")
                traces.append("\(dir)/x\(k).pt")
            }
            let page = "\(dir)/hostile.html"
            let r = try porttrace(
                ["report", "--group-by", "build", "--baseline-group", "a"] + Self.series[0..<5].map { Self.root.path + "/" + $0 } + traces
                    + [
                        "-o", page,
                    ])
            #expect(r.status == 0, "\(r.stderr)")
            let (dom, requests) = try Self.browse(page, ["--dump-dom"], in: dir)
            #expect(requests.isEmpty, "\(requests)")
            #expect(!dom.stderr.contains("Content Security Policy") && !dom.stderr.contains("Refused to"), "\(dom.stderr)")
            #expect(!dom.out.contains("<script") && !dom.out.contains("<img") && !dom.out.contains("<b>x</b>"))
            #expect(!dom.out.contains("pwned</title>"))
            #expect(dom.out.contains("&lt;/script&gt;&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "the line is shown as text")
            #expect(dom.out.contains("&lt;b&gt;x&lt;/b&gt;"), "the label is shown as text")
            #expect(!dom.out.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 }, "no control byte reaches the page")
        }
    }
}
