/// The limits on what a trace may hold: one set, used by the writer (which refuses what goes
/// over them, naming the limit) and by the reader (which treats a file that goes over them as
/// damaged), so whatever one accepts the other reads. Listed in docs/trace-format.md.
public enum TraceLimits {
    /// Access widths an x86 port access has.
    public static let accessSizes: Set<UInt8> = [1, 2, 4]
    /// size x count of one access: KVM hands string I/O over a page at a time.
    public static let maxAccessBytes = 4096
    /// A marker's name, UTF-8 bytes.
    public static let maxMarkerName = 4096
    /// A marker's text, UTF-8 bytes.
    public static let maxMarkerText = 65536
    /// The header frame (fixed fields and metadata JSON).
    public static let maxHeaderBytes = 1 << 20
    /// Fixed bytes of the header frame before the metadata: frame magic and size, tag, versions,
    /// state, max block bytes, metadata length, checksum.
    static let headerFixedBytes = 32
    /// The largest metadata JSON a header holds.
    public static var maxMetadataBytes: Int { maxHeaderBytes + 8 - headerFixedBytes }
    /// Decompressed bytes of one block, whatever a header declares.
    public static let maxBlockBytes = 64 << 20
    /// Distinct shapes in one block.
    public static let maxShapesPerBlock = 65536

    /// Why an access cannot be in a trace, or nil when it can.
    public static func problem(with shape: EventShape) -> String? {
        guard accessSizes.contains(shape.size) else { return "access size \(shape.size) is not 1, 2 or 4" }
        guard shape.count >= 1 else { return "repeat count 0" }
        let bytes = Int(shape.size) * Int(shape.count)
        guard bytes <= maxAccessBytes else {
            return "size \(shape.size) x count \(shape.count) = \(bytes) bytes is over the limit of \(maxAccessBytes) bytes per access"
        }
        return nil
    }

    /// Why a marker cannot be in a trace, or nil when it can.
    public static func problem(with marker: Marker) -> String? {
        let name = marker.name.utf8.count
        let text = marker.text.utf8.count
        guard name >= 1 else { return "a marker needs a name" }
        guard name <= maxMarkerName else { return "marker name is \(name) bytes, over the limit of \(maxMarkerName)" }
        guard text <= maxMarkerText else { return "marker text is \(text) bytes, over the limit of \(maxMarkerText)" }
        return nil
    }
}
