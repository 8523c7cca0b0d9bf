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
    /// A whole trace file: open, verify (scan every block), and the timeline, which replays it
    /// through the device models.
    case traceFile = "trace-file"
    /// One decompressed event block.
    case block
    /// Lines of `dump --format jsonl` output, as `import` reads them.
    case jsonl
    /// A cloud-hypervisor log through `import --format ch-log`.
    case chLog = "ch-log"
    /// `perf script` text through `import --format perf-script`.
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
        case .logTemplate: Self.logTemplate(input)
        case .elf: Self.elf(input)
        case .vmmCommandLine: Self.vmmCommandLine(input)
        case .options: Self.options(input)
        }
    }
}

extension FuzzTarget {
    /// A scratch file per process (fuzzers run one input at a time per process).
    static let scratch: String = {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return "\(dir)/porttrace-fuzz-\(ProcessInfo.processInfo.processIdentifier)"
    }()

    static func withFile(_ input: UnsafeRawBufferPointer, _ body: (String) throws -> Void) {
        let path = scratch + ".in"
        guard FileManager.default.createFile(atPath: path, contents: Data(input)) else { return }
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: scratch + ".pt")
        }
        try? body(path)
    }

    static func traceFile(_ input: UnsafeRawBufferPointer) {
        withFile(input) { path in
            let reader = try TraceReader(path: path)
            _ = try reader.scan { _ in true }
            _ = try TimelineBuilder.build(reader: reader, options: TimelineOptions())
        }
    }

    static func block(_ input: UnsafeRawBufferPointer) {
        if case .success(.events(let block)) = EventBlock.decode(input) {
            _ = block.events()
        }
    }

    static func jsonl(_ input: UnsafeRawBufferPointer) {
        let bytes = input.bindMemory(to: UInt8.self)
        var start = 0
        var number = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x0a {
            number += 1
            let line = UnsafeBufferPointer(rebasing: bytes[start..<i])
            _ = JSONLines.parseAccess(line)
            _ = try? JSONLines.parse(String(decoding: line, as: UTF8.self), lineNumber: number)
            start = i + 1
        }
    }

    static func importer(_ input: UnsafeRawBufferPointer, _ run: (LineReader, (TraceMetadata) throws -> TraceWriter) throws -> Void) {
        withFile(input) { path in
            try run(try LineReader(path: path)) { try TraceWriter(path: scratch + ".pt", metadata: $0) }
        }
    }

    static func logTemplate(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input.bindMemory(to: UInt8.self), as: UTF8.self)
        _ = try? LogFormatter.parse(text, tokens: Profile(Release.latest).logFormatTokens)
        _ = try? CloudHypervisorLogImport(template: text)
    }

    static func options(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input.bindMemory(to: UInt8.self), as: UTF8.self)
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
