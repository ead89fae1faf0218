import Foundation
import Logging
import RunbookKit

/// Runs started by alerts: admitted (or not) at once, queued with a bound,
/// run with bounded concurrency, journaled on disk from admission to end so
/// that a restart finishes what was accepted.
///
/// `@unchecked Sendable`: every field is guarded by `lock`; workers are threads.
public final class AlertRunQueue: @unchecked Sendable {
    /// A run accepted from an alert, as the journal keeps it.
    public struct Job: Sendable, Codable, Hashable {
        public var id: String
        public var runbook: String
        public var answers: [String: String]
        /// Targets the rule set for this alert.
        public var targets: TargetOverrides
        public var allow: Risk?
        public var groupKey: String
        public var labels: [String: String]
        public var annotations: [String: String]
        public var accepted: Date
        /// Where its transcript goes (a Markdown postmortem beside it, `.md`).
        public var transcript: String
        /// The rule's inventory and pattern for this alert: the run walks those hosts.
        public var hosts: String?
        public var limit: String?
    }

    public enum RunStatus: String, Sendable, Codable {
        case queued, running, ok, warning, critical, unknown

        /// How a run that ended came out.
        public init(_ outcome: OutcomeStatus) {
            switch outcome {
            case .ok: self = .ok
            case .warning: self = .warning
            case .critical: self = .critical
            case .unknown: self = .unknown
            }
        }
    }

    /// A run as `GET /runs` lists it.
    public struct RunRecord: Sendable, Codable, Hashable {
        public var id: String
        public var runbook: String
        public var status: RunStatus
        public var transcript: String
        public var groupKey: String
        public var accepted: Date
        public var started: Date?
        public var finished: Date?
        /// When Alertmanager said the group resolved.
        public var resolved: Date?

        enum CodingKeys: String, CodingKey {
            case id, runbook, status, transcript, accepted, started, finished, resolved
            case groupKey = "group_key"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(runbook, forKey: .runbook)
            try c.encode(status, forKey: .status)
            try c.encode(transcript, forKey: .transcript)
            try c.encode(groupKey, forKey: .groupKey)
            try c.encode(accepted, forKey: .accepted)
            try c.encode(started, forKey: .started)
            try c.encode(finished, forKey: .finished)
            try c.encode(resolved, forKey: .resolved)
        }
    }

    /// What became of a notification.
    public enum Admission: Sendable, Hashable {
        /// A run was queued.
        case queued(String)
        /// The group already has a run within the dedup window.
        case duplicate(String)
        /// The group resolved: recorded against its run, if it had one.
        case resolved(String?)
        /// No rule matches it.
        case unmatched
        /// The queue is full (or the journal cannot be written): Alertmanager should retry.
        case full(String)
        /// The server is stopping.
        case stopping
    }

    /// Runs a job to its end; `stop` turns true when it must stop now.
    public typealias Execute = @Sendable (_ job: Job, _ stop: @escaping @Sendable () -> Bool) -> OutcomeStatus

    private let lock = NSCondition()
    private let concurrency: Int
    private let capacity: Int
    private let dedup: Double
    private let journal: String
    private let transcripts: String
    private let execute: Execute
    private let logger: Logger
    private var pending: [Job] = []
    private var records: [RunRecord] = []
    private var windows: [String: (run: String, until: Date)] = [:]
    private var running = 0
    private var accepting = true
    private var draining = false
    private var stopNow = false
    private var counter = 0

    public init(
        concurrency: Int, capacity: Int, dedup: Double, transcripts: String, logger: Logger, execute: @escaping Execute
    ) throws(AlertError) {
        self.concurrency = max(1, concurrency)
        self.capacity = max(1, capacity)
        self.dedup = dedup
        self.transcripts = transcripts
        self.journal = (transcripts as NSString).appendingPathComponent(".serve-journal")
        self.execute = execute
        self.logger = logger
        do { try FileManager.default.createDirectory(atPath: journal, withIntermediateDirectories: true) } catch {
            throw AlertError("cannot make the journal folder \(journal): \(error.localizedDescription)")
        }
    }

    /// Re-queues what an earlier server accepted and did not finish, then starts the workers.
    public func start() {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: journal)) ?? []).filter { $0.hasSuffix(".json") }
        var restored: [Job] = []
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for name in names {
            guard let data = FileManager.default.contents(atPath: journal + "/" + name), let job = try? decoder.decode(Job.self, from: data)
            else {
                logger.warning("unreadable journal entry left aside", metadata: ["file": "\(name)"])
                continue
            }
            restored.append(job)
        }
        restored.sort { $0.accepted < $1.accepted }
        lock.lock()
        for job in restored {
            pending.append(job)
            records.append(
                RunRecord(
                    id: job.id, runbook: job.runbook, status: .queued, transcript: job.transcript, groupKey: job.groupKey,
                    accepted: job.accepted))
            windows[job.groupKey] = (job.id, Date().addingTimeInterval(dedup))
        }
        for _ in 0..<concurrency {
            Thread { [self] in work() }.start()
        }
        lock.unlock()
        if !restored.isEmpty { logger.info("re-queued runs a stopped server accepted", metadata: ["runs": "\(restored.count)"]) }
    }

    /// Admits a notification: a run queued (journaled first), or why not.
    public func admit(_ n: AlertmanagerNotification, rules: [AlertRule]) -> Admission {
        lock.lock()
        defer { lock.unlock() }
        guard accepting else { return .stopping }
        let now = Date()
        if n.status == "resolved" {
            let run = windows.removeValue(forKey: n.groupKey)?.run
            if let run, let i = records.firstIndex(where: { $0.id == run }) { records[i].resolved = now }
            return .resolved(run)
        }
        if let w = windows[n.groupKey], w.until > now { return .duplicate(w.run) }
        guard let (rule, labels, annotations) = AlertRule.pick(rules, for: n) else { return .unmatched }
        guard pending.count < capacity else { return .full("\(pending.count) runs are waiting") }
        counter += 1
        let stamp = ISO8601DateFormatter.string(
            from: now, timeZone: TimeZone(identifier: "UTC") ?? .current, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        let id = "\(stamp)-\(getpid())-\(counter)"
        var job = Job(
            id: id, runbook: rule.runbook, answers: rule.answers(labels: labels, annotations: annotations),
            targets: rule.targets(labels: labels, annotations: annotations), allow: rule.allow,
            groupKey: n.groupKey, labels: labels, annotations: annotations, accepted: now,
            transcript: (transcripts as NSString).appendingPathComponent("alert-\(rule.runbook)-\(id).jsonl"))
        let fleet = rule.fleet(labels: labels, annotations: annotations)
        job.hosts = fleet?.hosts
        job.limit = fleet?.limit
        // On disk before it is acknowledged: what Alertmanager hears was accepted survives a restart.
        do { try write(job) } catch { return .full("the journal cannot be written: \(error.localizedDescription)") }
        pending.append(job)
        records.append(
            RunRecord(id: id, runbook: job.runbook, status: .queued, transcript: job.transcript, groupKey: n.groupKey, accepted: now))
        if records.count > 500 { records.removeFirst(records.count - 500) }
        windows[n.groupKey] = (id, now.addingTimeInterval(dedup))
        lock.signal()
        return .queued(id)
    }

    /// The last runs, oldest first.
    public var runs: [RunRecord] { lock.withLock { records } }

    /// How many runs are executing now.
    public var runningCount: Int { lock.withLock { running } }

    /// From now on nothing is accepted and no queued run starts (SIGTERM, at once).
    public func stopTaking() {
        lock.withLock {
            accepting = false
            draining = true
            lock.broadcast()
        }
    }

    /// Stops accepting; lets running runs finish within `grace` seconds,
    /// then tells them to stop; leaves queued ones in the journal. Returns
    /// once no run is executing.
    public func drain(grace: Double) {
        stopTaking()
        lock.lock()
        let deadline = Date().addingTimeInterval(grace)
        while running > 0, Date() < deadline { _ = lock.wait(until: min(deadline, Date().addingTimeInterval(0.1))) }
        if running > 0 {
            stopNow = true
            logger.warning("runs still going after the grace period are stopped", metadata: ["runs": "\(running)"])
            while running > 0 { _ = lock.wait(until: Date().addingTimeInterval(0.1)) }
        }
        lock.unlock()
    }

    private func work() {
        while true {
            lock.lock()
            while pending.isEmpty || draining {
                if draining {
                    lock.unlock()
                    return
                }
                lock.wait()
            }
            let job = pending.removeFirst()
            running += 1
            update(job.id) {
                $0.status = .running
                $0.started = Date()
            }
            lock.unlock()
            logger.info("run started", metadata: ["run": "\(job.id)", "runbook": "\(job.runbook)", "group_key": "\(job.groupKey)"])
            let status = execute(job) { [self] in lock.withLock { stopNow } }
            logger.info(
                "run finished",
                metadata: [
                    "run": "\(job.id)", "runbook": "\(job.runbook)", "status": "\(status.rawValue)", "transcript": "\(job.transcript)",
                ])
            lock.lock()
            // A run stopped by the shutdown stays in the journal: the next server runs it again.
            // The entry goes before the run counts as ended, so a drain never returns ahead of it.
            if !stopNow { try? FileManager.default.removeItem(atPath: journalPath(job.id)) }
            running -= 1
            update(job.id) {
                $0.status = RunStatus(status)
                $0.finished = Date()
            }
            lock.broadcast()
            lock.unlock()
        }
    }

    /// With the lock held.
    private func update(_ id: String, _ change: (inout RunRecord) -> Void) {
        if let i = records.lastIndex(where: { $0.id == id }) { change(&records[i]) }
    }

    private func journalPath(_ id: String) -> String { journal + "/" + id + ".json" }

    private func write(_ job: Job) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(job)
        try data.write(to: URL(fileURLWithPath: journalPath(job.id)), options: .atomic)
    }
}
