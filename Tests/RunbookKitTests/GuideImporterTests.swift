import Foundation
import Testing

@testable import RunbookKit

/// `rbsh import` of the platform's own guide (docs/guide/troubleshooting.zh.md, the guide as it was given).
@Suite struct GuideImporterTests {
    static let guidePath = MarkdownFormatterTests.repository.appendingPathComponent("docs/guide/troubleshooting.zh.md").path

    static func imported() throws -> GuideImporter.Outcome {
        let text = try String(contentsOfFile: guidePath, encoding: .utf8)
        return GuideImporter.drafts(from: text, file: "troubleshooting.zh.md")
    }

    @Test func theGuidesSixCasesBecomeSixDrafts() throws {
        let outcome = try Self.imported()
        #expect(outcome.drafts.map(\.title) == ["管理平台无法启动", "数据库连接失败", "响应时间过长", "内存使用过高", "WebSocket连接失败", "数据不一致"])
        #expect(outcome.drafts.map(\.id).allSatisfy { !$0.isEmpty } && Set(outcome.drafts.map(\.id)).count == 6)
        // Steps and fixes as the guide numbers them (a step with nothing to run, 分析内存泄漏's tool, counts too).
        #expect(outcome.drafts.map(\.steps) == [4, 4, 3, 3, 4, 2])
        #expect(outcome.drafts.map(\.fixes) == [4, 4, 4, 4, 4, 3])
        // What has code but is not a case (the diagnosis scripts, the tuning sections) is said, not dropped quietly.
        #expect(outcome.leftOut.map(\.title).contains("系统诊断脚本"))
    }

    @Test func eachDraftIsARunbookThatLintsWithOnlyReviewNotes() throws {
        for draft in try Self.imported().drafts {
            let loaded = RunbookLoader.load(markdown: draft.text, file: "\(draft.id).md")
            let runbook = try #require(loaded.runbook, "\(draft.id): \(loaded.diagnostics)")
            #expect(
                loaded.diagnostics.allSatisfy { $0.level == .review }, "\(draft.id): \(loaded.diagnostics.filter { $0.level != .review })")
            #expect(loaded.diagnostics.count == draft.reviews && draft.reviews == draft.steps + draft.fixes)
            #expect(runbook.remediations.count == draft.fixes)
            // Not run blind: every guessed fix is refused, by anyone, until its review mark is removed.
            for fix in runbook.remediations {
                for policy in [RemediationPolicy(mode: .unattended(allow: .destructive)), .person] {
                    guard case .refuse(let why) = policy.decide(fix) else {
                        Issue.record("\(draft.id)/\(fix.id) would run under \(policy.mode)")
                        continue
                    }
                    #expect(why.hasPrefix("marked for review ("))
                }
            }
            #expect(MarkdownFormatter.format(draft.text).text == draft.text, "\(draft.id): a draft is as rbsh fmt writes it")
        }
    }

    @Test func sqlThroughPsqlBecomesSQLWithPostgreSQL13sColumnNames() throws {
        let drafts = try Self.imported().drafts
        let slow = try #require(drafts.first { $0.title == "响应时间过长" })
        let runbook = try #require(RunbookLoader.load(markdown: slow.text, file: "s.md").runbook)
        guard case .postgres(let sql) = runbook.steps[1].action else {
            Issue.record("分析慢查询 is not a postgres step: \(runbook.steps[1].action)")
            return
        }
        #expect(sql.sql.contains("mean_exec_time > 1000") && sql.sql.contains("ORDER BY total_exec_time DESC"))
        #expect(!sql.sql.contains("docker") && !sql.sql.contains("psql"))
        #expect(slow.text.contains("'mean_time' is 'mean_exec_time' since PostgreSQL 13: corrected"))
        // 检查系统负载's top, htop and iostat -x 1 never end: bounded.
        guard case .shell(let load) = runbook.steps[0].action else {
            Issue.record("检查系统负载 is not a shell step")
            return
        }
        #expect(load.command == "top -b -n 1\ntop -b -n 1\niostat -x 1 3")
    }

    @Test func risksAreGuessedFromWhatTheFixesRun() throws {
        let drafts = try Self.imported().drafts
        func fixes(_ title: String) throws -> [Remediation] {
            let d = try #require(drafts.first { $0.title == title })
            return try #require(RunbookLoader.load(markdown: d.text, file: "d.md").runbook).remediations
        }
        let db = try fixes("数据库连接失败")
        #expect(db.map(\.risk) == [.changes, .safe, .changes, .destructive], "restart, edit .env, terminate, volume rm")
        #expect(db[3].confirmWord == "fix-4")
        if case .manual(let manual) = db[1].action.action {
            #expect(manual.instruction.contains("MAX_CONNECTIONS=200"))
        } else {
            Issue.record("editing deployment/.env is a person's to do: \(db[1].action.action)")
        }
        let data = try fixes("数据不一致")
        #expect(data.map(\.risk) == [.destructive, .changes, .changes], "DELETE, REINDEX, a repair script")
        let memory = try fixes("内存使用过高")
        #expect(memory[2].risk == .destructive, "FLUSHDB")
        if case .redis(let command) = memory[2].action.action {
            #expect(command.argv == ["FLUSHDB"])
        } else {
            Issue.record("FLUSHDB through docker exec redis-cli is a redis fix: \(memory[2].action.action)")
        }
    }

    @Test func anEnglishGuideIsReadTheSameWay() throws {
        let guide = """
            # Operations

            ## Service problems

            ### API down

            **Symptoms**:
            - the API does not answer
            - agents disconnect

            **Diagnosis**:

            ```bash
            # 1. Check the port
            ss -tlnp | grep 8000

            # 2. Follow the log
            tail -f /var/log/api.log
            ```

            **Solutions**:

            ```bash
            # Solution 1: Restart the API
            systemctl restart api
            ```
            """
        let outcome = GuideImporter.drafts(from: guide, file: "ops.md")
        let draft = try #require(outcome.drafts.first)
        #expect(outcome.drafts.count == 1 && draft.id == "api-down" && draft.title == "API down")
        let runbook = try #require(RunbookLoader.load(markdown: draft.text, file: "api-down.md").runbook)
        #expect(runbook.category == .serviceDown && runbook.symptoms == ["the API does not answer", "agents disconnect"])
        #expect(runbook.steps.map(\.title) == ["Check the port", "Follow the log"])
        if case .shell(let follow) = runbook.steps[1].action { #expect(follow.command == "tail /var/log/api.log") }
        #expect(runbook.remediations.map(\.title) == ["Restart the API"] && runbook.remediations[0].risk == .changes)
        #expect(runbook.remediations[0].fixes == ["step-1-failed", "step-2-failed"])
    }

    @Test func aDocumentWithoutCasesHasNoDrafts() {
        let outcome = GuideImporter.drafts(from: "# Notes\n\n```sh\necho hi\n```\n", file: "notes.md")
        #expect(outcome.drafts.isEmpty && outcome.leftOut.map(\.title) == ["Notes"])
    }
}
