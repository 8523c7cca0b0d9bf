import Foundation
import Testing

@testable import TraceFormat

/// Format 2 stores the header's metadata compressed when that is smaller (byte 17 says how).
@Suite struct MetadataCodingTests {
    /// Metadata the size of a real recording's (about 1 KB of JSON).
    func realisticMetadata() -> TraceMetadata {
        var md = metadataSample()
        md["vmm_command_line"] = .array((0..<40).map { .string("--option-\($0)=/some/long/path/value\($0)") })
        md.labels = [("example", "smp64"), ("host", "ci")]
        return md
    }

    func trace(_ md: TraceMetadata, options: TraceWriter.Options = .init()) throws -> (String, [UInt8]) {
        let path = temporaryPath("md")
        try writeTrace(path, randomEvents(count: 90, seed: 5), metadata: md, options: options)
        return (path, [UInt8](FileManager.default.contents(atPath: path)!))
    }

    @Test func compressedMetadataRoundTripsAndIsSmaller() throws {
        let md = realisticMetadata()
        let (path, bytes) = try trace(md)
        defer { unlink(path) }
        let r = try TraceReader(path: path)
        #expect(r.header.formatVersion == 2 && r.header.minimumReaderVersion == 2)
        #expect(r.header.metadata.json.serialized() == md.json.serialized())
        #expect(bytes[17] == 1)
        #expect(r.headerFrameLength < 32 + md.json.serialized().utf8.count / 2)
        // Format 1 (byte planes only) keeps the JSON as it is.
        var v1 = TraceWriter.Options()
        v1.timestampCoding = .planes
        let (old, oldBytes) = try trace(md, options: v1)
        defer { unlink(old) }
        #expect(oldBytes[12] == 1 && oldBytes[17] == 0)
        #expect(try TraceReader(path: old).header.metadata.json.serialized() == md.json.serialized())
    }

    /// Rewrites the header frame of `bytes` with `edit` applied to its stored metadata and
    /// coding byte, with a correct checksum.
    func reframed(_ bytes: [UInt8], coding: UInt8, stored: [UInt8]) throws -> [UInt8] {
        let r = try TraceReader(
            path: {
                let p = temporaryPath("h")
                FileManager.default.createFile(atPath: p, contents: Data(bytes))
                return p
            }())
        var w = ByteWriter()
        w.u32(TraceHeader.frameMagic)
        w.u32(UInt32(24 + stored.count))
        w.u32(TraceHeader.magic)
        w.u16(2)
        w.u16(2)
        w.u8(1)
        w.u8(coding)
        w.u8(0)
        w.u8(0)
        w.u32(r.header.maxBlockBytes)
        w.u32(UInt32(stored.count))
        w.u32(TraceHeader.checksum(fixed: w.bytes[8...], json: stored))
        w.append(contentsOf: stored)
        return w.bytes + bytes[r.headerFrameLength...]
    }

    @Test func hostileMetadataCodingsAreDamageAndTheBlocksStillRead() throws {
        let (path, bytes) = try trace(realisticMetadata())
        defer { unlink(path) }
        let good = try TraceReader(path: path).readAll().events
        // An unknown coding; a frame declaring more than the metadata limit; garbage.
        let huge = Zstd.compressMagicless([UInt8](repeating: 0x20, count: TraceLimits.maxMetadataBytes + 1))!
        for (coding, stored, reason) in [
            (UInt8(2), Array("{}".utf8), "metadata coding 2"), (1, huge, "over the limit"), (1, [1, 2, 3, 4, 5, 6], "compressed metadata"),
        ] {
            let p = temporaryPath("bad")
            defer { unlink(p) }
            _ = FileManager.default.createFile(atPath: p, contents: Data(try reframed(bytes, coding: coding, stored: stored)))
            let r = try TraceReader(path: p)
            #expect(r.header.damage?.reason.contains(reason) == true, "\(r.header.damage?.reason ?? "no damage")")
            let (events, report) = try r.readAll()
            #expect(events == good)
            #expect(!report.problems.isEmpty)
        }
    }
}
