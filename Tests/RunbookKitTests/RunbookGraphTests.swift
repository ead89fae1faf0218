import Testing
@testable import RunbookKit

@Suite struct RunbookGraphTests {
    static let triage = """
        id: triage
        title: Triage
        category: tool
        steps:
          - id: kind
            ask: What kind of problem?
            choices: [service-down, performance]
            next:
              - when: answer == "service-down"
                goto: service
              - when: answer == "performance"
                goto: perf
          - id: service
            title: Check service status
            shell: "true"
            findings:
              - id: down
                when: exit_code != 0
                severity: critical
                message: down
            next: end
          - id: perf
            title: Performance analysis
            shell: "true"
        remediations:
          - id: restart
            title: Restart
            fixes: [down]
            risk: changes
            shell: "true"
        """

    @Test func questionsBecomeDecisionsWithTheirChoicesOnTheEdges() throws {
        let rb = try #require(RunbookLoader.load(yaml: Self.triage, file: "t.yaml").runbook)
        let mermaid = RunbookGraph(rb).mermaid()
        #expect(mermaid.hasPrefix("graph TD\n"))
        #expect(mermaid.contains(#"kind{"What kind of problem?"}"#))
        #expect(mermaid.contains(#"kind -->|"service-down"| service"#))
        #expect(mermaid.contains(#"kind -->|"performance"| perf"#))
        #expect(mermaid.contains("service --> runbook_end"))
        #expect(mermaid.contains(#"service -.->|"down"| fix_restart"#))
        #expect(!mermaid.contains(" end\n"), "`end` is a mermaid keyword")
    }

    @Test func dotQuotesEverything() throws {
        let rb = try #require(RunbookLoader.load(yaml: Self.triage, file: "t.yaml").runbook)
        let dot = RunbookGraph(rb).dot()
        #expect(dot.hasPrefix("digraph runbook {"))
        #expect(dot.contains(#""kind" [label="What kind of problem?", shape=diamond];"#))
        #expect(dot.contains(#""service" -> "fix-restart" [label="down", style=dashed];"#))
        #expect(dot.hasSuffix("}\n"))
    }

    @Test func expressionsPrintAsWritten() throws {
        for text in [#"a == "x" and (b > 2 or not c)"#, "not (a and b)", #"output =~ "FATAL""#] {
            let e = try ExpressionParser.parse(text)
            #expect(try ExpressionParser.parse(e.description) == e, "\(text) → \(e.description)")
        }
    }
}

@Suite struct TableFormatterTests {
    @Test func drawsAsPsqlDoes() {
        let t = ResultTable(
            columns: ["state", "connections"], rows: [["idle", "80"], ["active", "1"], [nil, "5"]], numericColumns: [1])
        #expect(
            TableFormatter.render(t) == """
                 state  | connections
                --------+-------------
                 idle   |          80
                 active |           1
                        |           5
                (3 rows)
                """)
    }
}
