/// Port I/O per vCPU over time in a bounded number of buckets, built while streaming: buckets
/// start 1 ms wide and double (merging pairs) whenever the trace outgrows them, so memory stays
/// the same for a trace of a second or of an hour.
public struct ActivityHistogram: Sendable, Equatable {
    public static let maximumBuckets = 2048
    /// ns since VM start of bucket 0's start.
    public private(set) var start: Int64?
    public private(set) var bucketWidth: Int64 = 1_000_000
    /// The vCPU of each lane, in order of first appearance.
    public private(set) var vcpus: [UInt32] = []
    /// lanes[lane][bucket]
    public private(set) var lanes: [[UInt64]] = []
    private var lastVCPU: UInt32 = .max
    private var lastLane = 0

    public init() {}

    @inline(__always)
    mutating func add(time: Int64, vcpu: UInt32, count: UInt64 = 1) {
        if start == nil { start = time - time.remainderReportingOverflow(dividingBy: bucketWidth).partialValue }
        guard let s = start, time >= s else { return }
        let (span, overflow) = time.subtractingReportingOverflow(s)
        guard !overflow else { return }
        var bucket = span / bucketWidth
        while bucket >= ActivityHistogram.maximumBuckets {
            coarsen()
            bucket = span / bucketWidth
        }
        let lane = laneIndex(vcpu)
        let b = Int(bucket)
        if lanes[lane].count <= b { lanes[lane].append(contentsOf: repeatElement(0, count: b + 1 - lanes[lane].count)) }
        lanes[lane][b] &+= count
    }

    @inline(__always)
    private mutating func laneIndex(_ vcpu: UInt32) -> Int {
        if vcpu == lastVCPU { return lastLane }
        let i: Int
        if let found = vcpus.firstIndex(of: vcpu) {
            i = found
        } else {
            vcpus.append(vcpu)
            lanes.append([])
            i = vcpus.count - 1
        }
        lastVCPU = vcpu
        lastLane = i
        return i
    }

    /// Doubles the bucket width, merging neighbours.
    private mutating func coarsen() {
        bucketWidth *= 2
        for l in lanes.indices {
            let lane = lanes[l]
            lanes[l] = stride(from: 0, to: lane.count, by: 2).map { lane[$0] + ($0 + 1 < lane.count ? lane[$0 + 1] : 0) }
        }
    }

    /// The counts of one vCPU's lane (empty when it did no port I/O).
    public func lane(_ vcpu: UInt32) -> [UInt64] { vcpus.firstIndex(of: vcpu).map { lanes[$0] } ?? [] }

    /// All vCPUs summed, per bucket.
    public var total: [UInt64] {
        var sum: [UInt64] = []
        for lane in lanes {
            if sum.count < lane.count { sum.append(contentsOf: repeatElement(0, count: lane.count - sum.count)) }
            for (i, c) in lane.enumerated() { sum[i] += c }
        }
        return sum
    }
}
