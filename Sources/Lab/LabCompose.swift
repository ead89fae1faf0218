import Clients
import Foundation
import RunbookKit

/// The lab as the guide deploys the platform: a Docker Compose project `network-probe` in the lab's folder,
/// services `management` (probe-api, the lab's rbsh), `postgres` and `redis`, the named volume
/// `network-probe_postgres_data`, `deployment/.env`, memory limits where the guide sets them, ports published
/// on 127.0.0.1 only. The one image is made offline: an empty root imported into the engine, the machine's
/// own /usr (and the Swift runtime rbsh links, where it is not static) mounted read-only into each container.
struct LabCompose {
    let state: LabState
    let log: @Sendable (String) -> Void

    static let project = "network-probe"
    static let image = "rbsh-lab/root:1"
    /// The project network's addresses (the first three parts of a /24), fixed so names resolve from /etc/hosts.
    static let subnet = "10.203.0"

    var folder: String { state.directory }
    var composeFile: String { folder + "/docker-compose.yml" }
    /// The override a fault writes (docker-compose reads it beside the main file).
    var overrideFile: String { folder + "/docker-compose.override.yml" }
    var filesDir: String { folder + "/compose" }

    /// `docker compose` where the plugin is, else `docker-compose`.
    static func composeCommand() throws -> [String] {
        if (try? LabCommand.run(["docker", "compose", "version"], timeout: 20)) != nil { return ["docker", "compose"] }
        if (try? LabCommand.run(["docker-compose", "version"], timeout: 20)) != nil { return ["docker-compose"] }
        throw LabError("the compose lab needs docker-compose or the docker compose plugin")
    }

    /// `docker-compose -p network-probe ARGS` in the lab's folder.
    @discardableResult
    func compose(_ arguments: [String], timeout: Double = 180) throws -> String {
        let argv =
            try Self.composeCommand() + ["-p", Self.project, "--project-directory", folder, "-f", composeFile]
            + (FileManager.default.fileExists(atPath: overrideFile) ? ["-f", overrideFile] : []) + arguments
        return try LabCommand.run(argv, timeout: timeout)
    }

    func up() throws {
        guard (try? LabCommand.run(["docker", "version", "--format", "{{.Server.Version}}"], timeout: 20)) != nil else {
            throw LabError(
                "the compose lab needs a Docker engine: none answers at \(ProcessInfo.processInfo.environment["DOCKER_HOST"] ?? "/var/run/docker.sock")"
            )
        }
        _ = try Self.composeCommand()
        try makeImage()
        try writeProject()
        log("docker compose up: project \(Self.project) in \(folder)")
        // The database and its data first: the management service exits at start without its database (as
        // the guide's does), and a lab that began with one failed start would carry it in its restart count.
        try compose(["up", "-d", "postgres", "redis"])
        try LabPostgres(state: state, log: log).waitAccepting(seconds: 60)
        try LabPostgres(state: state, log: log).load()
        let url = try RedisURL(parsing: state.redisURL)
        let redis = try RedisConnection.connect(url, timeout: 10)
        try LabRedis(state: state, log: log).seed(redis)
        try compose(["up", "-d"])
        try waitHealthy(seconds: 60)
    }

    func down() {
        _ = try? compose(["down", "--volumes", "--remove-orphans"], timeout: 120)
        _ = try? LabCommand.run(["docker", "image", "rm", Self.image], timeout: 60)
    }

    func waitHealthy(seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let r = try? HTTPClient.request(url: state.apiURL + "/api/v1/health", timeout: 2), r.status == 200 {
                log("API on \(state.apiURL) (container management)")
                return
            }
            usleep(200_000)
        }
        let tail = (try? compose(["logs", "--no-color", "--tail", "5", "management"], timeout: 30)) ?? ""
        throw LabError("the management container did not become healthy: \(tail.split(separator: "\n").suffix(3).joined(separator: " | "))")
    }

    /// An empty root with the machine's users, its /usr mounted at run time.
    func makeImage() throws {
        if (try? LabCommand.run(["docker", "image", "inspect", Self.image], timeout: 20)) != nil { return }
        let root = folder + "/image-root"
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try LabCommand.run(
            [
                "/bin/sh", "-c",
                """
                set -e; mkdir -p '\(root)/etc' '\(root)/tmp' '\(root)/var/run' '\(root)/app'; chmod 1777 '\(root)/tmp'
                cp /etc/passwd /etc/group /etc/nsswitch.conf '\(root)/etc/' 2>/dev/null || cp /etc/passwd /etc/group '\(root)/etc/'
                for d in bin lib lib64 sbin; do ln -s usr/$d '\(root)/'$d; done
                tar -C '\(root)' -c . | docker import - \(Self.image) >/dev/null
                """,
            ], timeout: 120)
        log("image \(Self.image) imported (an empty root; /usr is the machine's)")
    }

    /// Where the Swift runtime rbsh links lives, when it is not linked in (a debug build).
    static func swiftRuntimeDirectory() -> String? {
        // Read to its end: /proc says its files are empty.
        guard let file = FileHandle(forReadingAtPath: "/proc/self/maps"), let data = try? file.readToEnd() else { return nil }
        let maps = String(decoding: data, as: UTF8.self)
        for line in maps.split(separator: "\n") where line.hasSuffix("/libswiftCore.so") {
            guard let path = line.split(separator: " ", omittingEmptySubsequences: true).last else { continue }
            let dir = (String(path) as NSString).deletingLastPathComponent
            return dir.hasPrefix("/usr/") ? nil : dir
        }
        return nil
    }
}
