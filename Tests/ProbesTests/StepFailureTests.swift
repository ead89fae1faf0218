import Clients
import Testing
@testable import Probes
@testable import RunbookKit

/// Each client's errors become a step's status, `error_kind` and
/// `connected` in one place; runbooks branch on these.
@Suite struct StepFailureTests {
    func expectResult(
        _ r: StepResult, _ status: StepStatus, _ kind: String, connected: Bool, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(r.status == status, sourceLocation: sourceLocation)
        #expect(r.values["error_kind"] == .string(kind), sourceLocation: sourceLocation)
        #expect(r.values["connected"] == .bool(connected), sourceLocation: sourceLocation)
        #expect(r.error?.isEmpty == false, sourceLocation: sourceLocation)
    }

    @Test func postgresErrors() {
        expectResult(StepResult(failure: PostgresError.unreachable("refused")), .error, "unreachable", connected: false)
        expectResult(StepResult(failure: PostgresError.authenticationFailed("no")), .error, "auth", connected: false)
        expectResult(StepResult(failure: PostgresError.timeout("10 s")), .timeout, "timeout", connected: false)
        expectResult(StepResult(failure: PostgresError.connectionLost("gone")), .error, "connection_lost", connected: false)
        expectResult(StepResult(failure: PostgresError.cancelled), .interrupted, "interrupted", connected: false)
        expectResult(StepResult(failure: PostgresError.badConfiguration("bad")), .error, "configuration", connected: false)
        let query = StepResult(failure: PostgresError.queryFailed(sqlstate: "42P01", message: "no such table"))
        expectResult(query, .failed, "query", connected: true)
        #expect(query.values["sqlstate"] == .string("42P01"))
    }

    @Test func redisErrors() {
        expectResult(StepResult(failure: RedisError.unreachable("refused")), .error, "unreachable", connected: false)
        expectResult(StepResult(failure: RedisError.authenticationFailed("WRONGPASS")), .error, "auth", connected: false)
        expectResult(StepResult(failure: RedisError.timeout("5 s")), .timeout, "timeout", connected: false)
        expectResult(StepResult(failure: RedisError.connectionLost("reset")), .error, "connection_lost", connected: false)
        expectResult(StepResult(failure: RedisError.badURL("not a URL")), .error, "configuration", connected: false)
        expectResult(
            StepResult(failure: RedisError.commandFailed(code: "WRONGTYPE", message: "wrong kind")), .failed, "WRONGTYPE", connected: true)
    }

    @Test func networkErrors() {
        expectResult(StepResult(failure: NetworkError.refused("127.0.0.1:1")), .failed, "refused", connected: false)
        expectResult(StepResult(failure: NetworkError.dns("no.such")), .error, "dns", connected: false)
        expectResult(StepResult(failure: NetworkError.unreachable("no route")), .error, "unreachable", connected: false)
        expectResult(StepResult(failure: NetworkError.timeout("2 s")), .timeout, "timeout", connected: false)
        expectResult(StepResult(failure: NetworkError.interrupted), .interrupted, "interrupted", connected: false)
        expectResult(StepResult(failure: NetworkError.protocolError("the answer is not HTTP")), .error, "protocol", connected: false)
        expectResult(StepResult(failure: NetworkError.protocolError("TLS handshake with x failed: y")), .error, "tls", connected: false)
        expectResult(StepResult(failure: NetworkError.badAddress("x")), .error, "configuration", connected: false)
    }
}
