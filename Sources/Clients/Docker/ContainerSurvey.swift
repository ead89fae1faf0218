import Dispatch
import Foundation

/// What one look at the engine tells of some Compose services: each service's containers as state, the memory
/// each running one uses (from its control group's files where this machine has them, else the engine's
/// sample), the last lines of each one's log. The slow parts (the engine's memory sample can take up to its
/// next collection, a second) are read at once and only until the deadline: what is not read by then is
/// named, and the rest stands.
public struct ContainerSurvey: Sendable {
    public struct Container: Sendable {
        public var state: ContainerState
        /// Bytes in use without the page cache, when read.
        public var memoryUsed: Double?
        /// Its log's last lines, when asked for and read.
        public var log: [String]?
    }

    /// The containers of the services, each service's worst first (not running before running).
    public var containers: [Container]
    /// What was asked for and not read within the deadline, in words (`memory of network-probe-api-1`).
    public var unread: [String]

    /// The containers of `services`: matched by their Compose service label, or by a container name that is
    /// the service's (`container_name:`, a plain `docker run --name`); of `project` only when it is not empty.
    public static func read(
        _ engine: DockerEngine, project: String, services: [String], logLines: Int, stats: Bool, deadline: ContinuousClock.Instant
    ) throws(NetworkError) -> ContainerSurvey {
        func remaining() throws(NetworkError) -> Double {
            let left = Double((deadline - ContinuousClock.now).milliseconds) / 1000
            guard left > 0 else { throw .timeout("the Docker engine at \(engine.socketPath)") }
            return left
        }
        let listed = try engine.list(project: project.isEmpty ? nil : project, timeout: try remaining())
        let wanted = listed.filter { c in services.contains { $0 == c.service || $0 == c.name } }
        var unread: [String] = []
        // Inspected at once, for half of what is left: the engine holds a container while it starts it (in a
        // restart loop, again and again), and one it keeps waiting stands as its list has it.
        let inspections = try concurrently(wanted.map { c in { .state(try engine.inspect(c.id, timeout: $0)) } }, budget: remaining() / 2)
        let states = wanted.indices.map { i in
            if case .state(let s) = inspections[i] { return s }
            unread.append("the state of \(wanted[i].name) beyond the engine's list")
            return wanted[i]
        }
        let ranked = states.sorted { a, b in
            (a.status == "running" ? 1 : 0, a.name) < (b.status == "running" ? 1 : 0, b.name)
        }
        var survey = ContainerSurvey(containers: ranked.map { Container(state: $0) }, unread: unread)

        // Each slow read on a thread of its own (they wait on the engine, not on a core), kept until the deadline.
        var reads: [(index: Int, memory: Bool)] = []
        for (i, c) in survey.containers.enumerated() {
            if stats, c.state.status == "running" { reads.append((i, true)) }
            if logLines > 0 { reads.append((i, false)) }
        }
        guard !reads.isEmpty else { return survey }
        let got = try concurrently(
            reads.map { read in
                let id = survey.containers[read.index].state.id
                let pid = survey.containers[read.index].state.pid
                // The log of its last run: what it said since it last started (all of its last lines when that is not
                // known, or in a restart loop).
                let since = survey.containers[read.index].state.logSince(now: Date())
                return { budget in
                    // Its control group's files where this machine has them, at once; else the engine's one sample.
                    read.memory
                        ? (try ContainerMemory.used(pid: pid, id: id) ?? engine.memory(id, timeout: budget)?.used).map { .memory($0) }
                        : .log(try engine.logTail(id, lines: logLines, since: since, timeout: budget))
                }
            }, budget: remaining())
        for (n, read) in reads.enumerated() {
            let name = survey.containers[read.index].state.name
            switch got[n] {
            case .memory(let used): survey.containers[read.index].memoryUsed = used
            case .log(let lines): survey.containers[read.index].log = lines
            default: survey.unread.append("\(read.memory ? "memory" : "log") of \(name)")
            }
        }
        return survey
    }

    /// Each read on a thread of its own (they wait on the engine, not on a core), their answers as they stand
    /// after `budget` seconds: nil for one that failed or had not answered.
    private static func concurrently(
        _ reads: [@Sendable (Double) throws -> Answers.Answer?], budget: Double
    ) -> [Answers.Answer?] {
        let answers = Answers()
        let group = DispatchGroup()
        for (n, read) in reads.enumerated() {
            DispatchQueue.global().async(group: group) { if let a = try? read(budget) { answers.set(n, a) } }
        }
        _ = group.wait(timeout: .now() + budget)
        let got = answers.all
        return reads.indices.map { got[$0] }
    }
}

/// The slow reads' answers, from the threads that read them.
private final class Answers: @unchecked Sendable {
    enum Answer { case state(ContainerState), memory(Double), log([String]) }
    private let lock = NSLock()
    private var answers: [Int: Answer] = [:]
    func set(_ n: Int, _ answer: Answer) { lock.withLock { answers[n] = answer } }
    var all: [Int: Answer] { lock.withLock { answers } }
}
