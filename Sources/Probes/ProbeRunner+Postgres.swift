import Clients
import Foundation
import OutputCapture
import RunbookKit

/// `postgres` steps: one round trip on a read-only, bounded session; fixes in read-write transactions.
extension ProbeRunner {
    /// The connection for the PostgreSQL target, opened on first use. It is
    /// read-only by default, with statement and lock timeouts, so a
    /// diagnostic query is one round trip and can neither write nor wait
    /// long on a lock; remediations open their own read-write transaction.
    func connection(timeout: Double, control: StepControl) throws(PostgresError) -> (PostgresConnection, reconnected: Bool) {
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

    var diagnosticDefaults: String {
        "SET default_transaction_read_only = on; SET statement_timeout = \(statementTimeoutMilliseconds); SET lock_timeout = \(lockTimeoutMilliseconds)"
    }

    func runPostgres(_ a: PostgresAction, timeout: Double, control: StepControl) -> StepResult {
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
                    // The first row's columns are results by name, kept in the transcript with the
                    // others, so a session resumed from it judges them as the live one did.
                    if let first = r.rows.first {
                        for (i, column) in r.columns.enumerated() where i < first.count && result.values[column] == nil {
                            result.values[column] = Value(parsing: first[i])
                        }
                    }
                    if let n = r.rowsAffected { result.values["rows_affected"] = .number(Double(n)) }
                    result.values["command"] = .string(r.commandTag)
                    let notices = conn.takeNotices()
                    result.output = CapturedOutput(
                        text: ([result.table.map { TableFormatter.render($0) } ?? r.commandTag] + notices)
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
            result = StepResult(failure: error)
        }
        result.values["connected"] = .bool(result.status == .ok || result.status == .failed)
        if reconnected { result.values["reconnected"] = .bool(true) }
        return result
    }

    func execute(_ a: PostgresAction, on conn: PostgresConnection, timeout: Double, control: StepControl) throws(PostgresError)
        -> QueryResult
    {
        let params: [String?] = a.params
        let ms = Int(timeout * 1000)
        switch (a.access, a.autocommit) {
        case (.readOnly, _):
            // The session's defaults make it read-only and bounded; the step's
            // own timeout cancels it sooner from this side.
            return try conn.query(a.sql, params: params, timeout: timeout, interrupted: control.interrupted)
        case (.readWrite, false):
            _ = try conn.query(
                "BEGIN READ WRITE; SET LOCAL statement_timeout = \(ms); SET LOCAL lock_timeout = \(lockTimeoutMilliseconds)",
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
}
