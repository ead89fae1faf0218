import Foundation

/// Why a signature could not be made or did not verify; one line.
public struct SignatureFailure: Error, CustomStringConvertible, Sendable, Hashable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// OpenSSH's signatures of arbitrary data (`ssh-keygen -Y sign|verify|find-principals`):
/// the operator's own SSH key signs (a private key file, or a public one whose
/// private half the agent holds), and the team's `allowed_signers` file says
/// whose key is whose.
public enum SSHSignatures {
    /// `ssh-keygen` on the PATH (else /usr/bin).
    public static var keygen: String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/ssh-keygen") {
            return "\(dir)/ssh-keygen"
        }
        return "/usr/bin/ssh-keygen"
    }

    /// The armored signature (`-----BEGIN SSH SIGNATURE-----`) of `message` by `key` in `namespace`.
    public static func sign(_ message: Data, key: String, namespace: String, timeout: Double = 10) throws(SignatureFailure) -> String {
        let key = (key as NSString).expandingTildeInPath
        guard FileManager.default.isReadableFile(atPath: key) else { throw SignatureFailure("no readable SSH key \(key)") }
        let (status, out, err) = try run([keygen, "-Y", "sign", "-q", "-f", key, "-n", namespace], input: message, timeout: timeout)
        guard status == 0, out.contains("BEGIN SSH SIGNATURE") else {
            throw SignatureFailure("ssh-keygen could not sign with \(key): \(firstLine(err) ?? "exit \(status)")")
        }
        return out
    }

    /// Whether `armored` is `principal`'s signature of `message` in `namespace`, by `allowedSigners`.
    public static func verify(
        _ message: Data, armored: String, principal: String, namespace: String, allowedSigners: String, timeout: Double = 10
    ) -> Result<Void, SignatureFailure> {
        do {
            let sig = try temporary(Data(armored.utf8))
            defer { unlink(sig) }
            let (status, _, err) = try run(
                [keygen, "-Y", "verify", "-f", allowedSigners, "-I", principal, "-n", namespace, "-s", sig], input: message,
                timeout: timeout)
            guard status == 0 else {
                return .failure(SignatureFailure(firstLine(err) ?? "ssh-keygen -Y verify exited \(status)"))
            }
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    /// The principals `allowedSigners` gives the key that made `armored` (none: the key is not in the file).
    public static func principals(of armored: String, allowedSigners: String, timeout: Double = 10) -> [String] {
        guard let sig = try? temporary(Data(armored.utf8)) else { return [] }
        defer { unlink(sig) }
        guard
            let (status, out, _) = try? run(
                [keygen, "-Y", "find-principals", "-f", allowedSigners, "-s", sig], input: Data(), timeout: timeout),
            status == 0
        else { return [] }
        return out.split(whereSeparator: \.isNewline).map(String.init)
    }

    private static func firstLine(_ text: String) -> String? {
        text.split(whereSeparator: \.isNewline).first.map(String.init)
    }

    private static func temporary(_ data: Data) throws(SignatureFailure) -> String {
        var template = Array((NSTemporaryDirectory() + "/rbsh-sig-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else { throw SignatureFailure("cannot make a temporary file: \(String(cString: strerror(errno)))") }
        let path = String(cString: template)
        let ok = data.withUnsafeBytes { raw in raw.count == 0 || write(fd, raw.baseAddress, raw.count) == raw.count }
        close(fd)
        guard ok else {
            unlink(path)
            throw SignatureFailure("cannot write a temporary file \(path)")
        }
        return path
    }

    /// Runs ssh-keygen with `input` on standard input: its status, standard output and error.
    private static func run(_ argv: [String], input: Data, timeout: Double) throws(SignatureFailure) -> (Int32, String, String) {
        let inputPath = try temporary(input)
        defer { unlink(inputPath) }
        var out = Data()
        var err = Data()
        let outcome = ShellRunner(captureLimit: 1 << 16, grace: 1).run(
            argv: argv, timeout: timeout, stdinPath: inputPath,
            onOutput: { bytes, stream in
                if stream == 1 { out.append(contentsOf: bytes) } else { err.append(contentsOf: bytes) }
            })
        switch outcome.ending {
        case .exited(let status): return (status, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
        case .timedOut: throw SignatureFailure("ssh-keygen did not answer in \(Int(timeout)) s")
        case .failedToStart(let why): throw SignatureFailure("ssh-keygen could not start: \(why)")
        case .signalled(let s): throw SignatureFailure("ssh-keygen was stopped by signal \(s)")
        case .interrupted: throw SignatureFailure("ssh-keygen was interrupted")
        }
    }
}
