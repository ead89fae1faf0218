import Foundation
import Lab
import RunbookKit
import Testing
import TestSupport
import Clients
@testable import Probes

/// libpq against the lab's real PostgreSQL.
@Suite(.enabled(if: LabFixture.isUp || LabFixture.isRequired))
struct PostgresIntegrationTests {
    @Test func queriesWithBoundParametersAndColumnNames() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let c = try PostgresConnection.connect(lab.postgresURL)
            let r = try c.query(
                "SELECT $1::text AS word, $2::int + 1 AS n, NULL::text AS nothing", params: ["x'); DROP TABLE users; --", "41"])
            #expect(r.columns == ["word", "n", "nothing"])
            #expect(r.rows == [["x'); DROP TABLE users; --", "42", nil]])
            #expect(r.typeOIDs[1] == 23)
            #expect(c.serverVersion >= 150_000)
        }
    }

    @Test func aWrongPasswordIsAnAuthenticationFailure() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let url = "postgres://postgres:wrong-password@127.0.0.1:\(lab.postgresPort)/network_probe"
            do {
                _ = try PostgresConnection.connect(url)
                Issue.record("connected with a wrong password")
            } catch let error as PostgresError {
                guard case .authenticationFailed(let m) = error else { Issue.record("got \(error)"); return }
                #expect(m.contains("password authentication failed"))
                #expect(!error.description.contains("wrong-password"))
            }
        }
    }

    @Test func aClosedPortIsUnreachable() throws {
        let port = LabFixture.closedPort()
        do {
            _ = try PostgresConnection.connect("postgres://u:p@127.0.0.1:\(port)/db", timeout: 3)
            Issue.record("connected to a closed port")
        } catch {
            guard case .unreachable(let m) = error else { Issue.record("got \(error)"); return }
            #expect(m.contains("refused"))
        }
    }

    @Test func aQueryErrorCarriesItsSQLSTATE() async throws {
        try await LabAccess.sharing {
            let c = try PostgresConnection.connect(try LabFixture.require().postgresURL)
            #expect(
                throws: PostgresError.queryFailed(
                    sqlstate: "42P01", message: #"relation "no_such_table" does not exist LINE 1: SELECT * FROM no_such_table ^"#)
            ) {
                try c.query("SELECT * FROM no_such_table")
            }
            // The connection is still usable afterwards.
            #expect(try c.query("SELECT 1").rows == [["1"]])
        }
    }

    @Test func aTimeoutCancelsTheQueryOnTheServer() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let c = try PostgresConnection.connect(lab.postgresURL, applicationName: "rbsh-timeout-test")
            let started = Date()
            do {
                _ = try c.query("SELECT pg_sleep(30)", timeout: 0.5)
                Issue.record("pg_sleep(30) finished")
            } catch let error as PostgresError {
                guard case .timeout = error else { Issue.record("got \(error)"); return }
            }
            #expect(Date().timeIntervalSince(started) < 5)
            let observer = try PostgresConnection.connect(lab.postgresURL)
            let running = try observer.query(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'rbsh-timeout-test' AND state = 'active'")
            #expect(running.rows == [["0"]], "the cancelled query is still running on the server")
        }
    }

    @Test func anInterruptCancelsTheQuery() async throws {
        try await LabAccess.sharing {
            let c = try PostgresConnection.connect(try LabFixture.require().postgresURL)
            let started = Date()
            #expect(throws: PostgresError.cancelled) {
                try c.query("SELECT pg_sleep(30)", timeout: 60, interrupted: { Date().timeIntervalSince(started) > 0.3 })
            }
            #expect(Date().timeIntervalSince(started) < 3)
        }
    }

    @Test func diagnosticStepsAreReadOnlyAndBounded() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let runner = ProbeRunner(targets: lab.targets)
            let write = PendingStep(
                step: Step(id: "w", title: "w", action: .postgres(PostgresAction(sql: "CREATE TABLE rbsh_should_not_exist (x int)"))),
                purpose: .diagnose)
            let r = runner.run(write, control: StepControl())
            #expect(r.status == .failed)
            #expect(r.values["sqlstate"] == .string("25006"), "read_only_sql_transaction")
            let read = PendingStep(
                step: Step(
                    id: "r", title: "r",
                    action: .postgres(
                        PostgresAction(
                            sql:
                                "SELECT current_setting('transaction_read_only') AS ro, current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt"
                        ))),
                purpose: .diagnose)
            let ok = runner.run(read, control: StepControl())
            #expect(ok.status == .ok)
            #expect(ok.value(of: "ro") == .string("on"))
            // The server stops it at the step's own timeout (30 s by default); no diagnostic waits on a lock.
            #expect(ok.value(of: "st") == .string("30s"))
            #expect(ok.value(of: "lt") == .string("200ms"))
            #expect(ok.value(of: "row_count") == .number(1))
            #expect(ok.output.text.contains("ro | st  |  lt"))
        }
    }

    @Test func remediationsWriteAndTheConnectionStaysReadOnlyAfterwards() async throws {
        try await LabAccess.sharing {
            let runner = ProbeRunner(targets: try LabFixture.require().targets)
            func step(_ sql: String, _ access: PostgresAction.Access, autocommit: Bool = false) -> StepResult {
                runner.run(
                    PendingStep(
                        step: Step(
                            id: "s", title: "s", action: .postgres(PostgresAction(sql: sql, access: access, autocommit: autocommit))),
                        purpose: .diagnose), control: StepControl())
            }
            let table = "rbsh_rw_\(UInt32.random(in: 0...UInt32.max))"
            #expect(step("CREATE TABLE \(table) (x int)", .readWrite).status == .ok)
            #expect(step("INSERT INTO \(table) VALUES (1)", .readOnly).values["sqlstate"] == .string("25006"))
            #expect(step("VACUUM ANALYZE \(table)", .readWrite, autocommit: true).status == .ok)
            #expect(step("INSERT INTO \(table) VALUES (2)", .readOnly).status == .failed, "autocommit must restore read-only")
            #expect(step("SELECT count(*) AS n FROM \(table)", .readOnly).value(of: "n") == .number(0))
            #expect(step("DROP TABLE \(table)", .readWrite).status == .ok)
        }
    }

    @Test func aLostConnectionIsReconnectedOnceAndSaysSo() async throws {
        try await LabAccess.sharing {
            let lab = try LabFixture.require()
            let runner = ProbeRunner(targets: lab.targets)
            let pidStep = PendingStep(
                step: Step(id: "p", title: "p", action: .postgres(PostgresAction(sql: "SELECT pg_backend_pid() AS pid"))),
                purpose: .diagnose)
            let first = runner.run(pidStep, control: StepControl())
            let pid = try #require(first.value(of: "pid")?.number)
            let killer = try PostgresConnection.connect(lab.postgresURL)
            _ = try killer.query("SELECT pg_terminate_backend($1::int)", params: [String(Int(pid))])
            usleep(100_000)
            let second = runner.run(pidStep, control: StepControl())
            #expect(second.status == .ok)
            #expect(second.values["reconnected"] == .bool(true))
            #expect(second.value(of: "pid")?.number != pid)
        }
    }
}
