import Clients
import Foundation
import RunbookKit

/// The faults a process of their own keeps in place (`rbsh lab hold FAULT`):
/// connections, locks, a port.
extension LabFaults {
    func startHolder(_ name: String) throws {
        let pid = try Daemon.start(
            [Daemon.selfExecutable, "lab", "hold", name],
            environment: ["RBSH_LAB_DIR": state.directory], log: file(name, "log"))
        try "\(pid)\n".write(toFile: file(name, "pid"), atomically: true, encoding: .utf8)
        // Ready when the holder says so, or fail with what it said.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: file(name, "ready")) { return }
            if !Daemon.isAlive(pid) {
                let log = (try? String(contentsOfFile: file(name, "log"), encoding: .utf8)) ?? ""
                throw LabError("fault \(name) did not start: \(log.split(separator: "\n").last ?? "no output")")
            }
            usleep(50_000)
        }
        throw LabError("fault \(name) did not become ready in 30 s")
    }

    /// The banner `port-held`'s program answers every connection with: another protocol's.
    static let squatterBanner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"

    /// Runs in the `rbsh lab hold FAULT` process: sets the fault up and
    /// keeps it until the process is stopped.
    public func hold(_ name: String) throws -> Never {
        var keep: [AnyObject] = []
        switch name {
        case "idle-connections":
            for _ in 0..<Self.idleConnectionCount {
                let c = try PostgresConnection.connect(state.postgresURL, timeout: 10, applicationName: "network_probe_management")
                _ = try c.query("SELECT 1", timeout: 10)
                keep.append(c)
            }
        case "pool-exhausted":
            // The application's whole pool, each connection on a statement that does not end.
            for _ in 0..<Self.busyConnectionCount {
                let c = try PostgresConnection.connect(state.postgresURL, timeout: 10, applicationName: "network_probe_management")
                // The server notices within a second when the holder is gone (PostgreSQL 14+), and ends the statement.
                _ = try c.query("SET client_connection_check_interval = '1s'", timeout: 10)
                try c.sendWithoutWaiting("SELECT pg_sleep(3600) /* report export */")
                keep.append(c)
            }
            try waitUntil(
                "SELECT count(*) >= \(Self.busyConnectionCount) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(3600)%'"
            )
        case "lock-wait":
            let blocker = try PostgresConnection.connect(state.postgresURL, timeout: 10, applicationName: "lab-maintenance")
            _ = try blocker.query("BEGIN; UPDATE tasks SET interval_seconds = interval_seconds WHERE id = 1", timeout: 10)
            let waiter = try PostgresConnection.connect(state.postgresURL, timeout: 10, applicationName: "network_probe_management")
            try waiter.sendWithoutWaiting("UPDATE tasks SET status = status WHERE id = 1")
            keep += [blocker, waiter]
            try waitUntil("SELECT count(*) > 0 FROM pg_locks WHERE NOT granted")
        case "table-locked":
            // A migration that took its lock and hangs (an ALTER TABLE waiting on nothing, a stuck VACUUM FULL).
            let holder = try PostgresConnection.connect(state.postgresURL, timeout: 10, applicationName: "lab-migration")
            _ = try holder.query(
                "SET client_connection_check_interval = '1s'; BEGIN; LOCK TABLE task_results IN ACCESS EXCLUSIVE MODE", timeout: 10)
            try holder.sendWithoutWaiting("SELECT pg_sleep(3600) /* ALTER TABLE task_results ... */")
            keep.append(holder)
            // Held long enough to be a stuck migration, not a quick one (slow-response reports over 2 s).
            sleep(3)
        case "port-held":
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(state.apiPort).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(fd, 16) == 0 else {
                throw LabError("cannot hold port \(state.apiPort): \(String(cString: strerror(errno)))")
            }
            // Another program's server on the wrong port: it greets every client in its own protocol.
            Thread { Self.greet(fd) }.start()
        default:
            throw LabError("fault \(name) has nothing to hold")
        }
        _ = FileManager.default.createFile(atPath: file(name, "ready"), contents: Data())
        while true {
            withExtendedLifetime(keep) { _ = sleep(3600) }
        }
    }

    /// Accepts each connection, sends the banner, and closes it.
    private static func greet(_ fd: Int32) -> Never {
        let banner = Array(squatterBanner.utf8)
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { continue }
            _ = banner.withUnsafeBytes { send(client, $0.baseAddress, banner.count, Int32(MSG_NOSIGNAL)) }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var buffer = [UInt8](repeating: 0, count: 1024)
            _ = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            close(client)
        }
    }

    /// Waits, up to 5 s, until `sql` (one boolean) is true.
    private func waitUntil(_ sql: String) throws {
        let observer = try db()
        for _ in 0..<100 {
            if try observer.query(sql).rows.first?.first == "t" { return }
            usleep(50_000)
        }
        throw LabError("the fault did not take hold: \(sql)")
    }
}
