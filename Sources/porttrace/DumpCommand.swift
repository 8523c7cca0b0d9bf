import Analysis
import ArgumentParser
import TraceFormat

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print one line per event.",
        discussion: """
            Times for --from/--to are relative to the VM start and take units: 1.5s, 200ms, 30us, 100ns \
            (a bare number is seconds). Exit status: 0; 1 the trace is damaged or was not closed cleanly (every \
            readable event is still printed); 2 the job could not be done.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, jsonl }

    @Argument(help: "The trace file.") var trace: String
    @Option(help: "text or jsonl.") var format: Format = .text
    @Option(name: .customLong("port"), help: "Only these ports (0x80, 0x3f8-0x3ff, or a comma list); repeatable.")
    var ports: [PortList] = []
    @Option(help: "Only this vCPU.") var vcpu: UInt32?
    @Option(help: "Start time, relative to the VM start.") var from: TimeArgument?
    @Option(help: "End time (inclusive), relative to the VM start.") var to: TimeArgument?
    @Flag(help: "With jsonl: first print a {\"header\": {...}} line with the metadata (the input 'import' takes).")
    var header = false

    func run() throws {
        let reader = try openTrace(trace)
        TraceJudgement.reading.noteOpened(reader)
        let md = reader.metadata
        let origin = md.vmStartNs ?? 0
        let lo = from.map { absolute($0.ns, origin: origin) } ?? 0
        let hi = to.map { absolute($0.ns, origin: origin) } ?? .max
        let filterPorts = !ports.isEmpty
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)

        if header {
            // The summary needs a pass of its own; the header comes first.
            var summary = TraceSummary()
            _ = try? reader.scan {
                summary.add($0)
                return true
            }
            var fields = md.fields.filter { !JSONLinesImport.derivedKeys.contains($0.0) }
            fields.append(contentsOf: summary.jsonFields(vcpus: md.vcpus))
            out.append(contentsOf: JSONValue.object([("header", .object(fields))]).serialized().utf8)
            out.append(0x0a)
        }

        let jsonl = format == .jsonl
        let report: TraceReader.ScanReport
        do {
            report = try reader.scan(from: from == nil ? nil : lo) { block in
                try block.forEachAccess(
                    { t, shape, data in
                        guard t >= lo, t <= hi else { return }
                        if let vcpu, shape.vcpu != vcpu { return }
                        if filterPorts, !ports.contains(where: { $0.contains(shape.port) }) { return }
                        if jsonl {
                            JSONLines.write(timestamp: t, shape: shape, data: data, to: &out)
                        } else {
                            DumpCommand.text(t, origin: origin, shape: shape, data: data, to: &out)
                        }
                        out.append(0x0a)
                        if out.count >= 1 << 20 {
                            try Output.stdout(out)
                            out.removeAll(keepingCapacity: true)
                        }
                    },
                    marker: { t, vcpu, m in
                        guard t >= lo, t <= hi else { return }
                        if let v = self.vcpu, v != vcpu { return }
                        if filterPorts { return }
                        if jsonl {
                            JSONLines.write(timestamp: t, vcpu: vcpu, marker: m, to: &out)
                        } else {
                            var line = "\(TimeSpec.signedSeconds(Int64(bitPattern: t &- origin))) vcpu\(vcpu) marker \(m.name)"
                            if m.value != 0 { line += " \(m.value)" }
                            if !m.text.isEmpty { line += " \(JSONValue.string(m.text).serialized())" }
                            out.append(contentsOf: line.utf8)
                        }
                        out.append(0x0a)
                    })
                return true
            }
        } catch let e as TraceError {
            throw CLIFailure.cannot("\(trace): \(e)")
        }
        try Output.stdout(out)
        try TraceJudgement.reading.finish([TraceVerdict(reader, report)])
    }

    /// `+0.019004000 vcpu0 out  0x0080 1x1 00`, written byte by byte (no strings per event).
    static func text(_ t: UInt64, origin: UInt64, shape: EventShape, data: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.appendSignedSeconds(Int64(bitPattern: t &- origin))
        out.appendASCII(" vcpu")
        out.appendDecimal(UInt64(shape.vcpu))
        out.append(contentsOf: shape.direction == .out ? " out 0x".utf8 : " in  0x".utf8)
        out.appendHex(UInt64(shape.port), width: 4)
        out.append(0x20)
        out.appendDecimal(UInt64(shape.size))
        out.append(0x78)
        out.appendDecimal(UInt64(shape.count))
        out.append(0x20)
        out.appendHex(bytes: data)
        if shape.incomplete { out.append(contentsOf: " incomplete".utf8) }
    }
}
