import Foundation
import Testing
@testable import RunbookKit

/// The engine, as sequences of events and the actions it answers with. No I/O.
@Suite struct RunbookSessionTests {
    static func book(_ risk: Risk = .changes, word: String? = nil) throws -> Runbook {
        let yaml = """
            id: conn
            title: Connections
            category: service-down
            inputs:
              - id: limit
                prompt: Limit
                default: "50"
            steps:
              - id: ping
                title: Ping
                tcp: "db:5432"
                findings:
                  - id: down
                    when: not connected
                    severity: critical
                    message: "down: ${error}"
                next:
                  - when: not connected
                    goto: log
              - id: count
                title: Count
                postgres: SELECT 1
                findings:
                  - id: too-many
                    when: idle > vars.limit
                    severity: warning
                    message: "${idle} idle"
              - id: log
                title: Log
                shell: tail log
            remediations:
              - id: kill-idle
                title: Kill idle
                fixes: [too-many]
                risk: \(risk.rawValue)
                \(word.map { "confirm_word: \($0)" } ?? "")
                postgres: SELECT pg_terminate_backend(1)
                access: read-write
                verify: count
            """
        let outcome = RunbookLoader.load(yaml: yaml, file: "conn.yaml")
        return try #require(outcome.runbook, "\(outcome.diagnostics)")
    }

    func stepID(_ a: SessionAction) -> String? {
        if case .run(let p) = a { return p.step.id }
        return nil
    }

    let up = StepResult(status: .ok, values: ["connected": .bool(true)])
    let busy = StepResult(status: .ok, values: ["idle": .number(80)])
    let calm = StepResult(status: .ok, values: ["idle": .number(3)])
    let logged = StepResult(status: .ok, exitCode: 0)

    @Test func walksStepsInOrderWhenHealthy() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        #expect(stepID(s.start()) == "ping")
        #expect(stepID(s.stepFinished(up)) == "count")
        #expect(stepID(s.stepFinished(calm)) == "log")
        #expect(s.stepFinished(logged) == .finished(.ok))
        #expect(s.findings.isEmpty)
        #expect(s.trail == ["ping", "count", "log"])
    }

    @Test func aResolvedFindingStaysResolvedWhenItsStepRunsAgain() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        let count = try #require(s.runbook.step("count"))
        _ = s.evaluate(count, qualified: "count", prefix: "", result: busy)
        _ = s.evaluate(count, qualified: "count", prefix: "", result: calm)
        #expect(s.findings.map(\.state) == [.resolved])
        // A second verify attempt (another fix's finding still open) runs the step again.
        _ = s.evaluate(count, qualified: "count", prefix: "", result: calm)
        #expect(s.findings.map(\.state) == [.resolved], "what was fixed is still reported as fixed")
        _ = s.evaluate(count, qualified: "count", prefix: "", result: busy)
        #expect(s.findings.map(\.state) == [.open], "and open again when it holds again")
    }

    @Test func branchesOnResultsAndReportsCriticalFindings() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        _ = s.start()
        let down = StepResult(status: .error, error: "connection refused", values: ["connected": .bool(false)])
        #expect(stepID(s.stepFinished(down)) == "log")
        #expect(s.stepFinished(logged) == .finished(.critical))
        #expect(s.openFindings.map(\.id) == ["down"])
        #expect(s.openFindings.first?.message == "down: connection refused")
    }

    @Test func aPersonConfirmsAndTheFixIsVerified() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        _ = s.start()
        _ = s.stepFinished(up)
        _ = s.stepFinished(busy)
        guard case .confirm(let c) = s.stepFinished(logged) else { Issue.record("no confirmation"); return }
        #expect(c.remediation == "kill-idle")
        #expect(c.risk == .changes)
        #expect(c.word == nil)
        #expect(c.detail.contains("pg_terminate_backend"))
        // Right before it acts, the step that reported what it fixes runs again.
        guard case .run(let check) = s.decided(true, by: .operatorInput) else { Issue.record("no guard"); return }
        #expect(check.step.id == "count" && check.purpose == .guardCheck("kill-idle"))
        let run = s.stepFinished(busy)
        guard case .run(let fix) = run else { Issue.record("fix not run"); return }
        #expect(fix.purpose == .remediate("kill-idle"))
        let verify = s.stepFinished(StepResult(status: .ok))
        guard case .run(let v) = verify else { Issue.record("verify not run"); return }
        #expect(v.step.id == "count")
        #expect(v.purpose == .verify("kill-idle"))
        #expect(s.stepFinished(calm) == .finished(.ok))
        #expect(s.remediations["kill-idle"]?.verified == true)
        #expect(s.findings.first?.state == .resolved)
        let records = s.drainRecords()
        #expect(records.contains(.remediationVerified(id: "kill-idle", verified: true, stillOpen: [])))
    }

    @Test func aDeclinedFixLeavesTheFindingOpen() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        _ = s.start(); _ = s.stepFinished(up); _ = s.stepFinished(busy)
        _ = s.stepFinished(logged)
        #expect(s.decided(false, by: .operatorInput, reason: "declined") == .finished(.warning))
        #expect(s.remediations["kill-idle"]?.applied == false)
        #expect(s.remediations["kill-idle"]?.declined == "declined")
    }

    @Test func aFixThatDoesNotHelpIsReportedAsNotVerified() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        _ = s.start(); _ = s.stepFinished(up); _ = s.stepFinished(busy); _ = s.stepFinished(logged)
        _ = s.decided(true, by: .operatorInput)
        _ = s.stepFinished(busy)
        _ = s.stepFinished(StepResult(status: .ok))
        // The verify step is tried again, after a pause, before the fix counts as failed.
        for _ in 1..<RunbookSession.verifyAttempts {
            guard case .run(let again) = s.stepFinished(busy) else { Issue.record("no second verify"); return }
            #expect(again.purpose == .verify("kill-idle"))
            #expect(again.delaySeconds == RunbookSession.verifyRetryDelay)
        }
        #expect(s.stepFinished(busy) == .finished(.warning))
        #expect(s.remediations["kill-idle"]?.verified == false)
    }

    @Test func aFixThatTakesAMomentIsVerifiedOnTheSecondTry() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        _ = s.start(); _ = s.stepFinished(up); _ = s.stepFinished(busy); _ = s.stepFinished(logged)
        _ = s.decided(true, by: .operatorInput)
        _ = s.stepFinished(busy)
        _ = s.stepFinished(StepResult(status: .ok))
        _ = s.stepFinished(busy)
        #expect(s.stepFinished(calm) == .finished(.ok))
        #expect(s.remediations["kill-idle"]?.verified == true)
    }

    @Test(arguments: Risk.allCases)
    func aPersonIsAskedAtEveryRisk(risk: Risk) throws {
        var s = RunbookSession(runbook: try Self.book(risk, word: "task_results"), policy: .person)
        _ = s.start(); _ = s.stepFinished(up); _ = s.stepFinished(busy)
        guard case .confirm(let c) = s.stepFinished(logged) else { Issue.record("\(risk) was not asked"); return }
        #expect(c.risk == risk)
        #expect(c.word == (risk == .destructive ? "task_results" : nil))
    }

    @Test func whatDependsOnASkippedStepIsUnknownNotFailed() throws {
        let yaml = """
            id: dep
            title: Dep
            category: tool
            steps:
              - id: first
                shell: "true"
              - id: second
                shell: "true"
                findings:
                  - id: first-failed
                    when: steps.first.failed or steps.first.exit_code != 0
                    severity: critical
                    message: first failed
            """
        var s = RunbookSession(runbook: try #require(RunbookLoader.load(yaml: yaml, file: "d.yaml").runbook), policy: .person)
        _ = s.start()
        _ = s.skip()
        #expect(s.stepFinished(StepResult(status: .ok, exitCode: 0)) == .finished(.unknown))
        #expect(s.findings.map(\.state) == [.unknown])
    }

    @Test func destructiveFixesAskForTheirWord() throws {
        var s = RunbookSession(runbook: try Self.book(.destructive, word: "task_results"), policy: .person)
        _ = s.start(); _ = s.stepFinished(up); _ = s.stepFinished(busy)
        guard case .confirm(let c) = s.stepFinished(logged) else { Issue.record("no confirmation"); return }
        #expect(c.word == "task_results")
    }

    @Test(arguments: [
        (Risk.safe, Risk?.none, false), (.safe, .safe, true), (.changes, .safe, false), (.changes, .changes, true),
        (.destructive, .changes, false), (.destructive, .destructive, true),
    ])
    func unattendedRunsOnlyUpToAllow(risk: Risk, allow: Risk?, runs: Bool) throws {
        var s = RunbookSession(runbook: try Self.book(risk, word: "x"), policy: RemediationPolicy(mode: .unattended(allow: allow)))
        _ = s.start(); _ = s.stepFinished(up); _ = s.stepFinished(busy)
        let action = s.stepFinished(logged)
        if runs {
            // Every fix that changes something re-checks first; a safe one acts at once.
            #expect(stepID(action) == (risk == .safe ? "kill-idle" : "count"))
        } else {
            #expect(action == .finished(.warning))
            #expect(s.remediations["kill-idle"]?.declined?.contains("--allow \(risk.rawValue)") == true)
        }
    }

    @Test func dryRunRunsNoFixEvenWhenAllowed() throws {
        var s = RunbookSession(
            runbook: try Self.book(.safe), policy: RemediationPolicy(mode: .unattended(allow: .destructive), dryRun: true))
        _ = s.start(); _ = s.stepFinished(up); _ = s.stepFinished(busy)
        #expect(s.stepFinished(logged) == .finished(.warning))
        #expect(s.remediations["kill-idle"]?.offered == true)
        #expect(s.remediations["kill-idle"]?.applied == false)
    }

    @Test func inputsAndAnswersReachConditions() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person, answers: ["limit": ("100", .flag)])
        _ = s.start(); _ = s.stepFinished(up)
        _ = s.stepFinished(busy)
        #expect(s.findings.isEmpty, "80 idle is under a limit of 100")
    }

    @Test func aResultTheAnswerLacksIsNullAndJudgesNothing() throws {
        // The step ran and answered without an `idle` column: null, not unknown.
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        _ = s.start()
        _ = s.stepFinished(up)
        _ = s.stepFinished(StepResult(status: .ok))
        #expect(s.findings.isEmpty, "\(s.findings)")
        #expect(s.stepFinished(logged) == .finished(.ok))
    }

    @Test func skipRetryBackAndGoto() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        _ = s.start()
        #expect(stepID(s.skip()) == "count")
        #expect(s.results["ping"]?.status == .skipped)
        #expect(stepID(s.stepFinished(calm)) == "log")
        let retried = s.retry()
        #expect(retried.flatMap(stepID) == "count")
        let afterRetry = s.stepFinished(calm)
        #expect(stepID(afterRetry) == "log")
        let back = s.back()
        #expect(back.flatMap(stepID) == "count")
        let jumped = s.goto("ping")
        #expect(jumped.flatMap(stepID) == "ping")
        let nowhere = s.goto("nowhere")
        #expect(nowhere == nil)
    }

    @Test func fixMidWalkOffersThenResumes() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        _ = s.start(); _ = s.stepFinished(up)
        #expect(stepID(s.stepFinished(busy)) == "log")
        guard case .confirm = s.offerRemediations() else { Issue.record("no offer"); return }
        let resumed = s.decided(false, by: .operatorInput)
        #expect(stepID(resumed) == "log")
        #expect(s.pending.flatMap(stepID) == "log")
    }

    /// Leaving a fix offered mid-walk with `goto` leaves its way back too:
    /// the walk ends where it ends, and is not taken back to the step it left.
    @Test func gotoFromAFixOfferedMidWalkDoesNotComeBackLater() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        _ = s.start(); _ = s.stepFinished(up)
        #expect(stepID(s.stepFinished(busy)) == "log")
        guard case .confirm = s.offerRemediations() else { Issue.record("no offer"); return }
        #expect(s.goto("log").flatMap(stepID) == "log")
        guard case .confirm = s.stepFinished(calm) else { Issue.record("the fix is offered again at the end"); return }
        guard case .finished = s.decided(false, by: .operatorInput) else {
            Issue.record("the walk went back to the step the fix was offered at: \(String(describing: s.pending))")
            return
        }
        #expect(s.trail == ["ping", "count", "log"])
        #expect(s.isFinished)
    }

    /// An event that does not fit where the walk is changes nothing.
    @Test func anEventOutOfPlaceChangesNothing() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        _ = s.start()
        #expect(stepID(s.decided(true, by: .operatorInput)) == "ping")
        #expect(stepID(s.answered("x", by: .operatorInput)) == "ping")
        #expect(s.remediations.isEmpty && s.trail.isEmpty)
    }

    @Test func recordsTellTheWholeStory() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        _ = s.start()
        s.begin()
        _ = s.stepFinished(up)
        let records = s.drainRecords()
        #expect(records.count == 4)
        #expect(records.first == .runbookStarted(id: "conn", title: "Connections"))
        #expect(records[1] == .input(name: "limit", value: "50", by: .defaultValue))
        guard case .stepStarted(let id, _, let kind, _, let detail) = records[2] else { Issue.record("no start"); return }
        #expect(id == "ping" && kind == "tcp" && detail == "connect db:5432")
        #expect(s.drainRecords().isEmpty)
    }
}

/// Runbooks that include, or hand over to, other runbooks.
@Suite struct RunbookInclusionTests {
    static func load(_ yaml: String) throws -> Runbook {
        let o = RunbookLoader.load(yaml: yaml, file: "x.yaml")
        return try #require(o.runbook, "\(o.diagnostics)")
    }

    static let inner = """
        id: inner
        title: Inner
        category: tool
        steps:
          - id: probe
            shell: "true"
            findings:
              - id: bad
                when: exit_code != 0
                severity: warning
                message: bad
          - id: second
            shell: "true"
            next:
              - when: steps.probe.exit_code != 0
                goto: end
        remediations:
          - id: mend
            fixes: [bad]
            risk: safe
            shell: "true"
            verify: probe
        """

    static func outer(mode: String) -> String {
        """
        id: outer
        title: Outer
        category: tool
        steps:
          - id: first
            shell: "true"
            next:
              - when: exit_code == 99
                goto: last
          - id: check
            runbook: inner
            mode: \(mode)
            findings:
              - id: inner-unhappy
                when: worst == "warning"
                severity: info
                message: the inner runbook found ${findings}
          - id: last
            shell: "true"
        """
    }

    func id(_ a: SessionAction?) -> String? {
        if case .run(let p)? = a { return p.step.id }
        return nil
    }

    @Test func anIncludedRunbookRunsInPlaceWithItsOwnNames() throws {
        let inner = try Self.load(Self.inner)
        var s = RunbookSession(
            runbook: try Self.load(Self.outer(mode: "include")), policy: RemediationPolicy(mode: .unattended(allow: .safe)),
            resolve: { $0 == "inner" ? inner : nil })
        #expect(id(s.start()) == "first")
        #expect(id(s.stepFinished(StepResult(status: .ok, exitCode: 0))) == "check/probe")
        #expect(s.currentRunbook.id == "inner")
        // `steps.probe` inside the inner runbook reads its own probe step.
        #expect(id(s.stepFinished(StepResult(status: .failed, exitCode: 1))) == "check/second")
        #expect(s.openFindings.map(\.id) == ["check/bad"])
        // The inner runbook's branch to `end` returns to the outer one.
        #expect(id(s.stepFinished(StepResult(status: .ok, exitCode: 0))) == "last")
        #expect(s.results["check"]?.values["worst"] == .string("warning"))
        #expect(s.openFindings.map(\.id).contains("inner-unhappy"))
        // At the end, the inner runbook's remediation is offered under its qualified name.
        let fix = s.stepFinished(StepResult(status: .ok, exitCode: 0))
        #expect(id(fix) == "check/mend")
        let verify = s.stepFinished(StepResult(status: .ok, exitCode: 0))
        #expect(id(verify) == "check/probe")
        _ = s.stepFinished(StepResult(status: .ok, exitCode: 0))
        #expect(s.remediations["check/mend"]?.verified == true)
    }

    @Test func aHandOverEndsTheWalkWithTheOtherRunbook() throws {
        let inner = try Self.load(Self.inner)
        var s = RunbookSession(
            runbook: try Self.load(Self.outer(mode: "handover")), policy: .person, resolve: { $0 == "inner" ? inner : nil })
        _ = s.start()
        _ = s.stepFinished(StepResult(status: .ok, exitCode: 0))
        _ = s.stepFinished(StepResult(status: .ok, exitCode: 0))
        let end = s.stepFinished(StepResult(status: .ok, exitCode: 0))
        #expect(end == .finished(.ok))
        #expect(s.results["last"] == nil, "the outer runbook's later steps do not run")
    }

    @Test func aRunbookThatIncludesItselfIsAnErrorNotALoop() throws {
        let selfish = """
            id: selfish
            title: Selfish
            category: tool
            steps:
              - id: again
                runbook: selfish
            """
        let book = try Self.load(selfish)
        var s = RunbookSession(runbook: book, policy: .person, resolve: { $0 == "selfish" ? book : nil })
        #expect(s.start() == .finished(.unknown))
        #expect(s.results["again"]?.error?.contains("already being walked") == true)
        let ghostly = try Self.load(selfish.replacingOccurrences(of: "runbook: selfish", with: "runbook: ghost"))
        var missing = RunbookSession(runbook: ghostly, policy: .person)
        _ = missing.start()
        #expect(missing.results["again"]?.error == "no runbook ghost")
    }
}

@Suite struct ConcurrentStepTests {
    static let yaml = """
        id: group
        title: Group
        category: tool
        steps:
          - id: a
            concurrent: true
            shell: "sleep 0.5; date +%s.%N"
          - id: b
            concurrent: true
            shell: "sleep 0.5; date +%s.%N"
            findings:
              - id: b-failed
                when: exit_code != 0
                severity: warning
                message: b failed
          - id: after
            shell: "true"
        """

    final class Runner: StepRunner, @unchecked Sendable {
        let lock = NSLock()
        var running = 0, most = 0
        func run(_ step: PendingStep, control: StepControl) -> StepResult {
            lock.lock(); running += 1; most = max(most, running); lock.unlock()
            usleep(200_000)
            lock.lock(); running -= 1; lock.unlock()
            return StepResult(status: .ok, exitCode: step.step.id == "b" ? 1 : 0)
        }
    }

    @Test func consecutiveConcurrentStepsRunTogetherAndReportInOrder() throws {
        let rb = try #require(RunbookLoader.load(yaml: Self.yaml, file: "g.yaml").runbook)
        var s = RunbookSession(runbook: rb, policy: RemediationPolicy(mode: .unattended(allow: nil)))
        _ = s.start()
        #expect(s.concurrentGroup().map(\.step.id) == ["a", "b"])
        let runner = Runner()
        let host = UnattendedHost()
        let stepper = Stepper(
            session: RunbookSession(runbook: rb, policy: RemediationPolicy(mode: .unattended(allow: nil))),
            execution: StepExecution(runner: runner, recorder: SessionRecorder(transcript: nil, presenter: nil)),
            host: host, concurrent: true)
        #expect(stepper.run() == .warning)
        #expect(runner.most == 2, "a and b ran at the same time")
        #expect(stepper.durations.map(\.step) == ["a", "b", "after"])
        #expect(stepper.session.openFindings.map(\.id) == ["b-failed"])
    }

    @Test func aConcurrentStepCannotBranch() {
        let bad = """
            id: bad
            title: Bad
            category: tool
            steps:
              - id: a
                concurrent: true
                shell: "true"
                next: b
              - id: b
                concurrent: true
                ask: Really?
            """
        let d = RunbookLoader.load(yaml: bad, file: "g.yaml").diagnostics.map(\.description)
        #expect(d.contains("g.yaml:6:5: a concurrent step cannot have `next`: the steps of a group run together, in order"), "\(d)")
        #expect(d.contains("g.yaml:10:5: `ask` steps cannot be concurrent: they need the operator or the walk"), "\(d)")
    }

}
