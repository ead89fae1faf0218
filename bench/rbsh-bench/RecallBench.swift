import Foundation
import IncidentMemory

/// `rbsh-bench recall INDEX N CAUSE...`: the recall line of a diagnosis
/// (every cause at once, as triage asks), N times on one open index, and
/// the index opened and asked once; medians in ms.
/// `rbsh-bench remember INDEX FILE...`: each transcript added to the index
/// as a session's end adds it; the median and the slowest in ms.
enum RecallBench {
    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    static func ms(_ d: Duration) -> Double { Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000 }

    static func recall(_ args: [String]) throws {
        guard args.count >= 3, let n = Int(args[1]) else { throw MemoryError("recall INDEX N CAUSE...") }
        let causes = Array(args.dropFirst(2))
        let clock = ContinuousClock()
        var opened: [Double] = []
        for _ in 0..<20 {
            let t = clock.now
            let index = try MemoryIndex(path: args[0])
            _ = try index.recall(causes)
            opened.append(ms(clock.now - t))
        }
        let index = try MemoryIndex(path: args[0])
        var warm: [Double] = []
        var said: [String: CauseRecall] = [:]
        for _ in 0..<n {
            let t = clock.now
            said = try index.recall(causes)
            warm.append(ms(clock.now - t))
        }
        for c in causes { print("  \(c): \(said[c]?.line ?? "?")") }
        print(
            String(
                format: "recall of %d causes: %.2f ms median on an open index, %.2f ms opening it too", causes.count, median(warm),
                median(opened)))
    }

    static func remember(_ args: [String]) throws {
        guard args.count >= 2 else { throw MemoryError("remember INDEX FILE...") }
        let index = try MemoryIndex(path: args[0])
        let clock = ContinuousClock()
        var times: [Double] = []
        for file in args.dropFirst() {
            let t = clock.now
            let added = try index.add(path: file)
            times.append(ms(clock.now - t))
            guard added == .added else { throw MemoryError("\(file): \(added), not added") }
        }
        print(String(format: "one transcript added: %.2f ms median, %.2f ms slowest of %d", median(times), times.max() ?? 0, times.count))
    }
}
