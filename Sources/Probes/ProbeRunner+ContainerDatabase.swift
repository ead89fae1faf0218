import Clients
import Foundation
import OutputCapture
import RunbookKit

/// A database reached through `docker exec` (`docker-exec://SERVICE/DATABASE?user=U`, the guide's
/// `docker exec postgres psql -U postgres`): libpq over rbsh's relay, and the connection check run in the
/// container.
extension ProbeRunner {
    var databaseEndpoint: PostgresEndpoint {
        PostgresEndpoint(conninfo: targets.postgres, environment: ProcessInfo.processInfo.environment)
    }

    /// What libpq connects with: the target itself, or for a container the relay's socket.
    func databaseConninfo() throws(PostgresError) -> String? {
        let endpoint = databaseEndpoint
        guard endpoint.throughContainer else { return targets.postgres }
        if databaseRelay == nil {
            guard case .success(let engine) = DockerEngine.locate(environment: ProcessInfo.processInfo.environment) else {
                throw .unreachable("a docker-exec target needs the Docker engine on a unix:// socket (DOCKER_HOST)")
            }
            do {
                databaseRelay = try DatabaseRelay(
                    engine: engine, service: endpoint.host, project: targets.extras["docker.project"] ?? "", port: endpoint.port)
            } catch { throw .unreachable("the relay to \(endpoint.host): \(error)") }
        }
        let password = targets.postgres.flatMap { URLComponents(string: $0)?.password }.map { $0.removingPercentEncoding ?? $0 }
        return databaseRelay?.conninfo(database: endpoint.database, user: endpoint.user, password: password)
    }

    /// Why a database in a container cannot be reached at all, the Docker engine not answering: its steps then
    /// do not run (their findings are unknown), as that says nothing of the database. Nil for other targets.
    func containerTransportProblem() -> String? {
        let endpoint = databaseEndpoint
        guard endpoint.throughContainer else { return nil }
        switch DockerEngine.locate(environment: ProcessInfo.processInfo.environment) {
        case .failure(let why): return "the database in `\(endpoint.host)` is reached through docker exec: \(why)"
        case .success(let engine):
            do {
                guard try engine.get("/_ping", timeout: 2).status == 200 else {
                    return
                        "the Docker engine at \(engine.socketPath) does not answer its ping: the database in `\(endpoint.host)` cannot be reached through docker exec"
                }
                return nil
            } catch {
                return
                    "the Docker engine at \(engine.socketPath): \(error): the database in `\(endpoint.host)` cannot be reached through docker exec"
            }
        }
    }

    /// A `tcp` step to `docker-exec://SERVICE:PORT`: whether the server in the container accepts a connection
    /// on its own socket there. A container that is not running, or a server not listening in it, is `refused`;
    /// the engine's own failures say nothing of the database (no `connected`).
    func runContainerConnect(_ address: String, timeout: Double) -> StepResult {
        let started = ContinuousClock.now
        let rest = address.dropFirst(PostgresEndpoint.containerScheme.count + 3)
        let service = rest.split(separator: ":").first.map(String.init) ?? ""
        let port = rest.split(separator: ":").dropFirst().first.flatMap { Int($0) } ?? 5432
        guard case .success(let engine) = DockerEngine.locate(environment: ProcessInfo.processInfo.environment) else {
            return StepResult(
                status: .error, error: "no Docker engine on a unix:// socket (DOCKER_HOST)", values: ["error_kind": .string("docker")])
        }
        do {
            let reached = try ContainerDatabase.check(
                engine, service: service, project: targets.extras["docker.project"] ?? "", port: port, timeout: timeout)
            let ms = (ContinuousClock.now - started).milliseconds
            return StepResult(
                status: .ok,
                output: CapturedOutput(text: "connected to \(service)'s socket in \(reached) in \(String(format: "%.1f", ms)) ms"),
                values: ["connected": .bool(true), "latency_ms": .number(ms)])
        } catch .protocolError(let why) {
            return StepResult(status: .error, error: why, values: ["error_kind": .string("docker")])
        } catch {
            return StepResult(failure: error)
        }
    }
}
