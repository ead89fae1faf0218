import Foundation
import Testing
@testable import RunbookKit

/// A fix that changes something re-checks, right before it acts, that what
/// it fixes still holds and that it acts on the same thing it was offered
/// for. No I/O: the session's events and actions only.
@Suite struct RemediationGuardTests {
    static func book() throws -> Runbook {
        let yaml = """
            id: port
            title: The API's port
            category: service-down
            steps:
              - id: port
                tcp: "8000"
                listening: true
                findings:
                  - id: squatter
                    when: listening and program != "api"
                    severity: critical
                    message: "port 8000 is held by ${program} (pid ${pid})"
            remediations:
              - id: stop-squatter
                title: Stop what holds the port
                fixes: [squatter]
                risk: changes
                shell: kill "$PID"
                env:
                  PID: "${steps.port.pid}"
                verify: port
            """
        let outcome = RunbookLoader.load(yaml: yaml, file: "port.yaml")
        return try #require(outcome.runbook, "\(outcome.diagnostics)")
    }

    static func held(by program: String, pid: Int) -> StepResult {
        StepResult(status: .ok, values: ["listening": .bool(true), "program": .string(program), "pid": .number(Double(pid))])
    }

    /// Walks to the confirmation of the fix, the port held by pid 4242.
    func offered() throws -> (RunbookSession, RunbookKit.Confirmation) {
        var s = RunbookSession(runbook: try Self.book(), policy: .person)
        _ = s.start()
        guard case .confirm(let c) = s.stepFinished(Self.held(by: "squatter", pid: 4242)) else {
            throw TestFailure("no confirmation")
        }
        return (s, c)
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    @Test func itActsWhenTheFindingStillHoldsOnTheSameThing() throws {
        var (s, c) = try offered()
        #expect(c.detail.contains("PID=4242"))
        guard case .run(let check) = s.decided(true, by: .operatorInput) else { Issue.record("no guard"); return }
        #expect(check.step.id == "port" && check.purpose == .guardCheck("stop-squatter"))
        guard case .run(let fix) = s.stepFinished(Self.held(by: "squatter", pid: 4242)) else { Issue.record("did not act"); return }
        #expect(fix.purpose == .remediate("stop-squatter"))
    }

    @Test func itIsRefusedWhenTheFindingNoLongerHolds() throws {
        var (s, _) = try offered()
        _ = s.decided(true, by: .operatorInput)
        // In the minute the operator took to answer, the API got its port back.
        #expect(s.stepFinished(Self.held(by: "api", pid: 77)) == .finished(.ok))
        #expect(s.remediations["stop-squatter"]?.applied == false)
        #expect(s.remediations["stop-squatter"]?.refused?.contains("no longer holds") == true)
        #expect(s.drainRecords().contains { if case .remediationRefused("stop-squatter", _) = $0 { return true } else { return false } })
    }

    @Test func itIsRefusedWhenTheGuardCannotTell() throws {
        var (s, _) = try offered()
        _ = s.decided(true, by: .operatorInput)
        let action = s.stepFinished(StepResult(status: .timeout, error: "timed out"))
        #expect(action == .finished(.unknown))
        #expect(s.remediations["stop-squatter"]?.refused?.contains("unknown") == true)
        #expect(s.findings.first?.state == .unknown, "a step run again that did not finish resolves nothing")
    }

    @Test func itIsRefusedWhenWhatItActsOnChanged() throws {
        var (s, _) = try offered()
        _ = s.decided(true, by: .operatorInput)
        // Another squatter now, under another pid: not what the operator agreed to stop.
        _ = s.stepFinished(Self.held(by: "squatter", pid: 5151))
        #expect(s.remediations["stop-squatter"]?.applied == false)
        #expect(s.remediations["stop-squatter"]?.refused?.contains("PID=5151") == true)
    }

    @Test func unattendedFixesAreGuardedToo() throws {
        var s = RunbookSession(runbook: try Self.book(), policy: RemediationPolicy(mode: .unattended(allow: .changes)))
        _ = s.start()
        guard case .run(let check) = s.stepFinished(Self.held(by: "squatter", pid: 4242)) else { Issue.record("no guard"); return }
        #expect(check.purpose == .guardCheck("stop-squatter"))
    }

    @Test func aVerifyStepThatTimesOutVerifiesNothing() throws {
        var (s, _) = try offered()
        _ = s.decided(true, by: .operatorInput)
        _ = s.stepFinished(Self.held(by: "squatter", pid: 4242))
        _ = s.stepFinished(StepResult(status: .ok, exitCode: 0))
        var action = s.stepFinished(StepResult(status: .timeout, error: "timed out"))
        while case .run = action { action = s.stepFinished(StepResult(status: .timeout, error: "timed out")) }
        #expect(s.remediations["stop-squatter"]?.applied == true)
        #expect(s.remediations["stop-squatter"]?.verified == false)
    }
}
