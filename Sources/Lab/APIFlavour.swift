import Foundation

/// Which management API the lab serves. The guide fixes only the port, the
/// health endpoint and /ws; the flavours differ in everything else a
/// runbook might wrongly assume, so that the regression cases hold on both.
public enum APIFlavour: String, Codable, Sendable, CaseIterable {
    /// `rbsh lab serve-api`: health as `{"status": "healthy", "database": {"ok": true}, "redis": {"ok": true}}`,
    /// over HTTP and HTTPS (a certificate from the lab's own CA).
    case nested
    /// A process named `probe-api` (`probe-api --listen 127.0.0.1:PORT`):
    /// health as Spring Boot Actuator writes it,
    /// `{"status": "UP", "components": {"db": {"status": "UP"}, "redis": {"status": "UP"}}}`,
    /// over plain HTTP only.
    case actuator
    /// The platform as the guide deploys it: a Docker Compose project `network-probe` whose services
    /// `management` (probe-api), `postgres` and `redis` run in containers, ports published on 127.0.0.1, over
    /// plain HTTP. Needs a Docker engine (DOCKER_HOST or /var/run/docker.sock) and docker-compose or
    /// `docker compose`.
    case compose

    public var servesTLS: Bool { self == .nested }
    /// Whether the lab runs as containers rather than as processes of its own.
    public var isCompose: Bool { self == .compose }

    public var summary: String {
        switch self {
        case .nested: return "rbsh's stub: nested health JSON, HTTP and HTTPS"
        case .actuator: return "probe-api: Actuator-style health JSON, plain HTTP, no TLS"
        case .compose: return "Docker Compose project network-probe: probe-api, PostgreSQL and Redis in containers, plain HTTP"
        }
    }

    /// The name the actuator flavour's process runs under (a link to rbsh).
    public static let actuatorProgram = "probe-api"
}
