import Clients
import Foundation
import OutputCapture
import RunbookKit

/// `tls` steps: the handshake and the certificate: names, issuer, expiry, verification.
extension ProbeRunner {
    func runTLS(_ a: TLSAction, timeout: Double, control: StepControl) -> StepResult {
        let started = ContinuousClock.now
        do {
            let (host, port) = try TCPSocket.split(a.address, defaultPort: 443)
            let deadline = started + .milliseconds(Int(timeout * 1000))
            let socket = try TCPSocket.connect(host: host, port: port, timeout: timeout, interrupted: control.interrupted)
            let tls = try TLSStream(
                socket: socket, serverName: a.serverName ?? host, requireValid: false, deadline: deadline,
                caFile: targets.extras["ca_file"], interrupted: control.interrupted)
            var r = StepResult(status: .ok)
            guard let cert = tls.certificate else {
                return StepResult(status: .failed, error: "the server sent no certificate", values: ["error_kind": .string("tls")])
            }
            Self.describe(cert, into: &r)
            if !cert.verified {
                r.status = .failed
                r.error = "certificate verify failed: \(cert.verifyError ?? "unknown reason")"
                r.values["error_kind"] = .string("tls")
            }
            return r
        } catch {
            return StepResult(failure: error)
        }
    }

    static func describe(_ cert: CertificateReport, into r: inout StepResult) {
        r.values["connected"] = .bool(true)
        r.values["verified"] = .bool(cert.verified)
        r.values["verify_error"] = .string(cert.verifyError ?? "")
        r.values["subject"] = .string(cert.subject)
        r.values["issuer"] = .string(cert.issuer)
        r.values["sans"] = .string(cert.alternativeNames.joined(separator: ", "))
        r.values["days_left"] = .number(Double(cert.daysUntilExpiry))
        r.values["not_after"] = .string(cert.notAfter)
        r.values["protocol"] = .string(cert.protocolVersion)
        r.values["cipher"] = .string(cert.cipher)
        r.output = CapturedOutput(
            text: """
                subject:  \(cert.subject)
                issuer:   \(cert.issuer)
                names:    \(cert.alternativeNames.joined(separator: ", "))
                expires:  \(cert.notAfter) (\(cert.daysUntilExpiry) days)
                verified: \(cert.verified ? "yes" : "no, \(cert.verifyError ?? "")")
                protocol: \(cert.protocolVersion) \(cert.cipher)
                """)
    }
}
