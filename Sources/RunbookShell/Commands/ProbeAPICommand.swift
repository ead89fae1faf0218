import ArgumentParser
import Foundation
import Clients
import Lab
import RunbookKit

/// `probe-api --listen HOST:PORT`: the lab's second management API, run
/// through a link named `probe-api` so that it is a process of its own
/// name, configured from DATABASE_URL and REDIS_URL as applications are.
public struct ProbeAPICommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: APIFlavour.actuatorProgram,
        abstract: "The lab's Actuator-style management API (plain HTTP), as `rbsh lab up --flavour actuator` runs it.")

    /// Whether this process was started as `probe-api`.
    public static var isInvoked: Bool {
        (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) == APIFlavour.actuatorProgram
    }

    @Option(help: ArgumentHelp("Where to listen (loopback only).", valueName: "127.0.0.1:port"))
    var listen = "127.0.0.1:8000"

    @OptionGroup var behaviour: APIBehaviourOptions

    @Flag(help: "Exit at start when the database cannot be reached, as applications do (the compose lab's management).")
    var requireDatabase = false

    @Option(name: .customLong("allocate-mb"), help: "Hold this many MiB before serving (the compose lab's memory fault).")
    var allocateMegabytes = 0

    public init() {}

    public func run() throws {
        let env = ProcessInfo.processInfo.environment
        guard let db = env["DATABASE_URL"], let redis = env["REDIS_URL"] else {
            throw fail("probe-api needs DATABASE_URL and REDIS_URL", code: 64)
        }
        // Loopback only; every address only inside a container (its own network namespace).
        let inContainer = FileManager.default.fileExists(atPath: "/.dockerenv")
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            listen[..<colon] == "127.0.0.1" || (inContainer && listen[..<colon] == "0.0.0.0")
        else {
            throw fail("--listen takes 127.0.0.1:PORT (0.0.0.0:PORT in a container), got `\(listen)`", code: 64)
        }
        if requireDatabase {
            do { _ = try PostgresConnection.connect(db, timeout: 5) } catch {
                throw fail("database connection failed at start: could not connect to \(Redaction.redactURL(db)): \(error)")
            }
        }
        // As a container's first process it has no default action for SIGTERM: `docker stop` would wait 10 s.
        signal(SIGTERM) { _ in _exit(0) }
        // Memory it holds (written, so it is resident) for as long as it runs.
        let held = UnsafeMutableRawPointer.allocate(byteCount: max(1, allocateMegabytes << 20), alignment: 4096)
        held.initializeMemory(as: UInt8.self, repeating: 1, count: max(1, allocateMegabytes << 20))
        do {
            try APIStub(
                port: port, tls: nil, databaseURL: db, redisURL: redis, behaviour: behaviour.behaviour, flavour: .actuator,
                host: String(listen[..<colon])
            )
            .serve()
        } catch { throw fail("\(error)") }
    }
}

/// The lab API's faults, as flags of both API commands (`APIBehaviour.arguments`).
struct APIBehaviourOptions: ParsableArguments {
    @Flag(help: "Answer /ws without upgrading (the ws-broken fault).")
    var brokenWebsocket = false
    @Option(name: .customLong("delay-ms"), help: "Wait this long before every answer (the api-slow fault).")
    var delayMilliseconds = 0
    @Flag(help: "Answer the health endpoint with HTTP 500 (the api-5xx fault).")
    var healthError = false
    @Flag(help: "Connect to PostgreSQL with a wrong password (the api-db-misconfigured fault).")
    var wrongDatabasePassword = false

    var behaviour: APIBehaviour {
        APIBehaviour(
            brokenWebSocket: brokenWebsocket, delayMilliseconds: delayMilliseconds, healthError: healthError,
            wrongDatabasePassword: wrongDatabasePassword)
    }
}
