import Foundation

/// Every process's parent, name, CPU time and resident memory, from one
/// read of /proc/PID/stat each.
public struct ProcessTable: Sendable {
    public struct Entry: Sendable, Hashable {
        public var pid: Int
        public var parent: Int
        public var name: String
        /// Clock ticks (USER_HZ) spent: user and system, its own and its waited-for children's.
        public var ticks: UInt64
        public var residentPages: Double
        /// When it started, in clock ticks since boot: with the pid, who it is.
        public var startTicks: UInt64
    }

    public var entries: [Int: Entry]

    public init(entries: [Int: Entry]) { self.entries = entries }

    public static func read() -> ProcessTable {
        var entries: [Int: Entry] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int(name), let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let entry = parse(stat: text, pid: pid)
            else { continue }
            entries[pid] = entry
        }
        return ProcessTable(entries: entries)
    }

    /// One process's /proc/PID/stat: `pid (name) state ppid ...`, the name
    /// in parentheses (it may hold spaces and parentheses itself).
    public static func parse(stat text: String, pid: Int) -> Entry? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else { return nil }
        let name = String(text[text.index(after: open)..<close])
        let rest = text[text.index(after: close)...].split(separator: " ")
        // rest[0] is field 3 (state): field N is rest[N - 3].
        func field(_ n: Int) -> UInt64? { n - 3 < rest.count ? UInt64(rest[n - 3]) : nil }
        guard let parent = field(4), let utime = field(14), let stime = field(15), let cutime = field(16), let cstime = field(17),
            let start = field(22), let rss = field(24)
        else { return nil }
        return Entry(
            pid: pid, parent: Int(parent), name: name, ticks: utime + stime + cutime + cstime, residentPages: Double(rss),
            startTicks: start)
    }

    /// `roots` and every process below them.
    public func family(of roots: Set<Int>) -> Set<Int> {
        var children: [Int: [Int]] = [:]
        for e in entries.values { children[e.parent, default: []].append(e.pid) }
        var out = roots.filter { entries[$0] != nil }
        var queue = Array(out)
        while let pid = queue.popLast() {
            for child in children[pid] ?? [] where out.insert(child).inserted { queue.append(child) }
        }
        return out
    }

    /// The CPU ticks `roots` and their descendants spent since `earlier`:
    /// a process that ended in between counts through the parent that waited for it.
    public func ticks(since earlier: ProcessTable, of roots: Set<Int>) -> UInt64 {
        var total: UInt64 = 0
        for pid in family(of: roots) {
            guard let now = entries[pid] else { continue }
            let before = earlier.entries[pid].flatMap { $0.startTicks == now.startTicks ? $0.ticks : nil } ?? 0
            total += now.ticks > before ? now.ticks - before : 0
        }
        return total
    }
}
