import Clients
import Testing
@testable import Probes
@testable import RunbookKit

/// Each client's errors become a step's status, `error_kind` and
/// `connected` in one place; runbooks branch on these.
@Suite struct StepFailureTests {
    func expectResult(
        _ r: StepResult, _ status: StepStatus, _ kind: String, connected: Bool?, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(r.status == status, sourceLocation: sourceLocation)
        #expect(r.values["error_kind"] == .string(kind), sourceLocation: sourceLocation)
        #expect(r.values["connected"] == connected.map(Value.bool), sourceLocation: sourceLocation)
        #expect(r.error?.isEmpty == false, sourceLocation: sourceLocation)
    }

    @Test func postgresErrors() {
        expectResult(StepResult(failure: PostgresError.unreachable("refused")), .error, "unreachable", connected: false)
        expectResult(StepResult(failure: PostgresError.authenticationFailed("no")), .error, "auth", connected: false)
        expectResult(StepResult(failure: PostgresError.timeout("10 s")), .timeout, "timeout", connected: nil)
        // The server's own statement_timeout: a timeout too; a lock it may not wait for: no answer about the data.
        expectResult(
            StepResult(failure: PostgresError.queryFailed(sqlstate: "57014", message: "statement timeout")), .timeout, "timeout",
            connected: true)
        expectResult(
            StepResult(failure: PostgresError.queryFailed(sqlstate: "55P03", message: "lock timeout")), .error, "lock", connected: true)
        expectResult(StepResult(failure: PostgresError.connectionLost("gone")), .error, "connection_lost", connected: false)
        expectResult(StepResult(failure: PostgresError.cancelled), .interrupted, "interrupted", connected: nil)
        expectResult(StepResult(failure: PostgresError.badConfiguration("bad")), .error, "configuration", connected: false)
        let query = StepResult(failure: PostgresError.queryFailed(sqlstate: "42P01", message: "no such table"))
        expectResult(query, .failed, "query", connected: true)
        #expect(query.values["sqlstate"] == .string("42P01"))
    }

    @Test func redisErrors() {
        expectResult(StepResult(failure: RedisError.unreachable("refused")), .error, "unreachable", connected: false)
        expectResult(StepResult(failure: RedisError.authenticationFailed("WRONGPASS")), .error, "auth", connected: false)
        expectResult(StepResult(failure: RedisError.timeout("5 s")), .timeout, "timeout", connected: nil)
        expectResult(StepResult(failure: RedisError.connectionLost("reset")), .error, "connection_lost", connected: false)
        expectResult(StepResult(failure: RedisError.badURL("not a URL")), .error, "configuration", connected: false)
        expectResult(
            StepResult(failure: RedisError.commandFailed(code: "WRONGTYPE", message: "wrong kind")), .failed, "WRONGTYPE", connected: true)
    }

    @Test func networkErrors() {
        expectResult(StepResult(failure: NetworkError.refused("127.0.0.1:1")), .failed, "refused", connected: false)
        expectResult(StepResult(failure: NetworkError.dns("no.such")), .error, "dns", connected: false)
        expectResult(StepResult(failure: NetworkError.unreachable("no route")), .error, "unreachable", connected: false)
        expectResult(StepResult(failure: NetworkError.timeout("2 s")), .timeout, "timeout", connected: nil)
        expectResult(StepResult(failure: NetworkError.interrupted), .interrupted, "interrupted", connected: nil)
        expectResult(StepResult(failure: NetworkError.protocolError("the answer is not HTTP")), .error, "protocol", connected: false)
        expectResult(StepResult(failure: NetworkError.protocolError("TLS handshake with x failed: y")), .error, "tls", connected: false)
        expectResult(StepResult(failure: NetworkError.badAddress("x")), .error, "configuration", connected: false)
    }

    /// How far a request got is what tells a hung server from another protocol's and from none.
    @Test func exchangeFailures() {
        let notThere = StepResult(failure: ExchangeFailure(.refused("127.0.0.1:1"), accepted: false))
        expectResult(notThere, .failed, "refused", connected: false)
        #expect(notThere.values["accepted"] == .bool(false) && notThere.values["answered"] == nil)

        let hung = StepResult(failure: ExchangeFailure(.timeout("10 s"), accepted: true))
        expectResult(hung, .timeout, "timeout", connected: nil)
        #expect(hung.values["accepted"] == .bool(true) && hung.values["answered"] == .bool(false))
        #expect(hung.value(of: "accepted") == .bool(true), "a fact of the timeout itself")
        #expect(hung.value(of: "status_code") == nil, "what it would have answered is unknown")

        let other = StepResult(
            failure: ExchangeFailure(
                .protocolError("the answer is not HTTP"), accepted: true, received: Array("SSH-2.0-OpenSSH_9.2\r\n".utf8)))
        expectResult(other, .failed, "protocol", connected: false)
        #expect(other.values["answered"] == .bool(true) && other.values["first_bytes"] == .string("SSH-2.0-OpenSSH_9.2\\r\\n"))
        #expect(
            SessionScope(own: other, results: [:], vars: [:], targets: [:]).value(of: "status_code") == .null,
            "it answered: what HTTP would have said is null, not unknown")

        let closed = StepResult(failure: ExchangeFailure(.protocolError("closed"), accepted: true))
        expectResult(closed, .failed, "closed", connected: false)
        #expect(closed.values["answered"] == .bool(false))
    }
}
