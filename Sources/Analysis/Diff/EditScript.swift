/// A shortest edit script between two sequences: the one alignment used for POST code
/// sequences and for output lines.
///
/// Myers' O(ND) algorithm in its linear-space form (the middle snake, divide and conquer):
/// memory is O(N + M) whatever the number of differences D, and time O((N + M) D). Before the
/// search, the common prefix and suffix are set aside and elements that occur nowhere in the
/// other sequence are taken out (they can never be kept, so the script stays a shortest one);
/// a block of changed lines therefore costs linear time, not quadratic. The work is bounded:
/// past `workLimit` steps of the search the alignment gives up and says so (`align` returns
/// nil); it never returns a longer script silently.
public enum Edit: Equatable, Sendable {
    /// `a[i]` and `b[j]` are the same element.
    case keep(Int, Int)
    /// `a[i]` is gone in `b`.
    case remove(Int)
    /// `b[j]` is new.
    case insert(Int)
}

/// A region where two sequences differ: `a` replaced by `b` (either may be empty). Between two
/// blocks, and before the first and after the last, the sequences are equal element for element.
public struct ChangeBlock: Equatable, Sendable {
    public var a: Range<Int>
    public var b: Range<Int>

    public init(a: Range<Int>, b: Range<Int>) {
        self.a = a
        self.b = b
    }

    func shifted(_ da: Int, _ db: Int) -> ChangeBlock {
        ChangeBlock(a: (a.lowerBound + da)..<(a.upperBound + da), b: (b.lowerBound + db)..<(b.upperBound + db))
    }
}

public enum EditScript {
    /// Steps of the search (diagonals visited plus elements compared) before an alignment
    /// gives up: about a second of work on the development machine.
    public static let defaultWorkLimit = 400_000_000

    /// The blocks where `a` and `b` differ, in order, from a shortest edit script; nil when
    /// finding one would take more than `workLimit` steps.
    public static func align<T: Hashable>(_ a: [T], _ b: [T], workLimit: Int = defaultWorkLimit) -> [ChangeBlock]? {
        var prefix = 0
        while prefix < a.count && prefix < b.count && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix && suffix < b.count - prefix && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        let aEnd = a.count - suffix
        let bEnd = b.count - suffix
        if prefix == aEnd && prefix == bEnd { return [] }
        if prefix == aEnd || prefix == bEnd { return [ChangeBlock(a: prefix..<aEnd, b: prefix..<bEnd)] }

        // Elements that occur nowhere in the other sequence are removed or inserted in every
        // shortest script: search only among the others.
        let inB = Set(b[prefix..<bEnd])
        let inA = Set(a[prefix..<aEnd])
        let ia = (prefix..<aEnd).filter { inB.contains(a[$0]) }
        let ib = (prefix..<bEnd).filter { inA.contains(b[$0]) }
        var search = MiddleSnakeSearch(a: ia.map { a[$0] }, b: ib.map { b[$0] }, workLimit: workLimit)
        guard search.solve() else { return nil }

        var blocks = BlockCollector(nextA: prefix, nextB: prefix)
        for run in search.keeps {
            for t in 0..<run.count { blocks.kept(ia[run.a + t], ib[run.b + t]) }
        }
        blocks.end(aEnd, bEnd)
        return slidDown(blocks.blocks, a, b)
    }

    /// Shortest scripts are many where lines repeat; this picks, as `diff` does, the one whose
    /// surplus lines come as late as they can. In each block the lines one side has beyond the
    /// other's (a run of removals or of insertions) slide down through equal lines that follow.
    /// The script keeps its length. For a comparison made while lines are still coming, this
    /// keeps the lines one side has and the other has not produced yet at the end of the
    /// window, where they wait for their counterparts instead of being taken as removed.
    static func slidDown<T: Equatable>(_ blocks: [ChangeBlock], _ a: [T], _ b: [T]) -> [ChangeBlock] {
        var blocks = blocks
        var out: [ChangeBlock] = []
        var i = 0
        while i < blocks.count {
            let block = blocks[i]
            let common = min(block.a.count, block.b.count)
            guard block.a.count != block.b.count else {
                out.append(block)
                i += 1
                continue
            }
            // The surplus: removals (or insertions) after the first `common` lines of each side.
            var surplus = ChangeBlock(
                a: (block.a.lowerBound + common)..<block.a.upperBound, b: (block.b.lowerBound + common)..<block.b.upperBound)
            let next = i + 1 < blocks.count ? blocks[i + 1] : nil
            let run = (next?.a.lowerBound ?? a.count) - block.a.upperBound
            var t = 0
            if surplus.b.isEmpty {
                while t < run && a[surplus.a.lowerBound + t] == a[surplus.a.upperBound + t] { t += 1 }
            } else {
                while t < run && b[surplus.b.lowerBound + t] == b[surplus.b.upperBound + t] { t += 1 }
            }
            guard t > 0 else {
                out.append(block)
                i += 1
                continue
            }
            surplus = surplus.shifted(t, t)
            if common > 0 {
                out.append(
                    ChangeBlock(
                        a: block.a.lowerBound..<(block.a.lowerBound + common), b: block.b.lowerBound..<(block.b.lowerBound + common)))
            }
            if t == run, let next {
                // It reached the next block: one block now.
                blocks[i + 1] = ChangeBlock(a: surplus.a.lowerBound..<next.a.upperBound, b: surplus.b.lowerBound..<next.b.upperBound)
            } else {
                out.append(surplus)
            }
            i += 1
        }
        return out
    }

    /// The edit script itself: within each changed block, the removals come before the
    /// insertions (as `diff` prints them). Past `workLimit`, the differing middle is given as
    /// removed and inserted whole (`align` says when that happens).
    public static func diff<T: Hashable>(_ a: [T], _ b: [T], workLimit: Int = defaultWorkLimit) -> [Edit] {
        let blocks = align(a, b, workLimit: workLimit) ?? wholeReplacement(a, b)
        return edits(blocks, countA: a.count, countB: b.count)
    }

    /// The single block between the common prefix and suffix.
    static func wholeReplacement<T: Equatable>(_ a: [T], _ b: [T]) -> [ChangeBlock] {
        var prefix = 0
        while prefix < a.count && prefix < b.count && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix && suffix < b.count - prefix && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        if prefix == a.count && prefix == b.count { return [] }
        return [ChangeBlock(a: prefix..<(a.count - suffix), b: prefix..<(b.count - suffix))]
    }

    /// Blocks expanded into single edits.
    public static func edits(_ blocks: [ChangeBlock], countA: Int, countB: Int) -> [Edit] {
        var edits: [Edit] = []
        var i = 0
        var j = 0
        for block in blocks {
            while i < block.a.lowerBound {
                edits.append(.keep(i, j))
                i += 1
                j += 1
            }
            edits += block.a.map { .remove($0) }
            edits += block.b.map { .insert($0) }
            i = block.a.upperBound
            j = block.b.upperBound
        }
        while i < countA && j < countB {
            edits.append(.keep(i, j))
            i += 1
            j += 1
        }
        return edits
    }
}

/// Turns kept pairs, in order, into the blocks between them.
struct BlockCollector {
    var nextA: Int
    var nextB: Int
    var blocks: [ChangeBlock] = []

    mutating func kept(_ i: Int, _ j: Int) {
        if i > nextA || j > nextB { blocks.append(ChangeBlock(a: nextA..<i, b: nextB..<j)) }
        nextA = i + 1
        nextB = j + 1
    }

    mutating func end(_ countA: Int, _ countB: Int) {
        if countA > nextA || countB > nextB { blocks.append(ChangeBlock(a: nextA..<countA, b: nextB..<countB)) }
    }
}

/// Myers' linear-space search: find a point on a shortest path through the middle of the edit
/// graph (where the forward and backward searches meet), then solve the two halves the same
/// way. Two arrays of diagonals, reused by every step, are all it keeps besides the result.
struct MiddleSnakeSearch<T: Equatable> {
    let a: [T]
    let b: [T]
    let workLimit: Int
    private(set) var work = 0
    /// Runs of kept elements, in order: `a[a..<a+count] == b[b..<b+count]`.
    private(set) var keeps: [(a: Int, b: Int, count: Int)] = []
    private var forward: [Int]
    private var backward: [Int]

    init(a: [T], b: [T], workLimit: Int) {
        self.a = a
        self.b = b
        self.workLimit = workLimit
        let size = a.count + b.count + 4
        forward = [Int](repeating: -1, count: size)
        backward = [Int](repeating: -1, count: size)
    }

    /// Fills `keeps`; false when the work limit was reached first.
    mutating func solve() -> Bool {
        solve(0, a.count, 0, b.count)
    }

    private mutating func solve(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) -> Bool {
        var aLo = aLo
        var bLo = bLo
        var aHi = aHi
        var bHi = bHi
        var prefix = 0
        while aLo + prefix < aHi && bLo + prefix < bHi && a[aLo + prefix] == b[bLo + prefix] { prefix += 1 }
        if prefix > 0 { keeps.append((aLo, bLo, prefix)) }
        aLo += prefix
        bLo += prefix
        var suffix = 0
        while aHi - suffix > aLo && bHi - suffix > bLo && a[aHi - 1 - suffix] == b[bHi - 1 - suffix] { suffix += 1 }
        aHi -= suffix
        bHi -= suffix
        work += prefix + suffix + 1
        if work > workLimit { return false }
        if aLo < aHi && bLo < bHi {
            switch middle(aLo, aHi, bLo, bHi) {
            case .overLimit: return false
            case .none: break  // nothing in common: all of it replaced
            case .split(let x, let y):
                guard solve(aLo, x, bLo, y), solve(x, aHi, y, bHi) else { return false }
            }
        }
        if suffix > 0 { keeps.append((aHi, bHi, suffix)) }
        return true
    }

    private enum Middle {
        case split(Int, Int)
        case none
        case overLimit
    }

    /// A point on a shortest path from (aLo, bLo) to (aHi, bHi), both ranges non-empty.
    /// Diagonal k (x - y) of the forward search sits at `forward[offset + k]`, the furthest x
    /// reached on it; the backward search measures x from the end. Diagonals that run off the
    /// graph are dropped from later rounds (`kStart`, `kEnd`).
    private mutating func middle(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) -> Middle {
        let n = aHi - aLo
        let m = bHi - bLo
        let maxD = (n + m + 1) / 2
        let offset = maxD
        let length = 2 * maxD
        for i in 0..<(length + 2) {
            forward[i] = -1
            backward[i] = -1
        }
        forward[offset + 1] = 0
        backward[offset + 1] = 0
        let delta = n - m
        // With an odd delta the paths meet on a forward step; with an even one, on a backward step.
        let odd = delta & 1 != 0
        var k1Start = 0
        var k1End = 0
        var k2Start = 0
        var k2End = 0
        for d in 0..<maxD {
            var k1 = -d + k1Start
            while k1 <= d - k1End {
                let i = offset + k1
                var x = (k1 == -d || (k1 != d && forward[i - 1] < forward[i + 1])) ? forward[i + 1] : forward[i - 1] + 1
                var y = x - k1
                let x0 = x
                while x < n && y < m && a[aLo + x] == b[bLo + y] {
                    x += 1
                    y += 1
                }
                work += 1 + x - x0
                forward[i] = x
                if x > n {
                    k1End += 2
                } else if y > m {
                    k1Start += 2
                } else if odd {
                    let j = offset + delta - k1
                    if j >= 0 && j < length && backward[j] != -1 && x >= n - backward[j] { return .split(aLo + x, bLo + y) }
                }
                k1 += 2
            }
            var k2 = -d + k2Start
            while k2 <= d - k2End {
                let i = offset + k2
                var x = (k2 == -d || (k2 != d && backward[i - 1] < backward[i + 1])) ? backward[i + 1] : backward[i - 1] + 1
                var y = x - k2
                let x0 = x
                while x < n && y < m && a[aHi - 1 - x] == b[bHi - 1 - y] {
                    x += 1
                    y += 1
                }
                work += 1 + x - x0
                backward[i] = x
                if x > n {
                    k2End += 2
                } else if y > m {
                    k2Start += 2
                } else if !odd {
                    let j = offset + delta - k2
                    if j >= 0 && j < length && forward[j] != -1 {
                        let fx = forward[j]
                        let fy = offset + fx - j
                        if fx >= n - x { return .split(aLo + fx, bLo + fy) }
                    }
                }
                k2 += 2
            }
            if work > workLimit { return .overLimit }
        }
        return .none
    }
}
