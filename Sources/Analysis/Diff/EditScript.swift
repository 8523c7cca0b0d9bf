/// A shortest edit script between two sequences (Myers' O(ND) algorithm): the one alignment
/// used for POST code sequences and for output lines.
public enum Edit: Equatable, Sendable {
    /// `a[i]` and `b[j]` are the same element.
    case keep(Int, Int)
    /// `a[i]` is gone in `b`.
    case remove(Int)
    /// `b[j]` is new.
    case insert(Int)
}

public enum EditScript {
    /// Differences beyond this many edits are not searched for: the rest is reported as a
    /// replacement, which keeps time and memory bounded (O(limit^2)) on unrelated inputs.
    public static let defaultLimit = 20_000

    public static func diff<T: Equatable>(_ a: [T], _ b: [T], limit: Int = defaultLimit) -> [Edit] {
        // Common prefix and suffix first: the usual case (small changes) costs nothing more.
        var prefix = 0
        while prefix < a.count && prefix < b.count && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix && suffix < b.count - prefix && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let ma = Array(a[prefix..<(a.count - suffix)])
        let mb = Array(b[prefix..<(b.count - suffix)])
        var edits = (0..<prefix).map { Edit.keep($0, $0) }
        edits += myers(ma, mb, limit: limit).map { e in
            switch e {
            case .keep(let i, let j): return .keep(i + prefix, j + prefix)
            case .remove(let i): return .remove(i + prefix)
            case .insert(let j): return .insert(j + prefix)
            }
        }
        edits += (0..<suffix).map { .keep(a.count - suffix + $0, b.count - suffix + $0) }
        return edits
    }

    static func myers<T: Equatable>(_ a: [T], _ b: [T], limit: Int) -> [Edit] {
        let n = a.count
        let m = b.count
        if n == 0 { return (0..<m).map { .insert($0) } }
        if m == 0 { return (0..<n).map { .remove($0) } }
        let maxD = min(n + m, limit)
        let offset = maxD + 1
        var v = [Int](repeating: 0, count: 2 * maxD + 3)
        var trace: [[Int]] = []
        var found = false
        outer: for d in 0...maxD {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                    x = v[offset + k + 1]
                } else {
                    x = v[offset + k - 1] + 1
                }
                var y = x - k
                while x < n && y < m && a[x] == b[y] {
                    x += 1
                    y += 1
                }
                v[offset + k] = x
                if x >= n && y >= m {
                    found = true
                    break outer
                }
            }
        }
        guard found else {
            // Too different to align within the limit: everything replaced.
            return (0..<n).map { .remove($0) } + (0..<m).map { .insert($0) }
        }
        // Walk back through the saved frontiers.
        var edits: [Edit] = []
        var x = n
        var y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let v = trace[d]
            let k = x - y
            let prevK: Int
            if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                prevK = k + 1
            } else {
                prevK = k - 1
            }
            let prevX = d == 0 ? 0 : v[offset + prevK]
            let prevY = prevX - prevK
            while x > prevX && y > prevY {
                x -= 1
                y -= 1
                edits.append(.keep(x, y))
            }
            if d > 0 {
                if x == prevX {
                    y -= 1
                    edits.append(.insert(y))
                } else {
                    x -= 1
                    edits.append(.remove(x))
                }
            }
            x = prevX
            y = prevY
        }
        // At d == 0 the loop above also consumed the leading snake.
        return edits.reversed()
    }
}
