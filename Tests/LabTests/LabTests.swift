import Foundation
import Lab
import Clients
import Probes
import RunbookKit
import Testing
import TestSupport

/// The lab is what the guide's platform looks like, with its security on.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct LabTests {
    @Test func theLabIsUpWhereTheTestCommandStartedIt() throws {
        if LabFixture.isRequired { _ = try LabFixture.require() }
    }

    @Test func itHoldsARealisticVolumeOfData() async throws {
        try await LabAccess.sharing {
            let c = try PostgresConnection.connect(try LabFixture.require().postgresURL)
            let r = try c.query(
                """
                SELECT (SELECT count(*) FROM agents) AS agents, (SELECT count(*) FROM tasks) AS tasks,
                       (SELECT count(*) FROM task_results) AS results,
                       (SELECT extract(day FROM max(execution_time) - min(execution_time)) FROM task_results) AS days
                """)
            let row = try #require(r.rows.first).map { Int($0 ?? "") ?? 0 }
            #expect(row[0] >= 200)
            #expect(row[1] >= 2_000)
            #expect(row[2] >= 500_000)
            #expect(row[3] >= 29)
        }
    }

    @Test func settlingBringsAnOldLabsResultsUpToNow() async throws {
        try await LabAccess.alone {
            let lab = try LabFixture.require()
            let c = try PostgresConnection.connect(lab.postgresURL)
            let lag = "SELECT extract(epoch FROM now() - max(execution_time))::int FROM task_results"
            // As if the lab had been up for two hours: its newest result two hours old.
            _ = try c.query("UPDATE task_results SET execution_time = execution_time - interval '2 hours'", timeout: 120)
            try LabFaults(state: lab).settle()
            #expect((Int(try c.query(lag).rows.first?.first.flatMap { $0 } ?? "") ?? 9_999) < 600, "the newest result is recent again")
            // `rbsh lab up` on a lab left up does the same, so a demo started again looks live.
            _ = try c.query("DELETE FROM task_results WHERE execution_time > now() - interval '15 minutes'", timeout: 120)
            let up = try RbshProcess.run(["lab", "up"], timeout: 120)
            #expect(up.status == 0, "\(up.stderr)")
            #expect((Int(try c.query(lag).rows.first?.first.flatMap { $0 } ?? "") ?? 9_999) < 600, "lab up brought it to now")
        }
    }

    @Test func itHasTheGuidesIndexesAndPgStatStatements() async throws {
        try await LabAccess.sharing {
            let c = try PostgresConnection.connect(try LabFixture.require().postgresURL)
            let idx = try c.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'idx_%' ORDER BY 1")
            #expect(
                idx.rows.compactMap { $0.first ?? nil } == [
                    "idx_agents_status_location", "idx_task_results_date", "idx_task_results_execution_time",
                    "idx_task_results_failed", "idx_task_results_task_id_time", "idx_tasks_user_status",
                ])
            let pss = try c.query("SELECT count(*) FROM pg_stat_statements")
            #expect(pss.rows.count == 1)
        }
    }

    @Test func passwordsAreRequired() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            #expect(throws: PostgresError.self) {
                _ = try PostgresConnection.connect("postgres://postgres@127.0.0.1:\(lab.postgresPort)/network_probe", timeout: 3)
            }
            let redis = try RedisConnection.connect(
                RedisURL(host: "127.0.0.1", port: lab.redisPort, username: nil, password: nil, database: 0))
            #expect(throws: RedisError.self) { _ = try redis.command(["KEYS", "*"]) }
        }
    }

    @Test func statusAndFaultsAreListed() async throws {
        let status = try await LabAccess.sharing { try RbshProcess.run(["lab", "status"]) }
        #expect(status.stdout.contains("postgres  up"))
        #expect(status.stdout.contains("api       up"))
        let faults = try RbshProcess.run(["lab", "faults"])
        #expect(faults.stdout.contains("idle-connections"))
        #expect(faults.stdout.contains("postgres-down"))
        let bad = try RbshProcess.run(["lab", "inject", "no-such-fault"])
        #expect(bad.status == 3)
        #expect(bad.stderr.contains("no fault `no-such-fault`"))
    }
}

/// The lab's second API differs from the first in all the guide leaves open:
/// its health JSON, its process name and command line, and TLS.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct LabFlavourTests {
    @Test func theActuatorAPIIsAnotherProgramWithAnotherAnswerAndNoTLS() async throws {
        try await LabAccess.alone {
            let lab = try LabFixture.require()
            let switched = try RbshProcess.run(["lab", "flavour", "actuator"])
            #expect(switched.status == 0, "\(switched.stderr)")
            defer { _ = try? RbshProcess.run(["lab", "flavour", "nested"]) }
            let health = try HTTPClient.request(url: lab.apiURL + "/api/v1/health", timeout: 5)
            #expect(health.status == 200)
            #expect(
                String(decoding: health.body, as: UTF8.self)
                    == #"{"status":"UP","components":{"db":{"status":"UP"},"redis":{"status":"UP"}}}"#)
            let pid = try #require(
                LabState.load().flatMap {
                    Int32(
                        (try? String(contentsOfFile: $0.directory + "/api.pid", encoding: .utf8))?.trimmingCharacters(
                            in: .whitespacesAndNewlines) ?? "")
                })
            let comm = try String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)
            #expect(comm == "probe-api\n")
            let cmdline = (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()).split(separator: 0).map {
                String(decoding: $0, as: UTF8.self)
            }
            #expect(cmdline.dropFirst() == ["--listen", "127.0.0.1:\(lab.apiPort)"])
            #expect((try? TCPSocket.connect(host: "127.0.0.1", port: lab.apiTLSPort, timeout: 1)) == nil, "no TLS port")
            // The runbooks read it as they read the first: healthy, and TLS not checked.
            let run = try RbshProcess.run(["run", "websocket-failure", "--format", "json", "--transcript", "/dev/null"])
            #expect(run.status == 0, "\(run.stdout)")
            #expect(run.stdout.contains(#""id":"no-tls-endpoint""#))
            let back = try RbshProcess.run(["lab", "flavour", "nested"])
            #expect(back.status == 0)
            #expect(try HTTPClient.request(url: lab.apiURL + "/api/v1/health", timeout: 5).status == 200)
            #expect((try? TCPSocket.connect(host: "127.0.0.1", port: lab.apiTLSPort, timeout: 1)) != nil, "TLS again")
        }
    }
}
