import Analysis
import Devices
import Foundation
import TraceFormat

#if os(Linux) && KVMCapture
import Capture
#endif

/// Everything porttrace parses from other people's files, as one entry per parser: the libFuzzer
/// harness in `Fuzz/` calls `run` with each generated input, and `FuzzRegressionTests` calls it
/// with every input in `Fuzz/regressions/<target>/` that once crashed it. A target never throws
/// or checks results: a parser's errors are expected answers to bad input; a trap is the bug.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A whole trace file (its bytes, read in memory as a file is read): open, verify (scan
    /// every block), and the timeline, which replays it through the device models.
    case traceFile = "trace-file"
    /// One decompressed event block.
    case block
    /// Lines of `dump --format jsonl` output through `import` (`JSONLinesImport`), in memory.
    case jsonl
    /// A cloud-hypervisor log through `import --format ch-log`, in memory.
    case chLog = "ch-log"
    /// `perf script` text through `import --format perf-script`, in memory.
    case perfScript = "perf-script"
    /// A `--log-format` template, for replay and for the ch-log importer.
    case logTemplate = "log-template"
    /// A guest image through the built-in machine's ELF and flat loader (needs the capture build).
    case elf
    /// A VMM command line (NUL-separated arguments) as `record` reads it for the device map.
    case vmmCommandLine = "vmm-command-line"
    /// Command-line values: times, port lists, POST-code ranges, sizes, addresses, device choices,
    /// release names and labels.
    case options
    /// A trace made in memory from a recipe (`TraceRecipe`: header values, times, vCPUs, ports,
    /// codes, console bytes, markers) and a second one derived from it, through every analysis:
    /// timeline formats, diff, stats, export.
    case analysis

    /// Whether this build has the code the target exercises.
    public var isAvailable: Bool {
        switch self {
        case .elf, .vmmCommandLine:
            #if os(Linux) && KVMCapture
            return true
            #else
            return false
            #endif
        default: return true
        }
    }

    public func run(_ input: UnsafeRawBufferPointer) {
        switch self {
        case .traceFile: Self.traceFile(input)
        case .block: Self.block(input)
        case .jsonl: Self.jsonl(input)
        case .chLog: Self.importer(input) { _ = try CloudHypervisorLogImport(template: nil).run($0, makeWriter: $1) }
        case .perfScript: Self.importer(input) { _ = try PerfScriptImport().run($0, makeWriter: $1) }
        case .analysis: AnalysisTarget.run(Array(input))
        case .logTemplate: Self.logTemplate(input)
        case .elf: Self.elf(input)
        case .vmmCommandLine: Self.vmmCommandLine(input)
        case .options: Self.options(input)
        }
    }
}

extension FuzzTarget {
    /// A scratch file per process (fuzzers run one input at a time per process), for the loader
    /// of guest images, which reads files only.
    static let scratch: String = {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return "\(dir)/porttrace-fuzz-\(ProcessInfo.processInfo.processIdentifier)"
    }()

    static func withFile(_ input: UnsafeRawBufferPointer, _ body: (String) throws -> Void) {
        let path = scratch + ".in"
        guard FileManager.default.createFile(atPath: path, contents: Data(input)) else { return }
        defer { try? FileManager.default.removeItem(atPath: path) }
        try? body(path)
    }

    static func traceFile(_ input: UnsafeRawBufferPointer) {
        guard let reader = try? TraceReader(bytes: Array(input), name: "input.pt") else { return }
        _ = try? reader.scan { _ in true }
        _ = try? TimelineBuilder.build(reader: reader, options: TimelineOptions())
    }

    static func block(_ input: UnsafeRawBufferPointer) {
        if case .success(.events(let block)) = EventBlock.decode(input) {
            _ = block.events()
        }
    }

    /// `import --format jsonl`: both passes, the header's defaults, the writer; and each line
    /// through the JSON parser alone, as `dump`'s lines are checked.
    static func jsonl(_ input: UnsafeRawBufferPointer) {
        importer(input, longestLine: JSONLinesImport.longestLine) { lines, makeWriter in
            try JSONLinesImport(vmStart: nil, recorderVersion: "fuzz").run(lines, makeWriter: makeWriter)
        }
        let lines = LineReader(bytes: Array(input), name: "input", longestLine: JSONLinesImport.longestLine)
        _ = try? lines.forEachLine(
            { number, line in
                _ = JSONLines.parseAccess(line)
                _ = try? JSONLines.parse(String(decoding: line, as: UTF8.self), lineNumber: number)
            }, overlong: { _ in })
    }

    /// Runs an importer over the input held in memory, writing its trace into memory. A trace it
    /// closes must read back whole, and its timeline (the first analysis of an imported trace) is built.
    static func importer(
        _ input: UnsafeRawBufferPointer, longestLine: Int = LineReader.longestLine,
        _ run: (LineReader, (TraceMetadata) throws -> TraceWriter) throws -> Void
    ) {
        let lines = LineReader(bytes: Array(input), name: "input", longestLine: longestLine)
        var made: TraceWriter?
        do {
            try run(lines) { metadata in
                let writer = try TraceWriter(inMemory: metadata, name: "import.pt")
                made = writer
                return writer
            }
        } catch {
            made?.abandon()
            return
        }
        guard let made else { return }
        let bytes = checkReadsBack(made)
        guard let reader = try? TraceReader(bytes: bytes, name: made.path) else { return }
        _ = try? TimelineBuilder.build(reader: reader, options: TimelineOptions())
    }

    static func logTemplate(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        _ = try? LogFormatter.parse(text, tokens: Profile(Release.latest).logFormatTokens)
        _ = try? CloudHypervisorLogImport(template: text)
    }

    static func options(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        _ = TimeSpec.nanoseconds(text)
        _ = ValueSyntax.portList(text)
        _ = ValueSyntax.codeRanges(text)
        _ = ValueSyntax.size(text)
        _ = ValueSyntax.address(text)
        _ = DeviceChoice.parse(text, allowIobase: true)
        _ = Release.named(text)
        _ = Release.fromVersionText(text)
    }

    static func elf(_ input: UnsafeRawBufferPointer) {
        #if os(Linux) && KVMCapture
        withFile(input) { _ = try GuestImage(path: $0, load: 0x10000) }
        #endif
    }

    static func vmmCommandLine(_ input: UnsafeRawBufferPointer) {
        #if os(Linux) && KVMCapture
        let argv = input.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        _ = VMMCommandLine(argv)
        _ = VMMCommandLine.programPath(argv)
        #endif
    }
}
