import Foundation

/// How one host of a fleet came out of a walk.
public struct HostOutcome: Sendable {
    public enum Status: String, Sendable, Codable, Comparable, CaseIterable {
        case ok, warning, critical, unknown, unreachable

        public init(_ outcome: OutcomeStatus) { self = Status(rawValue: outcome.rawValue) ?? .unknown }

        /// As a run's status: an unreachable host is critical.
        public var outcome: OutcomeStatus { OutcomeStatus(rawValue: rawValue) ?? .critical }

        public static func < (a: Status, b: Status) -> Bool { a.outcome < b.outcome || (a.outcome == b.outcome && a.rawValue < b.rawValue) }
    }

    public var host: String
    public var status: Status
    /// The host's findings (its own steps'), each with the host.
    public var findings: [Finding]
    /// Its walk; nil when ssh could not reach it.
    public var session: RunbookSession?
    /// Every step run for it, in order.
    public var durations: [(step: String, status: StepStatus, ms: Double)]
}

/// One runbook walked on many hosts: a session and a stepper per host, at
/// most `forks` at once, all through the one stepping loop and into one
/// transcript, each event of a host's walk marked with the host.
///
/// Steps that run on hosts (`Step.runsOnHosts`) run on each through its
/// runner; the others run once, here: the first host to reach one runs
/// it, the rest take its result, and the transcript has it once, without
/// a host. A host ssh cannot reach is a critical finding of its own,
/// `host-unreachable`, with ssh's reason; the others go on.
public final class FleetWalk: @unchecked Sendable {
    public let hosts: [String]
    public let forks: Int
    let recorder: SessionRecorder
    let stepperHost: any StepperHost
    let session: @Sendable (String) -> RunbookSession
    let connect: @Sendable (String) -> String?
    let runner: @Sendable (String) -> any StepRunner
    let signal: @Sendable () -> String?
    /// Called as each host's walk ends (to show it).
    public var finished: (@Sendable (HostOutcome) -> Void)?
    /// A person deciding for all hosts at once (the shell); without, each
    /// host's walk asks `stepperHost` (unattended: the policy decides).
    public var decisions: FleetDecisions?
    private let localEvents = SeenKeys()

    /// The id of the finding for a host ssh could not reach.
    public static let unreachable = "host-unreachable"

    public init(
        hosts: [String], forks: Int, recorder: SessionRecorder, stepperHost: any StepperHost,
        session: @escaping @Sendable (String) -> RunbookSession, connect: @escaping @Sendable (String) -> String?,
        runner: @escaping @Sendable (String) -> any StepRunner, signal: @escaping @Sendable () -> String? = { nil }
    ) {
        self.hosts = hosts
        self.forks = max(1, forks)
        self.recorder = recorder
        self.stepperHost = stepperHost
        self.session = session
        self.connect = connect
        self.runner = runner
        self.signal = signal
    }

    /// Walks every host; their outcomes in the inventory's order.
    public func run() -> [HostOutcome] {
        let slots = OutcomeSlots(count: hosts.count)
        let gate = DispatchSemaphore(value: forks)
        let done = DispatchGroup()
        for (i, host) in hosts.enumerated() {
            gate.wait()
            done.enter()
            Thread { [self] in
                let outcome = walk(host)
                slots.set(i, outcome)
                finished?(outcome)
                gate.signal()
                done.leave()
            }.start()
        }
        done.wait()
        return slots.all
    }

    private func walk(_ host: String) -> HostOutcome {
        decisions?.began(host)
        defer { decisions?.ended(host) }
        let driver = decisions?.host(for: host) ?? stepperHost
        let interrupted = driver.interruption()
        if driver.walkInterrupted || driver.sessionEnding {
            return HostOutcome(host: host, status: .unknown, findings: [], session: nil, durations: [])
        }
        let start = session(host)
        let book = start.runbook
        let started = ContinuousClock.now
        if let reason = connect(host) {
            let ms = (ContinuousClock.now - started).milliseconds
            var result = StepResult(status: interrupted() ? .interrupted : .failed, error: reason)
            result.durationMilliseconds = ms
            let finding = Finding(
                id: Self.unreachable, severity: .critical, message: "\(host) is unreachable over ssh: \(reason)", step: "connect",
                runbook: book.id)
            recorder.record(
                .onHost(
                    host, .stepStarted(step: "connect", title: "ssh connection", kind: "ssh", purpose: .diagnose, detail: "ssh \(host)")))
            recorder.record(.onHost(host, .stepEnded(step: "connect", purpose: .diagnose, result: result, findings: [finding])))
            var f = finding
            f.host = host
            return HostOutcome(host: host, status: .unreachable, findings: [f], session: nil, durations: [("connect", result.status, ms)])
        }
        let box = StepperBox()
        let seen = localEvents
        let counts = Counts()
        let hostRecorder = SessionRecorder(forwardingTo: recorder) { event in
            // The host's walk ends with the host's own status: the findings of steps run here are the run's.
            if case .runbookEnded(let id, _) = event, let s = box.stepper?.session {
                return .onHost(host, .runbookEnded(id: id, status: Self.ownStatus(s).status))
            }
            // A step run once, here, is recorded once, without a host.
            guard let step = event.step, let session = box.stepper?.session, !session.ranOnHost(step: step) else {
                return .onHost(host, event)
            }
            var key = "\(event.type)\u{0}\(step)"
            if case .stepStarted(_, _, _, let purpose, _) = event { key += "\u{0}" + purpose.label }
            if case .stepEnded(_, let purpose, _, _) = event { key += "\u{0}" + purpose.label }
            key += "\u{0}\(counts.next(key))"
            return seen.insert(key) ? event : nil
        }
        let execution = StepExecution(runner: runner(host), recorder: hostRecorder, signal: signal)
        let stepper = Stepper(
            session: start, execution: execution, host: driver, concurrent: true)
        box.stepper = stepper
        _ = stepper.run()
        let s = stepper.session
        let (own, status) = Self.ownStatus(s)
        return HostOutcome(
            host: host, status: HostOutcome.Status(status),
            findings: own.map { f in
                var f = f
                f.host = host
                return f
            }, session: s, durations: stepper.durations)
    }

    /// A host's own findings (those of its steps that ran on it) and the status they make.
    static func ownStatus(_ s: RunbookSession) -> (findings: [Finding], status: OutcomeStatus) {
        let own = s.findings.filter { s.ranOnHost(step: $0.step) }
        let ids = Set(own.map(\.id))
        return (own, s.outcome(ignoring: Set(s.findings.map(\.id)).subtracting(ids)))
    }
}

/// Keys seen across the hosts' threads.
final class SeenKeys: @unchecked Sendable {
    private let lock = NSLock()
    private var keys: Set<String> = []
    /// True the first time `key` is seen.
    func insert(_ key: String) -> Bool { lock.withLock { keys.insert(key).inserted } }
}

/// How many times a host's walk met each key.
final class Counts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    func next(_ key: String) -> Int {
        lock.withLock {
            counts[key, default: 0] += 1
            return counts[key, default: 0]
        }
    }
}

final class StepperBox: @unchecked Sendable {
    weak var stepper: Stepper?
}

private final class OutcomeSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [HostOutcome?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ o: HostOutcome) { lock.withLock { slots[i] = o } }
    var all: [HostOutcome] { lock.withLock { slots.compactMap { $0 } } }
}
