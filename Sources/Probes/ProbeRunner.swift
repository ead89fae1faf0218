import Foundation
import RunbookKit

/// Runs probe steps against the targets, keeping one connection per target
/// across steps.
public final class ProbeRunner: StepRunner, @unchecked Sendable {
    public let targets: Targets
    public var shell: ShellRunner
    /// Diagnostic SQL: statement and lock timeouts, in milliseconds.
    public var statementTimeoutMilliseconds = 10_000
    public var lockTimeoutMilliseconds = 2_000
    private var postgres: PostgresConnection?
    private var redis: RedisConnection?
    /// Concurrent steps share the runner: one query at a time on each connection.
    private let postgresLock = NSLock()
    private let redisLock = NSLock()

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

    private func probe(_ pending: PendingStep, control: StepControl) -> StepResult {
        let step = pending.step
        if !pending.missing.isEmpty {
            return StepResult(status: .error, error: "no value for \(pending.missing.map { "${\($0)}" }.joined(separator: ", "))")
        }
        switch step.action {
        case .shell(let a): return runShell(a, timeout: step.timeout, control: control)
        case .postgres(let a):
            postgresLock.lock()
            defer { postgresLock.unlock() }
            return runPostgres(a, timeout: step.timeout, control: control)
        case .redis(let a):
            redisLock.lock()
            defer { redisLock.unlock() }
            return runRedis(a, timeout: step.timeout)
        case .http(let a): return runHTTP(a, timeout: step.timeout, control: control)
        case .tcp(let a): return a.listening ? runListening(a) : runTCP(a, timeout: step.timeout, control: control)
        case .system(let a): return runSystem(a, control: control)
        case .tls(let a): return runTLS(a, timeout: step.timeout, control: control)
        case .websocket(let a): return runWebSocket(a, timeout: step.timeout, control: control)
        case .ask, .manual, .runbook:
            return StepResult(status: .error, error: "a \(step.action.kind) step needs the session driver, not a probe")
        }
    }

    // MARK: - shell

    private func runShell(_ a: ShellAction, timeout: Double, control: StepControl) -> StepResult {
        let outcome = shell.run(a.command, environment: a.env, timeout: timeout, interrupted: control.interrupted) { bytes, stream in
            control.output(String(decoding: bytes, as: UTF8.self), stream)
        }
        var result = StepResult(status: .ok, durationMilliseconds: outcome.durationMilliseconds, output: outcome.output)
        result.values["lines"] = .number(Double(outcome.output.text.split(whereSeparator: \.isNewline).count))
        switch outcome.ending {
        case .exited(let code):
            result.exitCode = code
            result.status = code == 0 ? .ok : .failed
        case .signalled(let sig):
            result.status = .failed
            result.values["signal"] = .number(Double(sig))
            result.error = "killed by signal \(sig)"
        case .timedOut:
            result.status = .timeout
            result.error = "stopped after its \(formatSeconds(timeout)) timeout"
        case .interrupted:
            result.status = .interrupted
            result.error = "interrupted"
        case .failedToStart(let message):
            result.status = .error
            result.error = message
        }
        return result
    }

    // MARK: - postgres

    /// The connection for the PostgreSQL target, opened on first use. It is
    /// read-only by default, with statement and lock timeouts, so a
    /// diagnostic query is one round trip and can neither write nor wait
    /// long on a lock; remediations open their own read-write transaction.
    private func connection(timeout: Double, control: StepControl) throws(PostgresError) -> (PostgresConnection, reconnected: Bool) {
        if let c = postgres, c.isConnected { return (c, false) }
        let hadOne = postgres != nil
        postgres = nil
        let c = try PostgresConnection.connect(targets.postgres, timeout: min(timeout, 10), interrupted: control.interrupted)
        _ = try c.query(diagnosticDefaults, timeout: min(timeout, 10), interrupted: control.interrupted)
        postgres = c
        return (c, hadOne)
    }

    /// The PostgreSQL target's connection, as steps use it (read-only defaults).
    public func postgresConnection(timeout: Double = 10) throws(PostgresError) -> PostgresConnection {
        postgresLock.lock()
        defer { postgresLock.unlock() }
        return try connection(timeout: timeout, control: StepControl()).0
    }

    private var diagnosticDefaults: String {
        "SET default_transaction_read_only = on; SET statement_timeout = \(statementTimeoutMilliseconds); SET lock_timeout = \(lockTimeoutMilliseconds)"
    }

    private func runPostgres(_ a: PostgresAction, timeout: Double, control: StepControl) -> StepResult {
        var result = StepResult(status: .ok)
        var reconnected = false
        do {
            var attempt = 0
            while true {
                attempt += 1
                let (conn, fresh) = try connection(timeout: timeout, control: control)
                reconnected = reconnected || fresh
                do {
                    let r = try execute(a, on: conn, timeout: timeout, control: control)
                    result.table = r.columns.isEmpty ? nil : ResultTable(columns: r.columns, rows: r.rows, numericColumns: r.numericColumns)
                    result.values["row_count"] = .number(Double(r.rows.count))
                    if let n = r.rowsAffected { result.values["rows_affected"] = .number(Double(n)) }
                    result.values["command"] = .string(r.commandTag)
                    let notices = conn.takeNotices()
                    result.output = CapturedOutput(text: ([result.table.map { TableFormatter.render($0) } ?? r.commandTag] + notices)
                        .joined(separator: "\n"))
                    break
                } catch .connectionLost where attempt == 1 && a.access == .readOnly {
                    // Lost between steps (a restart, a terminated backend): once more on a new connection.
                    postgres = nil
                    reconnected = true
                    continue
                }
            }
        } catch {
            result = Self.failure(error)
        }
        result.values["connected"] = .bool(result.status == .ok || result.status == .failed)
        if reconnected { result.values["reconnected"] = .bool(true) }
        return result
    }

    private func execute(_ a: PostgresAction, on conn: PostgresConnection, timeout: Double, control: StepControl) throws(PostgresError) -> QueryResult {
        let params: [String?] = a.params
        let ms = Int(timeout * 1000)
        switch (a.access, a.autocommit) {
        case (.readOnly, _):
            // The session's defaults make it read-only and bounded; the step's
            // own timeout cancels it sooner from this side.
            return try conn.query(a.sql, params: params, timeout: timeout, interrupted: control.interrupted)
        case (.readWrite, false):
            _ = try conn.query("BEGIN READ WRITE; SET LOCAL statement_timeout = \(ms); SET LOCAL lock_timeout = \(lockTimeoutMilliseconds)",
                               timeout: timeout, interrupted: control.interrupted)
            do {
                let r = try conn.query(a.sql, params: params, timeout: timeout, interrupted: control.interrupted)
                _ = try conn.query("COMMIT", timeout: timeout)
                return r
            } catch {
                _ = try? conn.query("ROLLBACK", timeout: 5)
                throw error
            }
        case (.readWrite, true):
            _ = try conn.query("SET default_transaction_read_only = off; SET statement_timeout = \(ms)", timeout: timeout)
            defer { _ = try? conn.query(diagnosticDefaults, timeout: 5) }
            // Each statement by itself: several in one message would share a transaction.
            let statements = params.isEmpty ? SQLStatements.split(a.sql) : [a.sql]
            var last = QueryResult(columns: [], typeOIDs: [], rows: [], commandTag: "", rowsAffected: nil)
            for statement in statements {
                last = try conn.query(statement, params: params, timeout: timeout, interrupted: control.interrupted)
            }
            return last
        }
    }

    static func failure(_ error: PostgresError) -> StepResult {
        var r = StepResult(status: .error, error: error.description)
        switch error {
        case .unreachable: r.values["error_kind"] = .string("unreachable")
        case .authenticationFailed: r.values["error_kind"] = .string("auth")
        case .timeout:
            r.status = .timeout
            r.values["error_kind"] = .string("timeout")
        case .queryFailed(let code, _):
            r.status = .failed
            r.values["error_kind"] = .string("query")
            r.values["sqlstate"] = .string(code)
        case .connectionLost: r.values["error_kind"] = .string("connection_lost")
        case .cancelled:
            r.status = .interrupted
            r.values["error_kind"] = .string("interrupted")
        case .badConfiguration: r.values["error_kind"] = .string("configuration")
        }
        return r
    }

    // MARK: - redis

    private func runRedis(_ a: RedisAction, timeout: Double) -> StepResult {
        var result = StepResult(status: .ok)
        do throws(RedisError) {
            let url = try RedisURL(parsing: targets.redis)
            let conn: RedisConnection
            if let existing = redis { conn = existing } else { conn = try RedisConnection.connect(url, timeout: min(timeout, 10)) }
            redis = conn
            let reply: RedisReply
            do {
                reply = try conn.command(a.argv)
            } catch .connectionLost {
                // Lost between steps: once more on a new connection.
                let fresh = try RedisConnection.connect(url, timeout: min(timeout, 10))
                redis = fresh
                result.values["reconnected"] = .bool(true)
                reply = try fresh.command(a.argv)
            }
            result.output = CapturedOutput(text: reply.text)
            switch reply {
            case .integer(let i): result.values["value"] = .number(Double(i))
            case .string(let s), .status(let s): result.values["value"] = Value(parsing: s)
            case .array(let items): result.values["count"] = .number(Double(items.count))
            default: break
            }
            if a.argv.first?.uppercased() == "INFO", case .string(let text) = reply {
                result.values.merge(RedisInfo(parsing: text).values) { a, _ in a }
            }
        } catch {
            result.status = .error
            result.error = error.description
            switch error {
            case .unreachable: result.values["error_kind"] = .string("unreachable")
            case .authenticationFailed: result.values["error_kind"] = .string("auth")
            case .timeout:
                result.status = .timeout
                result.values["error_kind"] = .string("timeout")
            case .commandFailed(let code, _):
                result.status = .failed
                result.values["error_kind"] = .string(code)
            case .connectionLost:
                redis = nil
                result.values["error_kind"] = .string("connection_lost")
            case .badURL: result.values["error_kind"] = .string("configuration")
            }
        }
        result.values["connected"] = .bool(result.status == .ok || result.status == .failed)
        return result
    }

    // MARK: - network

    private func runHTTP(_ a: HTTPAction, timeout: Double, control: StepControl) -> StepResult {
        do {
            let response = try HTTPClient.request(method: a.method, url: a.url, headers: a.headers, timeout: timeout,
                                                  caFile: targets.extras["ca_file"], interrupted: control.interrupted)
            var result = StepResult(status: (200..<400).contains(response.status) ? .ok : .failed,
                                    durationMilliseconds: response.latencyMilliseconds)
            result.values["status_code"] = .number(Double(response.status))
            result.values["latency_ms"] = .number(response.latencyMilliseconds)
            result.values["connected"] = .bool(true)
            for (k, v) in response.headers { result.values["header.\(k)"] = .string(v) }
            var capture = BoundedCapture(limit: shell.captureLimit)
            capture.append(response.body)
            result.output = CapturedOutput(text: "HTTP \(response.status) \(response.reason)\n" + capture.captured.text,
                                           elidedBytes: capture.captured.elidedBytes)
            if let json = try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed]) {
                JSONFlattener.flatten(json, prefix: "json", into: &result.values)
            }
            return result
        } catch {
            return Self.networkFailure(error)
        }
    }

    private func runTCP(_ a: TCPAction, timeout: Double, control: StepControl) -> StepResult {
        let started = ContinuousClock.now
        do {
            let (host, port) = try TCPSocket.split(a.address)
            _ = try TCPSocket.connect(host: host, port: port, timeout: timeout, interrupted: control.interrupted)
            let d = ContinuousClock.now - started
            let ms = d.milliseconds
            return StepResult(status: .ok, durationMilliseconds: ms, output: CapturedOutput(text: "connected to \(host):\(port) in \(String(format: "%.1f", ms)) ms"),
                              values: ["connected": .bool(true), "latency_ms": .number(ms)])
        } catch {
            return Self.networkFailure(error)
        }
    }

    private func runListening(_ a: TCPAction) -> StepResult {
        guard let port = Int(a.address.split(separator: ":").last ?? ""), (1...65535).contains(port) else {
            return StepResult(status: .error, error: "`\(a.address)` is not a port", values: ["error_kind": .string("configuration")])
        }
        let found = ListeningSockets.listeners(port: port)
        var r = StepResult(status: found.isEmpty ? .failed : .ok)
        r.values["listening"] = .bool(!found.isEmpty)
        r.values["count"] = .number(Double(found.count))
        if let first = found.first {
            if let pid = first.pid { r.values["pid"] = .number(Double(pid)) }
            r.values["program"] = .string(first.program ?? "")
            r.values["command"] = .string(first.command ?? "")
            r.values["address"] = .string(first.address)
        }
        r.table = ResultTable(columns: ["address", "port", "pid", "program"],
                              rows: found.map { [$0.address, String($0.port), $0.pid.map(String.init), $0.program] })
        r.output = CapturedOutput(text: found.isEmpty ? "nothing listens on port \(port)" : TableFormatter.render(r.table ?? ResultTable(columns: [], rows: [])))
        return r
    }

    private func runSystem(_ a: SystemAction, control: StepControl) -> StepResult {
        let snap = SystemProbe.collect(sampleMilliseconds: a.sampleMilliseconds, interrupted: control.interrupted)
        var r = StepResult(status: .ok, values: snap.values, table: snap.topProcesses)
        func gb(_ b: Double) -> String { String(format: "%.1f GiB", b / 1_073_741_824) }
        var lines: [String] = []
        lines.append("cpu \(snap.values["cpu_pct"]?.text ?? "?")% of \(snap.values["cpus"]?.text ?? "?") cores, load \(snap.values["load1"]?.text ?? "?") \(snap.values["load5"]?.text ?? "?") \(snap.values["load15"]?.text ?? "?")")
        lines.append("memory \(snap.values["mem_pct"]?.text ?? "?")% used of \(gb(snap.values["mem_total"]?.number ?? 0)), swap \(snap.values["swap_pct"]?.text ?? "?")%")
        for d in snap.disks { lines.append("disk \(d.mount): \(d.usedPercent)% used, \(gb(d.free)) free of \(gb(d.total))") }
        lines.append(TableFormatter.render(snap.topProcesses))
        r.output = CapturedOutput(text: lines.joined(separator: "\n"))
        return r
    }

    private func runTLS(_ a: TLSAction, timeout: Double, control: StepControl) -> StepResult {
        let started = ContinuousClock.now
        do {
            let (host, port) = try TCPSocket.split(a.address, defaultPort: 443)
            let deadline = started + .milliseconds(Int(timeout * 1000))
            let socket = try TCPSocket.connect(host: host, port: port, timeout: timeout, interrupted: control.interrupted)
            let tls = try TLSStream(socket: socket, serverName: a.serverName ?? host, requireValid: false, deadline: deadline,
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
            var r = Self.networkFailure(error)
            if case .protocolError = error { r.values["error_kind"] = .string("tls") }
            return r
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
        r.output = CapturedOutput(text: """
            subject:  \(cert.subject)
            issuer:   \(cert.issuer)
            names:    \(cert.alternativeNames.joined(separator: ", "))
            expires:  \(cert.notAfter) (\(cert.daysUntilExpiry) days)
            verified: \(cert.verified ? "yes" : "no, \(cert.verifyError ?? "")")
            protocol: \(cert.protocolVersion) \(cert.cipher)
            """)
    }

    private func runWebSocket(_ a: WebSocketAction, timeout: Double, control: StepControl) -> StepResult {
        do {
            let o = try WebSocketProbe.check(url: a.url, ping: a.ping, timeout: timeout, caFile: targets.extras["ca_file"],
                                             interrupted: control.interrupted)
            let upgraded = o.status == 101 && o.acceptValid
            var r = StepResult(status: upgraded && (!a.ping || o.pongMilliseconds != nil) ? .ok : .failed,
                               durationMilliseconds: o.handshakeMilliseconds + (o.pongMilliseconds ?? 0))
            r.values["connected"] = .bool(true)
            r.values["status_code"] = .number(Double(o.status))
            r.values["upgraded"] = .bool(upgraded)
            r.values["accept_valid"] = .bool(o.acceptValid)
            r.values["latency_ms"] = .number(o.handshakeMilliseconds)
            if let p = o.pongMilliseconds { r.values["pong_ms"] = .number(p) }
            r.values["pong"] = .bool(o.pongMilliseconds != nil)
            var text = "HTTP \(o.status)" + (o.status == 101 ? (o.acceptValid ? ", Sec-WebSocket-Accept correct" : ", Sec-WebSocket-Accept WRONG") : "")
            text += String(format: ", handshake %.1f ms", o.handshakeMilliseconds)
            if let p = o.pongMilliseconds { text += String(format: ", pong in %.1f ms", p) }
            r.output = CapturedOutput(text: text)
            if !upgraded { r.error = o.status == 101 ? "the Sec-WebSocket-Accept header is wrong" : "no upgrade: HTTP \(o.status)" }
            return r
        } catch {
            var r = Self.networkFailure(error)
            if case .protocolError(let m) = error, m.hasPrefix("TLS") { r.values["error_kind"] = .string("tls") }
            return r
        }
    }

    static func networkFailure(_ error: NetworkError) -> StepResult {
        var r = StepResult(status: .error, error: error.description, values: ["connected": .bool(false)])
        switch error {
        case .refused:
            r.status = .failed
            r.values["error_kind"] = .string("refused")
        case .dns: r.values["error_kind"] = .string("dns")
        case .unreachable: r.values["error_kind"] = .string("unreachable")
        case .timeout:
            r.status = .timeout
            r.values["error_kind"] = .string("timeout")
        case .interrupted:
            r.status = .interrupted
            r.values["error_kind"] = .string("interrupted")
        case .protocolError: r.values["error_kind"] = .string("protocol")
        case .badAddress: r.values["error_kind"] = .string("configuration")
        }
        return r
    }
}

/// Turns a JSON document into dotted names: `json.database.ok`, `json.items.0.id`.
enum JSONFlattener {
    static func flatten(_ value: Any, prefix: String, into out: inout [String: Value], depth: Int = 0) {
        guard depth < 8, out.count < 1_000 else { return }
        switch value {
        case let d as [String: Any]:
            for (k, v) in d { flatten(v, prefix: "\(prefix).\(k)", into: &out, depth: depth + 1) }
        case let a as [Any]:
            out["\(prefix).length"] = .number(Double(a.count))
            for (i, v) in a.prefix(50).enumerated() { flatten(v, prefix: "\(prefix).\(i)", into: &out, depth: depth + 1) }
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { out[prefix] = .bool(n.boolValue) } else { out[prefix] = .number(n.doubleValue) }
        case let s as String:
            out[prefix] = .string(s)
        case is NSNull:
            out[prefix] = .null
        default:
            break
        }
    }
}
