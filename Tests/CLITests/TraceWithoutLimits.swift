import Foundation

@testable import TraceFormat

/// Writes a trace as a writer that knew no limits would (one block per list of events, an index
/// and the closed mark when `closed`): the files a hostile or buggy writer could leave.
func writeTraceWithoutLimits(_ path: String, metadata: TraceMetadata, blocks: [[PortIOEvent]], closed: Bool = true) throws {
    var bytes = TraceHeader(metadata: metadata).encodeFrame()
    let headerLength = bytes.count
    var entries: [BlockIndexEntry] = []
    let compressor = ZstdCompressor(level: 3)
    for events in blocks {
        var builder = EventBlockBuilder()
        for e in events { builder.append(e) }
        let raw = builder.encode()
        let frame = try compressor.compress(raw)
        entries.append(
            BlockIndexEntry(
                offset: UInt64(bytes.count), compressedSize: UInt32(frame.count), decompressedSize: UInt32(raw.count),
                minTimestamp: builder.timestamps.min() ?? 0, maxTimestamp: builder.timestamps.max() ?? 0, events: UInt32(builder.count)))
        bytes += frame
    }
    if closed {
        bytes += TraceIndex(blocks: entries, timeIndexOffset: UInt64(bytes.count)).encode(headerFrameLength: headerLength)
        bytes[Int(TraceHeader.stateOffset)] = 1
    }
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}
