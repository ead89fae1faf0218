import Foundation
import Testing
@testable import RunbookKit

/// What cannot be known is `unknown`, not a finding at its author's
/// severity; what a step's answer simply lacks is null.
@Suite struct UnknownFindingTests {
    static let yaml = """
        id: health
        title: Health
        category: tool
        steps:
          - id: api
            http: http://127.0.0.1:8000/api/v1/health
            findings:
              - id: database-failing
                when: json.database.ok == false
                severity: critical
                message: "the API cannot reach its database"
              - id: said-later
                when: steps.later.exit_code != 0
                severity: critical
                message: "later failed with ${steps.later.exit_code:-no code}, as ${json.database.error} says"

              - id: slow
                when: latency_ms > 500
                severity: warning
                message: slow
          - id: later
            shell: "true"
        """

    func session() throws -> RunbookSession {
        let rb = try #require(RunbookLoader.load(yaml: Self.yaml, file: "h.yaml").runbook)
        return RunbookSession(runbook: rb, policy: RemediationPolicy(mode: .unattended(allow: nil)))
    }

    @Test func aFieldTheAnswerLacksIsNullNotUnknown() throws {
        var s = try session()
        _ = s.start()
        // A health answer of another shape: no `database` key at all.
        _ = s.stepFinished(
            StepResult(status: .ok, values: ["status_code": .number(200), "json.status": .string("up"), "latency_ms": .number(3)]))
        #expect(!s.findings.contains { $0.id == "database-failing" }, "an absent key judged nothing")
    }

    @Test func whatCannotBeKnownIsUnknownAndOutrankedByWhatWasFound() throws {
        var s = try session()
        _ = s.start()
        _ = s.stepFinished(StepResult(status: .ok, values: ["latency_ms": .number(3)]))
        let unknown = try #require(s.findings.first { $0.id == "said-later" })
        #expect(unknown.state == .unknown && unknown.level == "unknown", "the step it reads has not run")
        #expect(s.outcome == .unknown)
        #expect(s.matchingRemediations().isEmpty)
        var slow = try session()
        _ = slow.start()
        _ = slow.stepFinished(StepResult(status: .ok, values: ["latency_ms": .number(900)]))
        #expect(slow.findings.contains { $0.id == "said-later" && $0.level == "unknown" })
        #expect(slow.outcome == .warning, "a warning outranks what could not be known")
    }

    @Test func aMessageNeverShowsAnUnexpandedName() throws {
        var s = try session()
        _ = s.start()
        _ = s.stepFinished(StepResult(status: .ok, values: ["latency_ms": .number(3)]))
        let unknown = try #require(s.findings.first { $0.id == "said-later" })
        #expect(!unknown.message.contains("${"), "\(unknown.message)")
        #expect(unknown.message == "unknown: step `later` did not run (later failed with no code, as null says)")
    }
}
