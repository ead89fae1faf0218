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
        let c = try PostgresConnection.connect(databaseConninfo(), timeout: min(timeout, 10), interrupted: control.interrupted)
        _ = try c.query(diagnosticDefaults, timeout: min(timeout, 10), interrupted: control.interrupted)
        postgres = c
        sessionStatementTimeout = statementTimeoutMilliseconds
        return (c, hadOne)
    }

    /// The PostgreSQL target's connection, as steps use it (read-only defaults).
    public func postgresConnection(timeout: Double = 10) throws(PostgresError) -> PostgresConnection {
        postgresLock.lock()
        defer { postgresLock.unlock() }
        return try connection(timeout: timeout, control: StepControl()).0
    }

    var diagnosticDefaults: String {
        "/* rbsh */ SET default_transaction_read_only = on; SET statement_timeout = \(statementTimeoutMilliseconds); SET lock_timeout = \(lockTimeoutMilliseconds)"
    }

    /// What rbsh sends starts with this comment, so the statistics it reads
    /// (pg_stat_statements) can leave rbsh's own statements out.
    public static let marker = "/* rbsh */ "

    func runPostgres(_ a: PostgresAction, timeout: Double, scans: [String] = [], control: StepControl) -> StepResult {
        if let why = containerTransportProblem() { return .skipped(why) }
        var result = StepResult(status: .ok)
        var reconnected = false
        var cost = ""
        do {
            var attempt = 0
            while true {
                attempt += 1
                let (conn, fresh) = try connection(timeout: timeout, control: control)
                reconnected = reconnected || fresh
                if !scans.isEmpty, cost.isEmpty {
                    cost = Self.scanCost(scans, on: conn)
                    control.output(cost + "\n", 1)
                }
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
                        text: ((cost.isEmpty ? [] : [cost]) + [result.table.map { TableFormatter.render($0) } ?? r.commandTag] + notices)
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
        // The server answered (a lock it may not wait for is an answer too); a failure to connect said so itself.
        if result.status == .ok || result.status == .failed || result.values["error_kind"] == .string("lock") {
            result.values["connected"] = .bool(true)
        }
        if reconnected { result.values["reconnected"] = .bool(true) }
        return result
    }

    /// What a step that reads whole tables will read, from the catalog
    /// (no lock taken, nothing scanned): "reads the whole of task_results:
    /// about 601,680 rows, 96 MB".
    static func scanCost(_ tables: [String], on conn: PostgresConnection) -> String {
        let parts = tables.map { table -> String in
            let r = try? conn.query(
                "\(marker)SELECT greatest(c.reltuples, 0)::bigint, pg_size_pretty(c.relpages::bigint * current_setting('block_size')::bigint) FROM pg_class c WHERE c.oid = to_regclass($1)",
                params: [table], timeout: 5)
            guard let row = r?.rows.first, row.count == 2, let rows = row[0].flatMap(Int.init), let size = row[1] else { return table }
            return "\(table): about \(rows.formatted(.number.grouping(.automatic))) rows, \(size)"
        }
        return "reads the whole of " + parts.joined(separator: "; ")
    }

    func execute(_ a: PostgresAction, on conn: PostgresConnection, timeout: Double, control: StepControl) throws(PostgresError)
        -> QueryResult
    {
        let params: [String?] = a.params
        let ms = Int(timeout * 1000)
        switch (a.access, a.autocommit) {
        case (.readOnly, _):
            // The session's defaults make it read-only and bounded; the server
            // stops it at the step's own timeout too, so nothing rbsh runs
            // outlives its step, even if rbsh itself is killed.
            if sessionStatementTimeout != ms {
                _ = try conn.query("SET statement_timeout = \(ms)", timeout: timeout, interrupted: control.interrupted)
                sessionStatementTimeout = ms
            }
            return try conn.query(Self.marker + a.sql, params: params, timeout: timeout, interrupted: control.interrupted)
        case (.readWrite, false):
            _ = try conn.query(
                "BEGIN READ WRITE; SET LOCAL statement_timeout = \(ms); SET LOCAL lock_timeout = \(lockTimeoutMilliseconds)",
                timeout: timeout, interrupted: control.interrupted)
            do {
                let r = try conn.query(Self.marker + a.sql, params: params, timeout: timeout, interrupted: control.interrupted)
                _ = try conn.query("COMMIT", timeout: timeout)
                return r
            } catch {
                _ = try? conn.query("ROLLBACK", timeout: 5)
                throw error
            }
        case (.readWrite, true):
            _ = try conn.query("SET default_transaction_read_only = off; SET statement_timeout = \(ms)", timeout: timeout)
            defer {
                _ = try? conn.query(diagnosticDefaults, timeout: 5)
                sessionStatementTimeout = statementTimeoutMilliseconds
            }
            // Each statement by itself: several in one message would share a transaction.
            let statements = params.isEmpty ? SQLStatements.split(a.sql) : [a.sql]
            var last = QueryResult(columns: [], typeOIDs: [], rows: [], commandTag: "", rowsAffected: nil)
            for statement in statements {
                last = try conn.query(Self.marker + statement, params: params, timeout: timeout, interrupted: control.interrupted)
            }
            return last
        }
    }
}
