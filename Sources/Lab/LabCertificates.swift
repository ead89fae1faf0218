import Foundation

/// The lab's own CA and the stub's certificate, made with the openssl command.
struct LabCertificates {
    let state: LabState

    var directory: String { state.directory + "/tls" }

    /// A CA (kept) and a server certificate for localhost and 127.0.0.1 valid
    /// for `days` (re-issued by faults that need it to expire soon).
    func issue(days: Int) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ca = state.caCertificate, caKey = directory + "/ca.key"
        if !FileManager.default.fileExists(atPath: ca) {
            _ = try LabCommand.run(
                [
                    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", caKey, "-out", ca, "-days", "3650", "-subj", "/O=rbsh lab/CN=rbsh lab CA",
                ], timeout: 30)
        }
        let csr = directory + "/server.csr", ext = directory + "/server.ext"
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".write(toFile: ext, atomically: true, encoding: .utf8)
        _ = try LabCommand.run(
            [
                "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", state.serverKey, "-out", csr, "-subj", "/O=rbsh lab/CN=localhost",
            ], timeout: 30)
        _ = try LabCommand.run(
            [
                "openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial",
                "-out", state.serverCertificate, "-days", String(days), "-extfile", ext,
            ], timeout: 30)
        for key in [caKey, state.serverKey] { chmod(key, 0o600) }
    }
}
