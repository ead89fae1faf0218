import Foundation
import Clients
import RunbookKit

/// The lab's Redis: its own port and folder, `requirepass`, a memory limit.
struct LabRedis {
    let state: LabState
    let log: @Sendable (String) -> Void

    static func binary() throws -> String {
        for dir in ["/usr/bin", "/usr/local/bin"]
            + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        where FileManager.default.isExecutableFile(atPath: "\(dir)/redis-server") {
            return "\(dir)/redis-server"
        }
        throw LabError("redis-server not found: install the redis-server package")
    }

    func start() throws {
        let bin = try Self.binary()
        try FileManager.default.createDirectory(atPath: state.redisDir, withIntermediateDirectories: true)
        log("starting Redis on 127.0.0.1:\(state.redisPort)")
        // The password goes in a file only the lab can read, never on a command line.
        let config = """
            bind 127.0.0.1
            port \(state.redisPort)
            daemonize yes
            pidfile \(state.redisPID)
            logfile \(state.redisLog)
            dir \(state.redisDir)
            save ""
            appendonly no
            maxmemory 64mb
            maxmemory-policy allkeys-lru
            requirepass \(state.password)

            """
        let confPath = state.directory + "/redis.conf"
        try config.write(toFile: confPath, atomically: true, encoding: .utf8)
        chmod(confPath, 0o600)
        _ = try LabCommand.run([bin, confPath], timeout: 30)
        let deadline = Date().addingTimeInterval(10)
        let url = try RedisURL(parsing: state.redisURL)
        while Date() < deadline {
            if let c = try? RedisConnection.connect(url, timeout: 1), (try? c.command(["PING"])) != nil {
                try seed(c)
                return
            }
            usleep(50_000)
        }
        throw LabError("Redis did not answer on port \(state.redisPort); see \(state.redisLog)")
    }

    /// Cache keys the platform would hold, and a healthy hit rate.
    func seed(_ c: RedisConnection) throws {
        for i in 1...200 {
            _ = try c.command(["SET", "cache:task_results:\(i)", #"{"task_id":\#(i),"success_rate":99.1}"#, "EX", "3600"])
        }
        for i in 1...200 { _ = try c.command(["GET", "cache:task_results:\(i)"]) }
        _ = try c.command(["GET", "cache:task_results:missing"])
    }

    var isRunning: Bool {
        guard let url = try? RedisURL(parsing: state.redisURL), let c = try? RedisConnection.connect(url, timeout: 1) else { return false }
        return (try? c.command(["PING"])) != nil
    }

    func stop() {
        if let url = try? RedisURL(parsing: state.redisURL), let c = try? RedisConnection.connect(url, timeout: 2) {
            _ = try? c.command(["SHUTDOWN", "NOSAVE"])
        }
        if let pid = Daemon.readPID(state.redisPID) { Daemon.stop(pid) }
    }
}
