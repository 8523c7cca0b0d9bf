import TraceFormat

/// Port I/O per vCPU over time in a bounded number of buckets, built while streaming: buckets
/// start 1 ms wide and double (merging pairs) whenever the trace outgrows them, so memory stays
/// the same for a trace of a second or of an hour. Lanes are bounded too: the first
/// `maximumLanes - 1` vCPUs seen get one each, and any further vCPUs share the last one,
/// whose vCPU is `otherVCPUs`.
public struct ActivityHistogram: Sendable, Equatable {
    public static let maximumBuckets = 2048
    public static let maximumLanes = 64
    /// The lane of every vCPU past the first `maximumLanes - 1` (no vCPU has this index:
    /// `TraceLimits.maxVCPUs` is far below it).
    public static let otherVCPUs = UInt32.max
    /// ns since VM start of bucket 0's start.
    public private(set) var start: Int64?
    public private(set) var bucketWidth: Int64 = 1_000_000
    /// The vCPU of each lane, in order of first appearance (`otherVCPUs` for the shared lane).
    public private(set) var vcpus: [UInt32] = []
    /// lanes[lane][bucket]
    public private(set) var lanes: [[UInt64]] = []
    /// lane + 1 of each vCPU index below `TraceLimits.maxVCPUs` (0: none yet), so finding a lane
    /// is one load whatever the number of vCPUs.
    private var laneOf = [UInt8](repeating: 0, count: Int(TraceLimits.maxVCPUs))
    private var lastVCPU: UInt32?
    private var lastLane = 0

    public init() {}

    @inline(__always)
    mutating func add(time: Int64, vcpu: UInt32, count: UInt64 = 1) {
        if start == nil {
            // Floored to the bucket width (for times before the VM's start too), but never before
            // the earliest time a trace holds: a bucket's start, start + index x width, then
            // always fits, up to the latest time.
            let r = time % bucketWidth
            let (floored, overflow) = time.subtractingReportingOverflow(r < 0 ? r + bucketWidth : r)
            start = min(time, max(overflow ? time : floored, -Int64(TraceLimits.maxTimeOffset)))
        }
        guard let s = start, time >= s else { return }
        // Exact in 64 unsigned bits whatever the two times.
        let span = UInt64(bitPattern: time &- s)
        var bucket = span / UInt64(bucketWidth)
        while bucket >= ActivityHistogram.maximumBuckets {
            coarsen()
            bucket = span / UInt64(bucketWidth)
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
        if vcpu < TraceLimits.maxVCPUs, laneOf[Int(vcpu)] > 0 {
            i = Int(laneOf[Int(vcpu)]) - 1
        } else if vcpu < TraceLimits.maxVCPUs, vcpus.count < ActivityHistogram.maximumLanes - 1 {
            vcpus.append(vcpu)
            lanes.append([])
            i = vcpus.count - 1
            laneOf[Int(vcpu)] = UInt8(i + 1)
        } else {
            i = sharedLane()
        }
        lastVCPU = vcpu
        lastLane = i
        return i
    }

    /// The lane every further vCPU shares, made on first use.
    private mutating func sharedLane() -> Int {
        if let i = vcpus.firstIndex(of: ActivityHistogram.otherVCPUs) { return i }
        vcpus.append(ActivityHistogram.otherVCPUs)
        lanes.append([])
        return vcpus.count - 1
    }

    /// Doubles the bucket width, merging neighbours.
    private mutating func coarsen() {
        bucketWidth *= 2
        for l in lanes.indices {
            let lane = lanes[l]
            lanes[l] = stride(from: 0, to: lane.count, by: 2).map { lane[$0] &+ ($0 + 1 < lane.count ? lane[$0 + 1] : 0) }
        }
    }

    /// The counts of one vCPU's lane (empty when it did no port I/O; `otherVCPUs` for the shared lane).
    public func lane(_ vcpu: UInt32) -> [UInt64] { vcpus.firstIndex(of: vcpu).map { lanes[$0] } ?? [] }

    /// Where bucket `i` starts and ends, in ns since the VM's start (an end past the largest
    /// time there is, as the last bucket's may be, is that time).
    public func bounds(_ i: Int) -> (start: Int64, end: Int64) {
        let origin = start ?? 0
        func at(_ k: Int) -> Int64 {
            let (offset, o1) = Int64(k).multipliedReportingOverflow(by: bucketWidth)
            let (t, o2) = origin.addingReportingOverflow(offset)
            return o1 || o2 ? .max : t
        }
        return (at(i), at(i + 1))
    }

    /// All vCPUs summed, per bucket.
    public var total: [UInt64] {
        var sum: [UInt64] = []
        for lane in lanes {
            if sum.count < lane.count { sum.append(contentsOf: repeatElement(0, count: lane.count - sum.count)) }
            for (i, c) in lane.enumerated() { sum[i] &+= c }
        }
        return sum
    }
}
