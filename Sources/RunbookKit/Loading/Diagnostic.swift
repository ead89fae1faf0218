import Foundation

/// One problem found in a runbook, where it is and what to do about it.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible, Error {
    /// `review`: a decision a person still has to make (an imported draft's guess); not a problem.
    public enum Level: String, Sendable, Hashable { case error, warning, review }
    public var location: FilePosition
    public var message: String
    public var level: Level

    public init(_ location: FilePosition, _ message: String, level: Level = .error) {
        self.location = location
        self.message = message
        self.level = level
    }

    /// `file:line:column: message`, as compilers print it.
    public var description: String {
        level == .error ? "\(location): \(message)" : "\(location): \(level.rawValue): \(message)"
    }
}

/// Closest candidate by edit distance, for "did you mean" hints.
public enum Suggestion {
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(word.lowercased(), candidate.lowercased())
            if d <= max(2, candidate.count / 3), best.map({ d < $0.1 }) ?? true { best = (candidate, d) }
        }
        return best?.0
    }

    public static func hint(for word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { "; did you mean `\($0)`?" } ?? ""
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// Durations in runbooks: `500ms`, `10s`, `2m`, `1h`, or a bare number of seconds.
public enum DurationText {
    public static func seconds(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("min", 60), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let n = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), n > 0, n.isFinite else { return nil }
            return n * factor
        }
        guard let n = Double(t), n > 0, n.isFinite else { return nil }
        return n
    }

    /// `250 ms`, `2 s`, `1.5 s`: a duration as messages say it.
    public static func text(_ s: Double) -> String {
        s < 1 ? "\(Int(s * 1000)) ms" : (s == s.rounded() ? "\(Int(s)) s" : oneDecimal(s) + " s")
    }

    /// A step's duration as a line shows it: `0.4 ms` under 10 ms, `12 ms` from there.
    public static func milliseconds(_ ms: Double) -> String {
        (ms < 10 ? oneDecimal(ms) : whole(ms)) + " ms"
    }

    /// `x` rounded to a whole number (what `%.0f` writes, without `String(format:)`, whose locale loads ICU).
    public static func whole(_ x: Double) -> String {
        guard x.isFinite, abs(x) < 1e15 else { return "\(x)" }
        return "\(Int(x.rounded()))"
    }

    /// `x` with one decimal (`%.1f`).
    public static func oneDecimal(_ x: Double) -> String {
        guard x.isFinite, abs(x) < 1e14 else { return "\(x)" }
        let tenths = Int((x * 10).rounded())
        return (tenths < 0 ? "-" : "") + "\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}
