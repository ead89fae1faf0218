@testable import Clients
import Foundation
import Testing
import TestSupport

/// A database in a container with no port published, reached as the guide reaches it (`docker exec`): a real
/// PostgreSQL in a container on the test command's dockerd (no network at all), queried through rbsh's relay
/// by libpq, checked and diagnosed by db-connection-failure from a `docker-exec://` target.
@Suite(.enabled(if: TestDocker.engine != nil, "needs the test command's dockerd (RBSH_TEST_DOCKER_HOST)"), .serialized)
struct ContainerDatabaseTests {
    let project = "rbsh-dbexec-\(UUID().uuidString.prefix(8).lowercased())"
    /// The container's name, which no other test's container has (a service name is looked for in every project).
    var service: String { project + "-pg" }

    /// PostgreSQL from the machine's own /usr, its socket where Debian's image has it, no TCP at all.
    func startDatabase() throws -> DockerEngine {
        let engine = try #require(TestDocker.engine)
        try TestDocker.run(
            project: project, service: "pg",
            options: "--user postgres --tmpfs /pgdata:mode=1777 --tmpfs /var/run/postgresql:mode=1777",
            "/bin/sh -c 'b=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1); $b/initdb -D /pgdata/pg -U postgres -A trust --no-locale >/dev/null "
                + "&& exec $b/postgres -D /pgdata/pg -k /var/run/postgresql -c listen_addresses='")
        return engine
    }

    func waitAccepting(_ engine: DockerEngine) throws {
        let deadline = Date().addingTimeInterval(30)
        while true {
            do {
                _ = try ContainerDatabase.check(engine, service: service, project: project, port: 5432, timeout: 5)
                return
            } catch {
                let state = try engine.container(service: service, project: project, timeout: 5)
                if Date() > deadline || state?.status == "exited" {
                    let log = try state.map { try engine.logTail($0.id, lines: 5, timeout: 5) } ?? []
                    Issue.record("PostgreSQL in the container: \(error)\n\(log.joined(separator: "\n"))")
                    throw error
                }
                usleep(200_000)
            }
        }
    }

    func rbsh(_ arguments: [String], dockerHost: String = TestDocker.host) throws -> RbshProcess {
        try RbshProcess.run(
            ["run", "db-connection-failure", "--postgres", "docker-exec://\(service)/postgres?user=postgres", "--transcript", "/dev/null"]
                + arguments, environment: ["DOCKER_HOST": dockerHost])
    }

    @Test func libpqReachesTheServerThroughTheRelayAndADiagnosisFollowsTheContainer() throws {
        defer { TestDocker.removeProject(project) }
        let engine = try startDatabase()
        try waitAccepting(engine)

        let relay = try DatabaseRelay(engine: engine, service: service, project: project, port: 5432)
        let info = relay.conninfo(database: "postgres", user: "postgres", password: nil)
        let first = try PostgresConnection.connect(info, timeout: 10)
        let second = try PostgresConnection.connect(info, timeout: 10)
        let r = try first.query("SELECT $1::int + 1 AS answer, inet_client_addr() IS NULL AS local", params: ["41"], timeout: 10)
        #expect(r.rows.first == ["42", "t"], "a local connection in the container, over its socket")
        let both = try second.query("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'", timeout: 10)
        #expect(both.rows.first?.first.flatMap { $0 } == "2", "each libpq connection is a relay of its own")

        let healthy = try rbsh([])
        #expect(healthy.status == 0, "\(healthy.stdout)\n\(healthy.stderr)")
        #expect(healthy.stdout.contains("[1/7] accepting  Is PostgreSQL accepting connections?  ok"), "\(healthy.stdout)")
        #expect(healthy.stdout.contains("[2/7] trivial-query  Can rbsh log in and run SELECT 1?  ok"), "\(healthy.stdout)")

        #expect(TestDocker.docker("stop -t 1 \(project)-pg").ending == .exited(0))
        let stopped = try rbsh([])
        #expect(stopped.status == 2, "\(stopped.stdout)\n\(stopped.stderr)")
        #expect(
            stopped.stdout.contains(
                "CRITICAL postgres-unreachable: PostgreSQL at docker-exec://\(service):5432 is not accepting connections: connection refused: its container \(project)-pg is exited"
            ), "\(stopped.stdout)")
        // The relay made before answers as a server that refuses would, saying why.
        #expect(throws: PostgresError.self) { try PostgresConnection.connect(info, timeout: 10) }
        do { _ = try PostgresConnection.connect(info, timeout: 10) } catch {
            #expect("\(error)".contains("its container \(project)-pg is exited"), "\(error)")
        }
    }

    /// The engine not answering says nothing of the database: no step judges it, and the run is unknown.
    @Test func noEngineIsUnknownNotADatabaseOutage() throws {
        let p = try rbsh([], dockerHost: "unix:///nonexistent/docker.sock")
        #expect(p.status == 3, "\(p.stdout)\n\(p.stderr)")
        #expect(!p.stdout.contains("CRITICAL"), "\(p.stdout)")
        #expect(p.stdout.contains("cannot be reached through docker exec"), "\(p.stdout)")
    }
}

/// What the relay reads and writes, byte for byte.
@Suite struct RelayBytesTests {
    @Test func outputFramesAreReadAsTheyArriveInAnyPieces() {
        let frame: (UInt8, String) -> [UInt8] = { stream, text in
            [stream, 0, 0, 0] + withUnsafeBytes(of: UInt32(text.utf8.count).bigEndian, Array.init) + Array(text.utf8)
        }
        let bytes = frame(1, "R\u{0}\u{0}") + frame(2, "no socket") + frame(1, "")
        for cut in 0...bytes.count {
            var frames = OutputFrames()
            let got = frames.take(Array(bytes[..<cut])) + frames.take(Array(bytes[cut...]))
            #expect(got.map(\.stream) == [1, 2, 1], "cut at \(cut)")
            #expect(got.map { String(decoding: $0.bytes, as: UTF8.self) } == ["R\u{0}\u{0}", "no socket", ""])
        }
    }

    @Test func aRefusalIsAFatalErrorResponseAsAServerSendsIt() {
        let r = DatabaseRelay.refusal("why")
        #expect(r.first == UInt8(ascii: "E"))
        let length = r[1..<5].reduce(0) { $0 << 8 | Int($1) }
        #expect(length == r.count - 1)
        let fields = String(decoding: r[5...], as: UTF8.self)
        #expect(fields == "SFATAL\u{0}VFATAL\u{0}C08006\u{0}Mwhy\u{0}\u{0}")
    }
}
