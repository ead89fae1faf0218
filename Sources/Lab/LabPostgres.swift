import Foundation
import Clients
import RunbookKit

/// The lab's PostgreSQL: a cluster of its own, run as an unprivileged user.
struct LabPostgres {
    let state: LabState
    let log: @Sendable (String) -> Void

    /// The user that owns and runs the cluster when the lab runs as root.
    static var user: String? {
        guard getuid() == 0 else { return nil }
        return getpwnam("postgres") != nil ? "postgres" : "nobody"
    }

    /// The newest PostgreSQL's bin folder, from Debian's layout or PATH.
    static func binDirectory() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for v in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(v)/bin/initdb") {
            return "\(root)/\(v)/bin"
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(dir)/initdb") {
            return String(dir)
        }
        throw LabError("PostgreSQL server binaries not found: install the postgresql package")
    }

    func start() throws {
        let bin = try Self.binDirectory()
        let user = Self.user
        let fm = FileManager.default
        try fm.createDirectory(atPath: state.postgresSocket, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: state.postgresData, withIntermediateDirectories: true)
        chmod(state.postgresData, 0o700)
        let pwfile = state.directory + "/pwfile"
        try state.password.write(toFile: pwfile, atomically: true, encoding: .utf8)
        _ = fm.createFile(atPath: state.postgresLog, contents: nil)
        for path in [state.postgresSocket, state.postgresData, pwfile, state.postgresLog] { chown(path, user) }
        defer { try? fm.removeItem(atPath: pwfile) }

        log("initdb \(state.postgresData)")
        _ = try LabCommand.run(
            [
                "\(bin)/initdb", "-D", state.postgresData, "-U", "postgres", "--pwfile=\(pwfile)",
                "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale",
            ], asUser: user)
        let conf = """

            # rbsh lab
            listen_addresses = '127.0.0.1'
            port = \(state.postgresPort)
            unix_socket_directories = '\(state.postgresSocket)'
            max_connections = 100
            # The guide's setting; it also keeps network_probe's tables in the cache.
            shared_buffers = 256MB
            shared_preload_libraries = 'pg_stat_statements'
            pg_stat_statements.track = all
            log_min_duration_statement = 1000
            log_lock_waits = on
            log_line_prefix = '%m [%p] %q%u@%d '
            # A throwaway lab: speed over durability.
            fsync = off
            synchronous_commit = off
            full_page_writes = off

            """
        guard let handle = FileHandle(forWritingAtPath: state.postgresData + "/postgresql.conf") else {
            throw LabError("cannot write postgresql.conf")
        }
        handle.seekToEndOfFile()
        handle.write(Data(conf.utf8))
        try handle.close()

        log("starting PostgreSQL on 127.0.0.1:\(state.postgresPort)")
        _ = try LabCommand.run(
            ["\(bin)/pg_ctl", "-D", state.postgresData, "-l", state.postgresLog, "-w", "-t", "60", "start"], asUser: user)
        try load()
    }

    /// Waits until the server accepts a login (the compose lab's, starting in its container).
    func waitAccepting(seconds: Double) throws {
        let admin = state.postgresURL.replacingOccurrences(of: "/network_probe", with: "/postgres")
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            do {
                _ = try PostgresConnection.connect(admin, timeout: 2)
                return
            } catch { last = "\(error)" }
            usleep(200_000)
        }
        throw LabError("PostgreSQL did not accept a login on port \(state.postgresPort) within \(Int(seconds)) s: \(last)")
    }

    /// Creates `network_probe` with the schema, data and the guide's indexes.
    func load() throws {
        let started = Date()
        let admin = try PostgresConnection.connect(
            state.postgresURL.replacingOccurrences(of: "/network_probe", with: "/postgres"), timeout: 10)
        _ = try admin.query("CREATE DATABASE network_probe", timeout: 30)
        let db = try PostgresConnection.connect(state.postgresURL, timeout: 10)
        // The load is slow by design; it is not what the slow-query log is for.
        _ = try db.query("SET log_min_duration_statement = -1", timeout: 10)
        for name in ["schema.sql", "data.sql", "indexes.sql"] {
            guard let sql = LabFiles.files.first(where: { $0.name == name })?.text else {
                throw LabError("lab file \(name) missing from the build")
            }
            _ = try db.query(sql, timeout: 300)
        }
        _ = try db.query("SELECT pg_stat_statements_reset()", timeout: 10)
        let counts = try db.query(
            "SELECT (SELECT count(*) FROM agents), (SELECT count(*) FROM tasks), (SELECT count(*) FROM task_results)", timeout: 30)
        let row = (counts.rows.first ?? []).map { $0 ?? "?" }
        log(
            "network_probe loaded in \(String(format: "%.1f", Date().timeIntervalSince(started))) s: \(row[safe: 0] ?? "?") agents, \(row[safe: 1] ?? "?") tasks, \(row[safe: 2] ?? "?") task_results"
        )
    }

    /// Loads `times` as much task history (the platform keeps every probe
    /// result): 250 results a task more for each time, further back, built in
    /// PostgreSQL itself. The indexes on task_results are dropped for the load
    /// and built again after it, as a bulk load does.
    func scale(times: Int) throws {
        guard times > 1 else { return }
        let started = Date()
        let db = try PostgresConnection.connect(state.postgresURL, timeout: 10)
        _ = try db.query(
            "SET log_min_duration_statement = -1; SET statement_timeout = 0; SET maintenance_work_mem = '512MB'; SET max_parallel_maintenance_workers = 2",
            timeout: 10)
        // History already there (an earlier scale): go on from where it ends.
        let have = try db.query("SELECT count(*) FROM task_results WHERE task_id = 1", timeout: 600)
        let from = Int(have.rows.first?.first.flatMap { $0 } ?? "") ?? 250
        guard from < times * 250 else { return }
        _ = try db.query(
            "DROP INDEX IF EXISTS idx_task_results_task_id_time, idx_task_results_execution_time, idx_task_results_failed, idx_task_results_date",
            timeout: 60)
        log("loading \(times) times the task history")
        _ = try db.query(
            """
            INSERT INTO task_results (task_id, agent_id, execution_time, status, duration)
            SELECT t.id, t.agent_id,
                   now() - interval '20 minutes' - (n * interval '172 minutes') - (t.id % 60) * interval '1 second',
                   CASE WHEN random() < 0.03 THEN 'error' WHEN random() < 0.01 THEN 'timeout' ELSE 'success' END,
                   round((5 + random() * 250)::numeric, 2)
            FROM generate_series($1::int, $2::int - 1) AS n, tasks t
            """, params: [String(from), String(times * 250)], timeout: 3600)
        log("building the indexes again")
        guard let sql = LabFiles.files.first(where: { $0.name == "indexes.sql" })?.text else {
            throw LabError("lab file indexes.sql missing from the build")
        }
        _ = try db.query(sql, timeout: 3600)
        _ = try db.query("VACUUM (ANALYZE) task_results", timeout: 3600)
        // The load is the lab's own work, not the platform's slow queries.
        _ = try db.query("SELECT pg_stat_statements_reset()", timeout: 10)
        let r = try db.query("SELECT count(*) FROM task_results", timeout: 600)
        log(
            "task_results holds \(r.rows.first?.first.flatMap { $0 } ?? "?") rows, loaded in \(String(format: "%.0f", Date().timeIntervalSince(started))) s"
        )
    }

    func stop() {
        guard FileManager.default.fileExists(atPath: state.postgresData + "/postmaster.pid"),
            let bin = try? Self.binDirectory()
        else { return }
        _ = try? LabCommand.run(["\(bin)/pg_ctl", "-D", state.postgresData, "-m", "fast", "-w", "-t", "30", "stop"], asUser: Self.user)
    }

    /// Stops only the server, keeping its data (the `postgres-down` fault).
    func pause() throws {
        let bin = try Self.binDirectory()
        _ = try LabCommand.run(["\(bin)/pg_ctl", "-D", state.postgresData, "-m", "fast", "-w", "-t", "30", "stop"], asUser: Self.user)
    }

    func resume() throws {
        let bin = try Self.binDirectory()
        _ = try LabCommand.run(
            ["\(bin)/pg_ctl", "-D", state.postgresData, "-l", state.postgresLog, "-w", "-t", "60", "start"], asUser: Self.user)
    }

    var isRunning: Bool { FileManager.default.fileExists(atPath: state.postgresData + "/postmaster.pid") }

    /// Where `postgres-damaged` puts the cluster's control file.
    var controlFileAside: String { state.faultsDir + "/pg_control.aside" }

    /// Stops the server and takes its control file away (the `postgres-damaged`
    /// fault): it cannot start again, and its log says why, as after a lost disk.
    func damage() throws {
        if isRunning { try pause() }
        let control = state.postgresData + "/global/pg_control"
        try FileManager.default.moveItem(atPath: control, toPath: controlFileAside)
        let bin = try Self.binDirectory()
        _ = try? LabCommand.run(
            ["\(bin)/pg_ctl", "-D", state.postgresData, "-l", state.postgresLog, "-w", "-t", "10", "start"], asUser: Self.user)
    }

    /// Puts the control file back and starts the server.
    func repair() throws {
        let control = state.postgresData + "/global/pg_control"
        if FileManager.default.fileExists(atPath: controlFileAside) {
            try? FileManager.default.removeItem(atPath: control)
            try FileManager.default.moveItem(atPath: controlFileAside, toPath: control)
        }
        if !isRunning { try resume() }
    }

    private func chown(_ path: String, _ user: String?) {
        guard let user, let pw = getpwnam(user) else { return }
        _ = Foundation.chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
