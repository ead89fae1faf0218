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

    public var servesTLS: Bool { self == .nested }

    public var summary: String {
        switch self {
        case .nested: return "rbsh's stub: nested health JSON, HTTP and HTTPS"
        case .actuator: return "probe-api: Actuator-style health JSON, plain HTTP, no TLS"
        }
    }

    /// The name the actuator flavour's process runs under (a link to rbsh).
    public static let actuatorProgram = "probe-api"
}
