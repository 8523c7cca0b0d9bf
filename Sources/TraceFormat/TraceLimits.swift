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
    /// vCPU indices run from 0 to `maxVCPUs - 1`. KVM's own ceiling on x86 is 4,096 vCPUs per VM
    /// (`KVM_MAX_VCPUS`, at most 4,096 whatever the kernel's configuration; 512 on arm64), so no
    /// recording can hold a higher index, and nothing sized per vCPU grows past this.
    public static let maxVCPUs: UInt32 = 4096
    /// The farthest an event's time may lie from the VM's start (`vm_start_ns`, 0 when the header
    /// has none), before or after it: Int64.max / 2 ns, about 146 years. Every offset then fits a
    /// signed 64-bit number, and so does the difference of any two (durations, gaps, spans).
    public static let maxTimeOffset = UInt64(Int64.max / 2)

    /// The time every offset is taken from: the header's `vm_start_ns`, or 0 without one.
    public static func timeOrigin(of metadata: TraceMetadata) -> UInt64 { metadata.vmStartNs ?? 0 }

    /// `t` as ns since `origin` (negative before it), or nil when it is further than `maxTimeOffset`.
    @inline(__always)
    public static func timeOffset(_ t: UInt64, origin: UInt64) -> Int64? {
        if t >= origin {
            let d = t - origin
            return d <= maxTimeOffset ? Int64(d) : nil
        }
        let d = origin - t
        return d <= maxTimeOffset ? -Int64(d) : nil
    }

    /// Why an event at `t` cannot be in a trace whose VM started at `origin`, or nil when it can.
    public static func problem(withTime t: UInt64, origin: UInt64) -> String? {
        guard timeOffset(t, origin: origin) == nil else { return nil }
        let way = t >= origin ? "\(t - origin) ns after" : "\(origin - t) ns before"
        return "time \(t) ns is \(way) the VM's start (vm_start_ns \(origin)), over the limit of \(maxTimeOffset) ns (about 146 years)"
    }

    /// The position of the first of `timestamps` further than `maxTimeOffset` from `origin`, if any.
    public static func firstTimeOverLimit(_ timestamps: [UInt64], origin: UInt64) -> Int? {
        let lo = origin >= maxTimeOffset ? origin - maxTimeOffset : 0
        let (sum, overflow) = origin.addingReportingOverflow(maxTimeOffset)
        let hi = overflow ? UInt64.max : sum
        return timestamps.firstIndex { $0 < lo || $0 > hi }
    }

    /// Why a vCPU index cannot be in a trace, or nil when it can.
    public static func problem(withVCPU vcpu: UInt32) -> String? {
        vcpu < maxVCPUs ? nil : "vCPU \(vcpu) is over the limit: indices run from 0 to \(maxVCPUs - 1)"
    }

    /// Why an access cannot be in a trace, or nil when it can.
    public static func problem(with shape: EventShape) -> String? {
        if let why = problem(withVCPU: shape.vcpu) { return why }
        // `accessSizes`, without hashing: this runs for every event written.
        guard shape.size == 1 || shape.size == 2 || shape.size == 4 else { return "access size \(shape.size) is not 1, 2 or 4" }
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
