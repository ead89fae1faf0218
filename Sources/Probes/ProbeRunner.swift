import Clients
import Foundation
import RunbookKit

/// Runs probe steps against the targets, keeping one connection per target
/// across steps.
public final class ProbeRunner: StepRunner, @unchecked Sendable {
    public let targets: Targets
    public var shell: ShellRunner
    /// Diagnostic SQL: statement and lock timeouts, in milliseconds. A
    /// diagnostic never waits on a lock: a table held by a stuck migration is
    /// reported (who holds it), not queued behind.
    public var statementTimeoutMilliseconds = 10_000
    public var lockTimeoutMilliseconds = 200
    var postgres: PostgresConnection?
    /// The session's statement_timeout now, so each step's is set only when it differs.
    var sessionStatementTimeout: Int?
    var redis: RedisConnection?
    /// Concurrent steps share the runner: one query at a time on each connection.
    let postgresLock = NSLock()
    let redisLock = NSLock()
    /// The relay to a database in a container (a `docker-exec://` target), made on first use.
    var databaseRelay: DatabaseRelay?

    public init(targets: Targets, shell: ShellRunner = ShellRunner()) {
        self.targets = targets
        self.shell = shell
    }

    public func run(_ pending: PendingStep, control: StepControl) -> StepResult {
        let started = ContinuousClock.now
        var result = probe(pending, control: control)
        // A step's duration is its wall-clock time, whatever the probe measured inside it.
        result.durationMilliseconds = (ContinuousClock.now - started).milliseconds
        return result
    }

    func probe(_ pending: PendingStep, control: StepControl) -> StepResult {
        let step = pending.step
        if !pending.missing.isEmpty {
            return StepResult(status: .error, error: "no value for \(pending.missing.map { "${\($0)}" }.joined(separator: ", "))")
        }
        switch step.action {
        case .shell(let a): return runShell(a, timeout: step.timeout, control: control)
        case .postgres(let a):
            postgresLock.lock()
            defer { postgresLock.unlock() }
            return runPostgres(a, timeout: step.timeout, scans: step.scans, control: control)
        case .redis(let a):
            redisLock.lock()
            defer { redisLock.unlock() }
            return runRedis(a, timeout: step.timeout)
        case .http(let a): return runHTTP(a, timeout: step.timeout, control: control)
        case .tcp(let a): return a.listening ? runListening(a) : runTCP(a, timeout: step.timeout, control: control)
        case .system(let a): return runSystem(a, control: control)
        case .containers(let a): return runContainers(a, timeout: step.timeout)
        case .tls(let a): return runTLS(a, timeout: step.timeout, control: control)
        case .websocket(let a): return runWebSocket(a, timeout: step.timeout, control: control)
        case .ask, .manual, .runbook, .sweep:
            return StepResult(status: .error, error: "a \(step.action.kind) step needs the session driver, not a probe")
        }
    }
}
