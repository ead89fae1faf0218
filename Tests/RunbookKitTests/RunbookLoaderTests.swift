import Testing
@testable import RunbookKit

@Suite struct RunbookLoaderTests {
    static let valid = """
        id: sample
        title: Sample
        category: service-down
        steps:
          - id: first
            title: First
            postgres: SELECT 1 AS one
            timeout: 5s
            findings:
              - id: broken
                when: status != "ok" and not timed_out
                severity: critical
                message: "it broke: ${error}"
            next:
              - when: status != "ok"
                goto: last
          - id: last
            shell: echo done
        remediations:
          - id: mend
            title: Mend it
            fixes: [broken]
            risk: changes
            shell: echo mended
            verify: first
        """

    func diagnostics(_ yaml: String) -> [String] {
        RunbookLoader.load(yaml: yaml, file: "t.yaml").diagnostics.map(\.description)
    }

    @Test func loadsAValidRunbook() throws {
        let outcome = RunbookLoader.load(yaml: Self.valid, file: "t.yaml")
        #expect(outcome.diagnostics.isEmpty)
        let rb = try #require(outcome.runbook)
        #expect(rb.steps.map(\.id) == ["first", "last"])
        #expect(rb.steps[0].timeout == 5)
        #expect(rb.steps[1].timeout == Step.defaultTimeout)
        #expect(rb.remediations.first?.risk == .changes)
        #expect(rb.remediations.first?.verify == ["first"])
        guard case .postgres(let p) = rb.steps[0].action else { Issue.record("not postgres"); return }
        #expect(p.access == .readOnly)
    }

    @Test func unknownKeysGetADidYouMean() {
        let d = diagnostics(Self.valid.replacingOccurrences(of: "timeout: 5s", with: "timout: 5s"))
        #expect(d == ["t.yaml:8:5: unknown key `timout` in a step; did you mean `timeout`?"])
    }

    @Test func unknownStepKindsAreNamed() {
        let d = diagnostics(Self.valid.replacingOccurrences(of: "shell: echo done", with: "mysql: echo done"))
        #expect(d.count == 1, "\(d)")
        #expect(d.first?.hasPrefix("t.yaml:18:5: unknown step kind `mysql`") == true, "\(d)")
    }

    @Test func badExpressionsPointAtTheColumnOfTheFault() {
        let d = diagnostics(
            Self.valid.replacingOccurrences(
                of: #"when: status != "ok" and not timed_out\#n        severity"#, with: "when: status = 1\n        severity"))
        #expect(d.first == "t.yaml:11:22: bad expression in `when`: `=` is not an operator; compare with `==`")
    }

    @Test func referencesToNothingAreReported() {
        var yaml = Self.valid.replacingOccurrences(of: "goto: last", with: "goto: lsat")
        yaml = yaml.replacingOccurrences(of: "fixes: [broken]", with: "fixes: [brokn]")
        yaml = yaml.replacingOccurrences(of: "verify: first", with: "verify: frist")
        let d = diagnostics(yaml)
        #expect(d.contains { $0.contains("`next` names `lsat`, which is no step; did you mean `last`?") })
        #expect(d.contains { $0.contains("`fixes` names `brokn`, which no step reports; did you mean `broken`?") })
        #expect(d.contains { $0.contains("`verify` names `frist`, which is no step; did you mean `first`?") })
    }

    @Test func duplicateIdsAndMissingFieldsAreReported() {
        let yaml = """
            id: dup
            category: data
            steps:
              - id: a
                shell: "true"
              - id: a
                shell: "false"
            """
        let d = diagnostics(yaml)
        #expect(d.contains { $0.hasPrefix("t.yaml:1:1: missing `title`") })
        #expect(d.contains { $0.contains("duplicate step id `a`") })
    }

    @Test func unreachableStepsAndLoopsWithoutAnExitAreReported() {
        let yaml = """
            id: loops
            title: Loops
            category: tool
            steps:
              - id: a
                shell: "true"
                next: b
              - id: orphan
                shell: "true"
              - id: b
                shell: "true"
                next: c
              - id: c
                shell: "true"
                next: b
            """
        let d = diagnostics(yaml)
        #expect(d.contains { $0.contains("step `orphan` cannot be reached from the first step") })
        #expect(d.contains { $0.contains("step `b` is in a loop with no way out") })
    }

    @Test func badDurationsAndYAMLSyntaxAreReported() {
        #expect(
            diagnostics(Self.valid.replacingOccurrences(of: "timeout: 5s", with: "timeout: soon")).first?
                .contains("timeout must be a duration") == true)
        let syntax = diagnostics("id: x\n  title: [oops\n")
        #expect(syntax.first?.hasPrefix("t.yaml:") == true)
        #expect(syntax.first?.contains("YAML syntax") == true)
    }

    @Test func destructiveRemediationsNeedAConfirmWord() {
        let d = diagnostics(Self.valid.replacingOccurrences(of: "risk: changes", with: "risk: destructive"))
        #expect(d.contains { $0.contains("needs `confirm_word`") })
    }

    @Test func queryPlaceholdersNeedParams() {
        let d = diagnostics(Self.valid.replacingOccurrences(of: "postgres: SELECT 1 AS one", with: "postgres: SELECT $2::int AS one"))
        #expect(d.contains { $0.contains("the query uses $2 but `params` gives 0 values") })
    }
}
