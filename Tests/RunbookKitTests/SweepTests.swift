import Foundation
import Testing
@testable import RunbookKit

/// A sweep through the one stepping loop: each runbook walked by its own
/// stepper at once, no remediation offered inside, then a diagnosis and the
/// fixes of the runbook to start with. Probes are scripted: no I/O.
@Suite struct SweepTests {
    /// Answers each step by its qualified id; counts calls; runs a fix by turning `fixed` on.
    final class ScriptedRunner: StepRunner, @unchecked Sendable {
        let lock = NSLock()
        var fixed = false
        var ran: [String] = []
        var timeouts: [String: Double] = [:]

        func run(_ step: PendingStep, control: StepControl) -> StepResult {
            lock.withLock {
                ran.append(step.step.id)
                timeouts[step.step.id] = step.step.timeout
            }
            switch step.step.id {
            case "api/port": return StepResult(status: .ok, values: ["listening": .bool(true)])
            case "api/health": return StepResult(status: .error, error: "timed out", values: ["connected": .bool(false)])
            case "db/connections":
                return StepResult(status: .ok, values: ["idle": .number(lock.withLock { fixed } ? 2 : 80)])
            case "db/terminate-idle":
                lock.withLock { fixed = true }
                return StepResult(status: .ok)
            default: return StepResult(status: .ok)
            }
        }
    }

    final class Collector: SessionPresenter, @unchecked Sendable {
        let lock = NSLock()
        var events: [TranscriptEvent] = []
        func present(_ event: TranscriptEvent) { lock.withLock { events.append(event) } }
        func output(_ text: String, stream: Int32) {}
        func notice(_ text: String) {}
    }

    static func load(_ yaml: String) throws -> Runbook {
        let outcome = RunbookLoader.load(yaml: yaml, file: "t.yaml")
        return try #require(outcome.runbook, "\(outcome.diagnostics)")
    }

    static func books() throws -> (sweep: Runbook, api: Runbook, db: Runbook) {
        let api = try load(
            """
            id: api
            title: API
            category: service-down
            steps:
              - id: port
                tcp: "8000"
                listening: true
                timeout: 30s
              - id: health
                http: "http://x/api/v1/health"
                findings:
                  - id: not-answering
                    when: not connected
                    severity: critical
                    message: no answer
                  - id: port-taken
                    when: steps.port.listening and not connected
                    severity: critical
                    message: someone else holds the port
                    explains: [not-answering]
            remediations:
              - id: free-port
                title: Free it
                fixes: [port-taken]
                risk: changes
                shell: "true"
            """)
        let db = try load(
            """
            id: db
            title: DB
            category: service-down
            inputs:
              - id: limit
                prompt: limit
                default: "50"
            steps:
              - id: connections
                postgres: SELECT 1
                findings:
                  - id: idle
                    when: idle > vars.limit
                    severity: warning
                    message: "${idle} idle"
              - id: ask-more
                ask: Anything else?
                choices: [yes, no]
            remediations:
              - id: terminate-idle
                title: Terminate
                fixes: [idle]
                risk: changes
                postgres: SELECT 1
                access: read-write
                verify: connections
            """)
        let sweep = try load(
            """
            id: sweeper
            title: Sweep
            category: tool
            steps:
              - id: sweep
                sweep: [db, api, nowhere]
                timeout: 2s
            """)
        return (sweep, api, db)
    }

    func walk(allow: Risk?) throws -> (Stepper, ScriptedRunner, [TranscriptEvent], OutcomeStatus) {
        let (sweep, api, db) = try Self.books()
        let session = RunbookSession(
            runbook: sweep, policy: RemediationPolicy(mode: .unattended(allow: allow)),
            resolve: { ["api": api, "db": db][$0] })
        let runner = ScriptedRunner()
        let collector = Collector()
        let execution = StepExecution(runner: runner, recorder: SessionRecorder(transcript: nil, presenter: collector))
        let stepper = Stepper(session: session, execution: execution, host: UnattendedHost(), concurrent: true)
        let status = stepper.run()
        return (stepper, runner, collector.events, status)
    }

    @Test func everyRunbookIsWalkedUnderItsOwnNameAndTheDiagnosisRanksTheCauseFirst() throws {
        let (stepper, runner, events, status) = try walk(allow: nil)
        let s = stepper.session
        #expect(Set(runner.ran) == ["api/port", "api/health", "db/connections"])
        #expect(status == .critical)
        #expect(s.swept == ["db", "api"])
        #expect(s.diagnosis?.startWith == "api")
        #expect(s.diagnosis?.causes.map(\.finding) == ["api/port-taken", "db/idle"])
        #expect(s.diagnosis?.causes.first?.explains == ["api/not-answering"])
        #expect(s.findings.map(\.id) == ["api/port-taken", "api/not-answering", "db/idle"])
        #expect(s.findings.map(\.runbook) == ["api", "api", "db"])
        // Inside the sweep nobody is asked: a question is skipped, no fix offered.
        #expect(
            events.contains { if case .stepEnded("db/ask-more", _, let r, _) = $0 { return r.status == .skipped } else { return false } })
        // A step a verdict reads runs with its own timeout; the branch waits for it only up to the cap.
        #expect(runner.timeouts["api/port"] == 30)
        // The fixes offered afterwards are the runbook to start with's only.
        #expect(s.remediations.keys.sorted() == ["api/free-port"])
        #expect(events.contains { if case .diagnosis("sweep", let d) = $0 { return d.startWith == "api" } else { return false } })
        let sweepEnd = events.compactMap { e -> StepResult? in
            if case .stepEnded("sweep", _, let r, _) = e { return r }
            return nil
        }.first
        #expect(sweepEnd?.error == "no runbook nowhere")
        #expect(sweepEnd?.values["start_with"] == .string("api"))
    }

    /// A regression case that leaves a finding out (the host's) compares the
    /// diagnosis drawn without it: what the left-out finding explained
    /// becomes a cause again, not nothing.
    @Test func aCaseThatIgnoresACauseComparesWhatItExplainedAsTheCause() throws {
        let (stepper, _, events, _) = try walk(allow: nil)
        let c = RunbookTestCase(
            name: "without the port", faults: [], answers: [:], allow: nil, expectedStatus: .critical, expectedPath: nil,
            expectedFindings: nil, expectedRemediations: [:], expectedMessages: [:], expectedStart: "api",
            expectedCauses: ["api/not-answering", "db/idle"], ignored: ["api/port-taken"])
        #expect(RunbookTestVerdict.differences(c, session: stepper.session, records: events).isEmpty)
        var wrong = c
        wrong.expectedCauses = ["db/idle"]
        #expect(
            RunbookTestVerdict.differences(wrong, session: stepper.session, records: events) == [
                "causes: expected db/idle, got api/not-answering, db/idle"
            ])
    }

    @Test func theFixOfTheRunbookToStartWithRunsAndIsVerifiedByItsOwnStep() throws {
        let (sweep, _, db) = try Self.books()
        // Only db is swept: its fix is the one offered, run within --allow, then verified.
        var only = sweep
        only.steps[0].action = .sweep(SweepAction(runbooks: ["db"]))
        let session = RunbookSession(
            runbook: only, policy: RemediationPolicy(mode: .unattended(allow: .changes)), resolve: { $0 == "db" ? db : nil })
        let runner = ScriptedRunner()
        let execution = StepExecution(runner: runner, recorder: SessionRecorder(transcript: nil, presenter: nil))
        let stepper = Stepper(session: session, execution: execution, host: UnattendedHost(), concurrent: true)
        let status = stepper.run()
        // Diagnosed, re-checked right before the fix acts, fixed, verified.
        #expect(runner.ran == ["db/connections", "db/connections", "db/terminate-idle", "db/connections"])
        #expect(stepper.session.remediations["db/terminate-idle"]?.verified == true)
        #expect(status == .ok)
    }

    /// An API that answers in `answersAfter` seconds (nil: never), as a timed runner sees it.
    final class SlowAPIRunner: StepRunner, @unchecked Sendable {
        let answersAfter: Double?
        let lock = NSLock()
        var ran: [(String, Double)] = []
        init(answersAfter: Double?) { self.answersAfter = answersAfter }

        func run(_ step: PendingStep, control: StepControl) -> StepResult {
            lock.withLock { ran.append((step.step.id, step.step.timeout)) }
            if step.step.id == "slow/health", let after = answersAfter, after < step.step.timeout {
                return StepResult(
                    status: .ok, values: ["connected": .bool(true), "status_code": .number(200), "latency_ms": .number(after * 1000)])
            }
            return StepResult(status: .timeout, error: "timed out", values: ["accepted": .bool(true), "answered": .bool(false)])
        }
    }

    func sweepSlowAPI(answersAfter: Double?) throws -> (RunbookSession, SlowAPIRunner) {
        let slow = try Self.load(
            """
            id: slow
            title: Slow
            category: performance
            steps:
              - id: health
                http: "http://x/api/v1/health"
                timeout: 10s
                findings:
                  - id: hung
                    when: timed_out and accepted
                    severity: critical
                    message: it accepted and did not answer in 10 s
                  - id: sluggish
                    when: latency_ms > 1000
                    severity: warning
                    message: "${latency_ms} ms"
              - id: docker
                shell: docker ps
                timeout: 10s
                findings:
                  - id: no-docker
                    when: exit_code == 3
                    severity: info
                    message: no docker
            """)
        var sweep = try Self.books().sweep
        sweep.steps[0].action = .sweep(SweepAction(runbooks: ["slow"]))
        let session = RunbookSession(
            runbook: sweep, policy: RemediationPolicy(mode: .unattended(allow: nil)), resolve: { $0 == "slow" ? slow : nil })
        let runner = SlowAPIRunner(answersAfter: answersAfter)
        let execution = StepExecution(runner: runner, recorder: SessionRecorder(transcript: nil, presenter: nil))
        let stepper = Stepper(session: session, execution: execution, host: UnattendedHost(), concurrent: true)
        _ = stepper.run()
        return (stepper.session, runner)
    }

    @Test func aTimeoutAtTheCapIsRunAgainWithItsOwnTimeoutBeforeTheVerdict() throws {
        // Slow but correct: it runs once, with its own 10 s, and answers, slowly.
        let (s, runner) = try sweepSlowAPI(answersAfter: 3)
        #expect(runner.ran.filter { $0.0 == "slow/health" }.map(\.1) == [10])
        #expect(runner.ran.filter { $0.0 == "slow/docker" }.map(\.1) == [2], "what no warning or critical verdict reads gets the cap")
        #expect(s.diagnosis?.causes.map(\.finding) == ["slow/sluggish"])
        #expect(!s.findings.contains { $0.id == "slow/hung" }, "a timeout at the cap is not evidence of a hang")
    }

    @Test func aStepSilentInItsOwnTimeToIsAVerdictOnlyWhereAFindingSaysSo() throws {
        let (s, runner) = try sweepSlowAPI(answersAfter: nil)
        #expect(runner.ran.filter { $0.0 == "slow/health" }.map(\.1) == [10])
        #expect(s.diagnosis?.causes.map(\.finding) == ["slow/hung"])
        #expect(s.findings.first { $0.id == "slow/sluggish" } == nil, "its latency is unknown, not a finding")
    }
}
