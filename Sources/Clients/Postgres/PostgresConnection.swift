import CLibPQ
import Foundation

/// Rows a query returned, with column names and type OIDs.
public struct QueryResult: Sendable, Hashable {
    public var columns: [String]
    public var typeOIDs: [UInt32]
    public var rows: [[String?]]
    /// `SELECT 3`, `UPDATE 2`...
    public var commandTag: String
    public var rowsAffected: Int?

    public init(columns: [String], typeOIDs: [UInt32], rows: [[String?]], commandTag: String, rowsAffected: Int?) {
        self.columns = columns
        self.typeOIDs = typeOIDs
        self.rows = rows
        self.commandTag = commandTag
        self.rowsAffected = rowsAffected
    }

    /// int2, int4, int8, oid, float4, float8, numeric, money.
    static let numericTypes: Set<UInt32> = [20, 21, 23, 26, 700, 701, 790, 1700]

    /// The columns psql would right-align.
    public var numericColumns: Set<Int> {
        Set(typeOIDs.enumerated().filter { Self.numericTypes.contains($0.element) }.map(\.offset))
    }
}

/// One libpq connection. The handle is freed in `deinit`, on every path.
///
/// Everything here is blocking but bounded: connecting and querying poll the
/// socket in short slices, watching a deadline and an interrupt check, and
/// a query past either is cancelled on the server with `PQcancel`.
public final class PostgresConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    /// NOTICE and WARNING messages the server sent since they were last taken.
    private var notices: [String] = []

    /// How often the interrupt check runs while waiting on the socket.
    static let pollSlice: Int32 = 50

    private init(handle: OpaquePointer) { self.handle = handle }

    deinit { PQfinish(handle) }

    /// Connects to `url` (a `postgres://` URL or a `key=value` string); with
    /// nil or empty, libpq's own environment decides (PGHOST, PGPASSWORD,
    /// ~/.pgpass and PGSERVICE all keep working).
    public static func connect(
        _ url: String?, timeout: Double = 5, applicationName: String = "rbsh",
        interrupted: @Sendable () -> Bool = { false }
    ) throws(PostgresError) -> PostgresConnection {
        var keys = ["connect_timeout", "application_name"]
        var values = [String(max(2, Int(timeout.rounded(.up)))), applicationName]
        if let url, !url.isEmpty {
            keys.append("dbname")
            values.append(url)
        }
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int(timeout * 1000))
        let conn: OpaquePointer? = withCStrings(keys) { k in
            withCStrings(values) { v in PQconnectStartParams(k, v, 1) }
        }
        guard let conn else { throw .badConfiguration("out of memory starting a connection") }
        let connection = PostgresConnection(handle: conn)
        // Notices go to the step's output, not to this process's stderr; the
        // callback finds its connection through the receiver's argument.
        PQsetNoticeReceiver(
            conn,
            { arg, result in
                guard let arg, let result, let message = PQresultErrorMessage(result) else { return }
                let c = Unmanaged<PostgresConnection>.fromOpaque(arg).takeUnretainedValue()
                c.notices.append(PostgresError.oneLine(String(cString: message)))
            }, Unmanaged.passUnretained(connection).toOpaque())
        if PQstatus(conn) == CONNECTION_BAD {
            throw PostgresError.classifyConnectFailure(connection.errorMessage)
        }
        var state = PGRES_POLLING_WRITING
        while true {
            switch state {
            case PGRES_POLLING_OK:
                return connection
            case PGRES_POLLING_FAILED:
                throw PostgresError.classifyConnectFailure(connection.errorMessage)
            default:
                let events: Int16 = state == PGRES_POLLING_READING ? Int16(POLLIN) : Int16(POLLOUT)
                while true {
                    if interrupted() { throw PostgresError.cancelled }
                    if ContinuousClock.now >= deadline {
                        throw PostgresError.timeout("no answer from the server within \(formatSeconds(timeout))")
                    }
                    let ready = waitSocket(PQsocket(conn), events: events, milliseconds: pollSlice)
                    if ready != 0 { break }
                }
                state = PQconnectPoll(conn)
            }
        }
    }

    public var errorMessage: String {
        guard let m = PQerrorMessage(handle) else { return "unknown error" }
        return PostgresError.oneLine(String(cString: m))
    }

    public var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server's version number (150018 for 15.18).
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// The backend's process id, for cancelling from elsewhere and for tests.
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Runs `sql`. With `params`, it is one statement and each value is bound
    /// as `$1`, `$2`...; without, it may hold several statements and the last
    /// result that has rows (or the last one) is returned.
    public func query(
        _ sql: String, params: [String?] = [], timeout: Double = 30,
        interrupted: @Sendable () -> Bool = { false }
    ) throws(PostgresError) -> QueryResult {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        let sent: Int32
        if params.isEmpty {
            sent = PQsendQuery(handle, sql)
        } else {
            sent = withOptionalCStrings(params) { values in
                PQsendQueryParams(handle, sql, Int32(params.count), nil, values, nil, nil, 0)
            }
        }
        guard sent == 1 else { throw lostOrFailed() }

        var cancelled: PostgresError?
        while PQisBusy(handle) == 1 {
            if cancelled == nil {
                if interrupted() {
                    cancelled = .cancelled; cancel()
                } else if ContinuousClock.now >= deadline {
                    cancelled = .timeout("the query ran past \(formatSeconds(timeout)) and was cancelled")
                    cancel()
                }
            }
            let ready = Self.waitSocket(PQsocket(handle), events: Int16(POLLIN), milliseconds: Self.pollSlice)
            if ready < 0 || PQconsumeInput(handle) == 0 { throw lostOrFailed() }
        }

        var chosen: QueryResult?
        var failure: PostgresError?
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
                let r = Self.read(result)
                if chosen == nil || !r.columns.isEmpty || chosen?.columns.isEmpty == true { chosen = r }
            case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                failure = failure ?? .queryFailed(sqlstate: "0A000", message: "COPY is not supported in a step")
            default:
                let code = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "XX000"
                let message = PQresultErrorMessage(result).map { PostgresError.oneLine(String(cString: $0)) } ?? "unknown error"
                failure = failure ?? .queryFailed(sqlstate: code, message: message.replacingOccurrences(of: "ERROR:  ", with: ""))
            }
        }
        if PQstatus(handle) != CONNECTION_OK { throw PostgresError.connectionLost(errorMessage) }
        if let cancelled, failure?.sqlstate == "57014" || failure == nil { throw cancelled }
        if let failure { throw failure }
        return chosen ?? QueryResult(columns: [], typeOIDs: [], rows: [], commandTag: "", rowsAffected: nil)
    }

    /// The server's notices since the last call (a NOTICE of an IF NOT EXISTS, say).
    public func takeNotices() -> [String] {
        defer { notices.removeAll() }
        return notices
    }

    /// Sends a query and returns at once, leaving it running (the lab uses
    /// this to leave a session waiting on a lock). Nothing reads its result.
    public func sendWithoutWaiting(_ sql: String) throws(PostgresError) {
        guard PQsendQuery(handle, sql) == 1 else { throw lostOrFailed() }
        _ = PQflush(handle)
    }

    /// Asks the server to cancel what this connection is running.
    public func cancel() {
        guard let token = PQgetCancel(handle) else { return }
        defer { PQfreeCancel(token) }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(token, &buffer, Int32(buffer.count))
    }

    private func lostOrFailed() -> PostgresError {
        PQstatus(handle) == CONNECTION_OK ? .queryFailed(sqlstate: "08000", message: errorMessage) : .connectionLost(errorMessage)
    }

    private static func read(_ result: OpaquePointer) -> QueryResult {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var columns: [String] = []
        var types: [UInt32] = []
        for c in 0..<columnCount {
            columns.append(PQfname(result, Int32(c)).map { String(cString: $0) } ?? "?column?")
            types.append(PQftype(result, Int32(c)))
        }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            var row: [String?] = []
            row.reserveCapacity(columnCount)
            for c in 0..<columnCount {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    row.append(nil)
                } else if let value = PQgetvalue(result, Int32(r), Int32(c)) {
                    row.append(String(cString: value))
                } else {
                    row.append(nil)
                }
            }
            rows.append(row)
        }
        let tag = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        let affected = PQcmdTuples(result).flatMap { Int(String(cString: $0)) }
        return QueryResult(columns: columns, typeOIDs: types, rows: rows, commandTag: tag, rowsAffected: affected)
    }

    /// poll(2) on one descriptor; 0 on timeout, <0 on error, >0 when ready.
    static func waitSocket(_ fd: Int32, events: Int16, milliseconds: Int32) -> Int32 {
        guard fd >= 0 else { return -1 }
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        let n = poll(&pfd, 1, milliseconds)
        if n < 0 && errno == EINTR { return 0 }
        return n
    }
}

/// `250 ms`, `2 s`, `1.5 s`: a timeout as messages say it.
public func formatSeconds(_ s: Double) -> String {
    s < 1 ? "\(Int(s * 1000)) ms" : (s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s))
}

/// Calls `body` with a NULL-terminated array of C strings that live as long as the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings.map(Optional.some), body)
}

/// Like `withCStrings`, with nil kept as NULL (SQL NULL parameters).
func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { buffer in
        // Never empty: it holds at least the NULL terminator.
        guard let base = buffer.baseAddress else { fatalError("empty C string array") }
        return body(base)
    }
}
