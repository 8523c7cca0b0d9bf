/// Two outputs compared line by line as they are produced, by their keys, in bounded memory.
///
/// While the two sides agree, a line is dropped as soon as its counterpart has come. At the
/// first disagreement a difference window opens: keys of both sides are kept until the window
/// can be closed, which `EditScript.align` decides when the window has grown enough (it is
/// tried at doubling sizes, so the total work stays proportional to the window): the window
/// closes after the last run of `settleRun` equal lines in it, and what follows goes back to
/// line-by-line agreement. Only 8 bytes per pending line are kept, never the text.
///
/// A window (or a lead of one side) that grows past `windowLimit` lines (a million by default),
/// or that `align` cannot align within its work limit, ends the comparison of that output: where
/// it diverged is recorded (`divergence`), and the lines after it are counted, never silently
/// dropped. Memory is thus bounded by 8 bytes x `windowLimit` per side, whatever the traces.
struct StreamAligner {
    /// Lines a difference window may hold on one side.
    static let defaultWindowLimit = 1 << 20
    /// Equal lines that close a difference window (more than twice `diff -u`'s 3 lines of context).
    static let settleRun = 8
    /// Change blocks kept for the report; past them, only counted.
    static let keptBlocks = 50_000

    struct Divergence: Sendable, Equatable {
        /// 0-based line of each side where alignment stopped.
        var a: Int
        var b: Int
        var reason: String
    }

    let workLimit: Int
    let windowLimit: Int
    private var pending: [[UInt64]] = [[], []]
    private var head = [0, 0]
    /// The 0-based line number of `pending[side][head[side]]`.
    private var base = [0, 0]
    private(set) var total = [0, 0]
    private var inWindow = false
    private var nextCheck = 0
    private(set) var blocks: [ChangeBlock] = []
    /// Change blocks past `keptBlocks`, and the lines they remove and insert.
    private(set) var omitted = (blocks: 0, removed: 0, inserted: 0)
    /// The first block past `keptBlocks` (hunks before it must not take its lines as context).
    private(set) var firstOmitted: ChangeBlock?
    private(set) var divergence: Divergence?

    init(workLimit: Int = EditScript.defaultWorkLimit, windowLimit: Int = StreamAligner.defaultWindowLimit) {
        self.workLimit = workLimit
        self.windowLimit = windowLimit
    }

    var isDifferent: Bool { !blocks.isEmpty || omitted.blocks > 0 || divergence != nil }

    /// Lines of `side` waiting for their counterpart.
    func pendingCount(_ side: Int) -> Int { pending[side].count - head[side] }

    mutating func feed(_ side: Int, _ keys: [UInt64]) {
        guard !keys.isEmpty else { return }
        total[side] += keys.count
        guard divergence == nil else { return }
        pending[side].append(contentsOf: keys)
        advance()
    }

    /// Both sides have ended: whatever is pending is aligned as it is.
    mutating func finish() {
        guard divergence == nil, pendingCount(0) > 0 || pendingCount(1) > 0 else { return }
        settle(final: true)
    }

    private mutating func advance() {
        if !inWindow {
            var i = head[0]
            var j = head[1]
            let countA = pending[0].count
            let countB = pending[1].count
            while i < countA && j < countB && pending[0][i] == pending[1][j] {
                i += 1
                j += 1
            }
            consume(i - head[0], j - head[1])
            if pendingCount(0) > 0 && pendingCount(1) > 0 {
                inWindow = true
                nextCheck = pendingCount(0) + pendingCount(1) + 2 * StreamAligner.settleRun
            }
        }
        if inWindow && pendingCount(0) + pendingCount(1) >= nextCheck { settle(final: false) }
        if max(pendingCount(0), pendingCount(1)) > windowLimit {
            if !inWindow { settle(final: false) }
            if divergence == nil && max(pendingCount(0), pendingCount(1)) > windowLimit {
                diverge("more than \(windowLimit) lines apart")
            }
        }
    }

    /// Drops `da` and `db` lines from the front of the pending lines.
    private mutating func consume(_ da: Int, _ db: Int) {
        for (side, n) in [(0, da), (1, db)] where n > 0 {
            head[side] += n
            base[side] += n
            if head[side] == pending[side].count {
                pending[side].removeAll(keepingCapacity: pending[side].count <= 1 << 16)
                head[side] = 0
            } else if head[side] >= 1 << 16 && head[side] * 2 >= pending[side].count {
                pending[side].removeFirst(head[side])
                head[side] = 0
            }
        }
    }

    /// Aligns the window; records its blocks up to the last run of `settleRun` equal lines
    /// (everything, when `final`), and goes back to line-by-line agreement after it.
    ///
    /// Before the end, only as many lines of each side as the shorter side holds are aligned:
    /// the lines one side is ahead by may still come on the other side, and must not be taken
    /// as removed (where lines repeat, a shortest script could place them anywhere).
    private mutating func settle(final: Bool) {
        let common = min(pendingCount(0), pendingCount(1))
        let a = Array(final ? pending[0][head[0]...] : pending[0][head[0]..<(head[0] + common)])
        let b = Array(final ? pending[1][head[1]...] : pending[1][head[1]..<(head[1] + common)])
        guard let found = EditScript.align(a, b, workLimit: workLimit) else {
            diverge("too different to align within the work limit")
            return
        }
        var upTo: (blocks: Int, a: Int, b: Int)?
        if final {
            upTo = (found.count, a.count, b.count)
        } else {
            // The kept run after block i ends at the next block's start (or at the window's end).
            var i = found.count
            while i > 0 {
                let last = found[i - 1]
                let runEndA = i < found.count ? found[i].a.lowerBound : a.count
                let runEndB = i < found.count ? found[i].b.lowerBound : b.count
                if runEndA - last.a.upperBound >= StreamAligner.settleRun {
                    upTo = (i, runEndA, runEndB)
                    break
                }
                i -= 1
            }
        }
        guard let upTo else {
            nextCheck = 2 * (pendingCount(0) + pendingCount(1))
            return
        }
        for block in found[..<upTo.blocks] { record(block.shifted(base[0], base[1])) }
        consume(upTo.a, upTo.b)
        inWindow = false
        if !final { advance() }
    }

    private mutating func record(_ block: ChangeBlock) {
        if blocks.count < StreamAligner.keptBlocks {
            blocks.append(block)
        } else {
            if firstOmitted == nil { firstOmitted = block }
            omitted.blocks += 1
            omitted.removed += block.a.count
            omitted.inserted += block.b.count
        }
    }

    private mutating func diverge(_ reason: String) {
        divergence = Divergence(a: base[0], b: base[1], reason: reason)
        pending = [[], []]
        head = [0, 0]
        inWindow = false
    }
}
