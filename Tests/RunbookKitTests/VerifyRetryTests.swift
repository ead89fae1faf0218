import Foundation
import Testing

@testable import RunbookKit

/// A fix's verify judged on answers, not on the first look after it: a service just restarted may not answer
/// yet. A verify step that could not tell is tried again a second later, and so is the step of a symptom the
/// mended cause explains; a finding left unknown by a try that did not finish is resolved by one that does.
@Suite struct VerifyRetryTests {
    static let service = """
        id: svc
        title: Service
        category: service-down
        steps:
          - id: container
            title: Container
            shell: check
            findings:
              - id: exited
                when: exit_code == 1
                severity: critical
                message: exited
                explains: [refused]
          - id: health
            title: Health
            http: "http://api/health"
            findings:
              - id: refused
                when: accepted == false
                severity: critical
                message: refused
        remediations:
          - id: restart
            title: Restart
            fixes: [exited]
            risk: changes
            shell: restart
        """

    /// Walks the session, each step answered in turn from `results` by its id, every fix confirmed.
    static func drive(_ s: inout RunbookSession, _ results: [String: [StepResult]]) -> (OutcomeStatus?, [String]) {
        var queue = results
        var ran: [String] = []
        var action = s.start()
        while true {
            switch action {
            case .run(let p):
                ran.append(p.step.id)
                guard var list = queue[p.step.id], !list.isEmpty else { return (nil, ran) }
                action = s.stepFinished(list.removeFirst())
                queue[p.step.id] = list
            case .finished(let status): return (status, ran)
            default: action = s.decided(true, by: .operatorInput)
            }
        }
    }

    let exited = StepResult(status: .failed, exitCode: 1)
    let running = StepResult(status: .ok, exitCode: 0)
    let refused = StepResult(status: .failed, values: ["accepted": .bool(false)])
    let answering = StepResult(status: .ok, values: ["accepted": .bool(true)])
    let reset = StepResult(status: .error, error: "connection reset")

    @Test func aSymptomThatCouldNotBeToldRightAfterTheFixIsJudgedAgainASecondLater() throws {
        let book = try #require(RunbookLoader.load(yaml: Self.service, file: "svc.yaml").runbook)
        var s = RunbookSession(runbook: book, policy: .person)
        // Found; the guard sees it still; the fix runs; the first verify finds the container up and the API not
        // answering yet (an error, not an answer); a second later it answers.
        let (status, ran) = Self.drive(
            &s, ["container": [exited, exited, running, running], "health": [refused, reset, answering], "restart": [running]])
        #expect(status == .ok, "\(ran)")
        #expect(ran == ["container", "health", "container", "restart", "container", "health", "container", "health"])
        #expect(s.remediations["restart"]?.verified == true)
        let states = Dictionary(uniqueKeysWithValues: s.findings.map { ($0.id, $0.state) })
        #expect(states == ["exited": .resolved, "refused": .resolved])
        #expect(s.findings.first { $0.id == "refused" }?.message == "refused", "the message it held with, not the unknown one")
    }

    @Test func aFixWhoseOwnVerifyCouldNotTellIsTriedAgainNotCountedFailed() throws {
        let book = try #require(RunbookLoader.load(yaml: Self.service, file: "svc.yaml").runbook)
        var s = RunbookSession(runbook: book, policy: .person)
        let timedOut = StepResult(status: .timeout)
        let (status, ran) = Self.drive(
            &s, ["container": [exited, exited, timedOut, running], "health": [answering, answering], "restart": [running]])
        #expect(status == .ok, "\(ran)")
        #expect(s.remediations["restart"]?.verified == true)
        #expect(s.findings.first { $0.id == "exited" }?.state == .resolved)
    }
}
