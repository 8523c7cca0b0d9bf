// Prints the POST codes (port 0x80 writes) of a porttrace trace, with the time since the VM
// started and the component each code's range belongs to, using only the TraceFormat and
// Devices libraries.
//
//     swift run post-codes TRACE
import Devices
import Foundation
import TraceFormat

/// Collects the 0x80 writes of each block.
struct PostCodes: EventVisitor {
    var lines: [String] = []
    let origin: UInt64

    mutating func visit(timestamp: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) {
        guard shape.port == DeviceMap.debugPortAddress, shape.direction == .out, let code = data.first else { return }
        let ms = Double(Int64(bitPattern: timestamp &- origin)) / 1e6
        lines.append(String(format: "%12.3f ms  0x%02x  ", ms, code) + DebugPortComponent(code: code).rawValue)
    }

    mutating func visit(timestamp: UInt64, vcpu: UInt32, marker: Marker) {}
}

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: post-codes TRACE\n".utf8))
    exit(2)
}
do {
    let reader = try TraceReader(path: arguments[1])
    var codes = PostCodes(origin: reader.metadata.vmStartNs ?? 0)
    _ = try reader.scan { block in
        block.walk(&codes)
        return true
    }
    print(codes.lines.joined(separator: "\n"))
} catch {
    FileHandle.standardError.write(Data("post-codes: \(arguments[1]): \(error)\n".utf8))
    exit(2)
}
