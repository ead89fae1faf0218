import Foundation
import Lab
import Testing
import TestSupport

/// Transcripts of real sessions: shown, exported, replayed, regression-tested, and secret-free.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct TranscriptCommandTests {
    static func temp(_ name: String) -> String { NSTemporaryDirectory() + "rbsh-\(name)-\(UUID().uuidString)" }

    @Test func aRunIsShownAndExported() async throws {
        try await LabAccess.sharing {
            _ = try LabFixture.require()
            let path = Self.temp("run") + ".jsonl"
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = try RbshProcess.run(["run", "db-connection-failure", "--transcript", path])
            let show = try RbshProcess.run(["transcript", "show", path])
            #expect(show.status == 0)
            #expect(show.stdout.contains("■ trivial-query ok"))
            let md = try RbshProcess.run(["transcript", "export", path, "--format", "markdown"])
            #expect(md.stdout.hasPrefix("# Postmortem draft: db-connection-failure"))
            let json = try RbshProcess.run(["transcript", "export", path, "--format", "json"])
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect((object?["events"] as? [Any])?.isEmpty == false)
            let missing = try RbshProcess.run(["transcript", "show", "/nonexistent.jsonl"])
            #expect(missing.status == 64)
            #expect(missing.stderr == "rbsh: cannot read /nonexistent.jsonl\n")
        }
    }

    @Test func replayingAHealthyRunAgainDivergesNowhere() async throws {
        try await LabAccess.sharing {
            _ = try LabFixture.require()
            let path = Self.temp("rec") + ".jsonl", again = Self.temp("rep") + ".jsonl"
            defer { for p in [path, again] { try? FileManager.default.removeItem(atPath: p) } }
            _ = try RbshProcess.run(["run", "db-connection-failure", "--transcript", path])
            let replay = try RbshProcess.run(["replay", path, "--execute", "--transcript-out", again])
            #expect(replay.status == 0, "\(replay.stdout)")
            #expect(replay.stdout.contains("no divergence"))
        }
    }

    @Test func replayReportsWhereTheSessionWentElsewhere() async throws {
        try await LabAccess.alone {
            _ = try LabFixture.require()
            let path = Self.temp("rec") + ".jsonl", again = Self.temp("rep") + ".jsonl"
            defer { for p in [path, again] { try? FileManager.default.removeItem(atPath: p) } }
            _ = try RbshProcess.run(["run", "db-connection-failure", "--transcript", path])
            _ = try RbshProcess.run(["lab", "inject", "postgres-down"])
            defer { _ = try? RbshProcess.run(["lab", "clear", "postgres-down"]) }
            let replay = try RbshProcess.run(["replay", path, "--execute", "--transcript-out", again])
            #expect(replay.status == 1)
            #expect(replay.stdout.contains("DIVERGES result at accepting: recorded ok, now failed"))
            #expect(
                replay.stdout.contains("DIVERGES path at container: recorded step 2 trivial-query, now step 2 container")
                    || replay.stdout.contains("DIVERGES path at trivial-query: recorded step 2 trivial-query, now step 2 container"),
                "\(replay.stdout)")
        }
    }

    @Test func aFailingRegressionCaseShowsAClearDiff() async throws {
        try await LabAccess.sharing {
            _ = try LabFixture.require()
            let dir = Self.temp("runbooks")
            try FileManager.default.createDirectory(atPath: dir + "/tests", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try """
            runbook: db-connection-failure
            cases:
              - name: expects what a healthy lab does not have
                expect:
                  status: critical
                  findings: [postgres-unreachable]
                  path: [accepting, server-log]
            """.write(toFile: dir + "/tests/db-connection-failure.yaml", atomically: true, encoding: .utf8)
            let p = try RbshProcess.run(["test", "--runbooks", dir])
            #expect(p.status == 1)
            #expect(p.stdout.contains("✘ db-connection-failure: expects what a healthy lab does not have"))
            #expect(p.stdout.contains("    status: expected critical, got ok"))
            #expect(
                p.stdout.contains(
                    "    path: expected accepting → server-log, got accepting → trivial-query → connections → by-state → idle-old → container → server-log"
                ))
            #expect(p.stdout.contains("    findings: missing postgres-unreachable"))
            #expect(p.stdout.hasSuffix("0 passed, 1 failed\n"))
        }
    }

    @Test func secretsPlantedInEveryChannelNeverReachDisk() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let dir = Self.temp("secrets")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try "secrets: [marked-secret-77]\n".write(toFile: dir + "/rbsh.yaml", atomically: true, encoding: .utf8)
            let transcript = dir + "/t.jsonl"
            let key = "rbsh:test:secret:\(UUID().uuidString)"
            let script = """
                sh echo "password=stdout-pw-1"; echo "token: stderr-tok-2" >&2; echo marked-secret-77
                sh PGPASSWORD=cmd-pw-3 true
                sql select 'api_key=sql-key-4' as leak
                redis SET \(key) secret=redis-val-5 EX 60
                redis GET \(key)
                http \(lab.apiURL)/api/v1/health?token=http-tok-6
                note the password=note-pw-7 was rotated
                quit
                """
            let p = try RbshProcess.run(["shell", "--transcript", transcript, "--config", dir + "/rbsh.yaml"], stdin: script)
            #expect(p.status == 0, "\(p.stderr)")
            let md = try RbshProcess.run(["transcript", "export", transcript, "--format", "markdown"])
            let onDisk = try String(contentsOfFile: transcript, encoding: .utf8)
            for secret in [
                "stdout-pw-1", "stderr-tok-2", "marked-secret-77", "cmd-pw-3", "sql-key-4", "redis-val-5", "http-tok-6", "note-pw-7",
                lab.password,
            ] {
                #expect(!onDisk.contains(secret), "\(secret) reached the transcript")
                #expect(!md.stdout.contains(secret), "\(secret) reached the export")
            }
            #expect(onDisk.contains("«secret-"), "secrets are replaced by placeholders")
        }
    }
}
