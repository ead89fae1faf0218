import COpenSSL
import Foundation

/// Bytes both ways with a deadline: a plain TCP socket or TLS over one.
public protocol ByteStream: AnyObject {
    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(NetworkError)
    func read(max: Int, deadline: ContinuousClock.Instant, interrupted: @Sendable () -> Bool) throws(NetworkError) -> [UInt8]
}

extension ByteStream {
    public func read(deadline: ContinuousClock.Instant, interrupted: @Sendable () -> Bool = { false }) throws(NetworkError) -> [UInt8] {
        try read(max: 65_536, deadline: deadline, interrupted: interrupted)
    }
}

extension TCPSocket: ByteStream {}

/// What a TLS peer's certificate says, and whether it checks out.
public struct CertificateReport: Sendable, Hashable {
    public var subject: String
    public var issuer: String
    public var alternativeNames: [String]
    public var daysUntilExpiry: Int
    public var notAfter: String
    /// Chain and host name verified against the system's trust store.
    public var verified: Bool
    public var verifyError: String?
    public var protocolVersion: String
    public var cipher: String
}

/// A TLS client session over a connected socket (OpenSSL). Every handle is
/// freed in `deinit`; the handshake is non-blocking, bounded by a deadline.
public final class TLSStream: ByteStream, @unchecked Sendable {
    private let socket: TCPSocket
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    public private(set) var certificate: CertificateReport?

    /// Handshakes with `serverName` (SNI and the host name checked). With
    /// `requireValid`, an unverified certificate fails the handshake; without,
    /// it completes and `certificate.verified` says what was wrong.
    /// `caFile` is trusted besides the system's store (the lab's own CA).
    public init(
        socket: TCPSocket, serverName: String, requireValid: Bool, deadline: ContinuousClock.Instant,
        caFile: String? = nil, interrupted: @Sendable () -> Bool = { false }
    ) throws(NetworkError) {
        guard let method = TLS_client_method(), let ctx = SSL_CTX_new(method) else {
            throw .protocolError("TLS: cannot create a context")
        }
        guard let ssl = SSL_new(ctx) else {
            SSL_CTX_free(ctx)
            throw .protocolError("TLS: cannot create a session")
        }
        self.socket = socket
        self.context = ctx
        self.ssl = ssl
        SSL_CTX_set_default_verify_paths(ctx)
        if let caFile { SSL_CTX_load_verify_locations(ctx, caFile, nil) }
        // A server that closes without close_notify has still said all it had to say.
        COpenSSL_ignoreUnexpectedEOF(ctx)
        SSL_set_verify(ssl, requireValid ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        let isAddress = serverName.contains(":") || serverName.allSatisfy { $0.isNumber || $0 == "." }
        if !isAddress { _ = COpenSSL_setServerName(ssl, serverName) }
        if isAddress { _ = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) } else { _ = SSL_set1_host(ssl, serverName) }
        SSL_set_fd(ssl, socket.fd)
        while true {
            ERR_clear_error()
            let rc = SSL_connect(ssl)
            if rc == 1 { break }
            let err = SSL_get_error(ssl, rc)
            if err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE {
                if interrupted() { throw .interrupted }
                try wait(err == SSL_ERROR_WANT_READ ? Int16(POLLIN) : Int16(POLLOUT), deadline: deadline)
                continue
            }
            throw .protocolError("TLS handshake with \(socket.peer) failed: \(Self.lastError(ssl: ssl, fallback: err))")
        }
        certificate = report()
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    private func wait(_ events: Int16, deadline: ContinuousClock.Instant) throws(NetworkError) {
        guard ContinuousClock.now < deadline else { throw .timeout("TLS with \(socket.peer) did not complete in time") }
        var pfd = pollfd(fd: socket.fd, events: events, revents: 0)
        _ = poll(&pfd, 1, 50)
    }

    static func lastError(ssl: OpaquePointer, fallback: Int32) -> String {
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
            return "certificate verify failed: \(String(cString: text))"
        }
        let code = ERR_get_error()
        if code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return fallback == SSL_ERROR_SYSCALL ? "the connection closed during the handshake" : "SSL error \(fallback)"
    }

    private func report() -> CertificateReport? {
        guard let cert = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(cert) }
        var buffer = [CChar](repeating: 0, count: 1024)
        func text() -> String { String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        COpenSSL_nameLine(X509_get_subject_name(cert), &buffer, buffer.count)
        let subject = text()
        COpenSSL_nameLine(X509_get_issuer_name(cert), &buffer, buffer.count)
        let issuer = text()
        var names: [String] = []
        if let sans = COpenSSL_alternativeNames(cert) {
            for i in 0..<COpenSSL_nameCount(sans) where COpenSSL_nameText(sans, i, &buffer, buffer.count) == 1 {
                names.append(text())
            }
            COpenSSL_freeNames(sans)
        }
        var seconds: Int32 = 0
        let days = Int(COpenSSL_daysUntilExpiry(cert, &seconds))
        COpenSSL_notAfter(cert, &buffer, buffer.count)
        let notAfter = text()
        let verify = SSL_get_verify_result(ssl)
        let verifyError = verify == X509_V_OK ? nil : X509_verify_cert_error_string(verify).map { String(cString: $0) }
        let version = SSL_get_version(ssl).map { String(cString: $0) } ?? "?"
        let cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)).map { String(cString: $0) } ?? "?"
        return CertificateReport(
            subject: subject, issuer: issuer, alternativeNames: names,
            daysUntilExpiry: days < 0 || seconds >= 0 ? days : days - 1,
            notAfter: notAfter, verified: verify == X509_V_OK, verifyError: verifyError,
            protocolVersion: version, cipher: cipher)
    }

    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(NetworkError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in SSL_write(ssl, raw.baseAddress.map { $0 + offset }, Int32(bytes.count - offset)) }
            if n > 0 { offset += Int(n); continue }
            let err = SSL_get_error(ssl, n)
            guard err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE else {
                throw .unreachable("\(socket.peer): TLS write failed: \(Self.lastError(ssl: ssl, fallback: err))")
            }
            try wait(err == SSL_ERROR_WANT_READ ? Int16(POLLIN) : Int16(POLLOUT), deadline: deadline)
        }
    }

    public func read(max: Int = 65_536, deadline: ContinuousClock.Instant, interrupted: @Sendable () -> Bool = { false })
        throws(NetworkError) -> [UInt8]
    {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if n > 0 { return Array(buffer[0..<Int(n)]) }
            let err = SSL_get_error(ssl, n)
            if err == SSL_ERROR_ZERO_RETURN { return [] }
            if err == SSL_ERROR_SYSCALL && n == 0 { return [] }
            guard err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE else {
                throw .unreachable("\(socket.peer): TLS read failed: \(Self.lastError(ssl: ssl, fallback: err))")
            }
            if interrupted() { throw .interrupted }
            try wait(err == SSL_ERROR_WANT_READ ? Int16(POLLIN) : Int16(POLLOUT), deadline: deadline)
        }
    }
}
