import Foundation
import RunbookKit

/// The lab's folder, ports and password, saved as `lab.json` in its folder
/// while it is up, so every later rbsh finds it.
public struct LabState: Codable, Sendable, Hashable {
    public var directory: String
    public var postgresPort: Int
    public var redisPort: Int
    public var apiPort: Int
    /// The stub's HTTPS and WSS port, with a certificate from the lab's own CA.
    public var apiTLSPort: Int
    public var password: String
    public var startedAt: Date
    /// Which management API it serves.
    public var flavour: APIFlavour

    public var postgresURL: String { "postgres://postgres:\(password)@127.0.0.1:\(postgresPort)/network_probe" }
    public var redisURL: String { "redis://:\(password)@127.0.0.1:\(redisPort)/0" }
    public var apiURL: String { "http://127.0.0.1:\(apiPort)" }
    public var apiTLSURL: String { "https://localhost:\(apiTLSPort)" }
    /// The lab's CA certificate: trust it (SSL_CERT_FILE) to verify the stub.
    public var caCertificate: String { directory + "/tls/ca.crt" }
    var serverCertificate: String { directory + "/tls/server.crt" }
    var serverKey: String { directory + "/tls/server.key" }
    public var targets: Targets { Targets(postgres: postgresURL, redis: redisURL, api: apiURL) }

    /// What runbooks may read as `targets.*` when the targets are the lab's:
    /// its logs and deployment file where a deployment keeps them, the
    /// commands its "service manager" (`rbsh lab restart`) restarts its
    /// services with (`services.NAME.restart`, as a config file names a real
    /// deployment's), the stub's TLS port, and the CA its certificate is verified against.
    public var targetExtras: [String: String] {
        let rbsh = Daemon.selfExecutable
        if flavour.isCompose {
            // A Compose deployment: the services are its containers, restarted as such; the agents are not in it.
            return [
                "api.env_file": envFile, "agent.log": agentLog, "docker.project": LabCompose.project,
                "services.agent.restart": "'\(rbsh)' lab restart agents",
            ]
        }
        var extras = [
            "postgres.log": postgresLog, "api.log": apiLog, "api.env_file": envFile, "agent.log": agentLog,
            // Its service manager: the commands runbooks restart its services with.
            "services.management.restart": "'\(rbsh)' lab restart api",
            "services.postgres.restart": "'\(rbsh)' lab restart postgres",
            "services.redis.restart": "'\(rbsh)' lab restart redis",
            "services.agent.restart": "'\(rbsh)' lab restart agents",
            "services.certificate.renew": "'\(rbsh)' lab clear tls-expiring",
        ]
        if flavour.servesTLS {
            extras["api.tls_port"] = String(apiTLSPort)
            extras["ca_file"] = caCertificate
        }
        return extras
    }

    var postgresData: String { directory + "/postgres" }
    var postgresSocket: String { directory + "/sockets" }
    var postgresLog: String { directory + "/postgres.log" }
    var redisDir: String { directory + "/redis" }
    var redisLog: String { directory + "/redis.log" }
    var redisPID: String { directory + "/redis.pid" }
    var apiPID: String { directory + "/api.pid" }
    var apiLog: String { directory + "/api.log" }
    /// The deployment's environment file, as the guide keeps it (`deployment/.env`).
    var envFile: String { directory + "/deployment/.env" }
    /// The agent service's log, which the lab writes as an agent would.
    var agentLog: String { directory + "/agent.log" }

    /// The deployment's .env, its DATABASE_URL there or not.
    func deploymentEnvironment(withDatabaseURL: Bool) -> String {
        """
        # network_probe deployment
        \(withDatabaseURL ? "DATABASE_URL=\(postgresURL)" : "# DATABASE_URL removed")
        REDIS_URL=\(redisURL)
        MAX_CONNECTIONS=200
        DB_POOL_SIZE=20

        """
    }
    /// The link to rbsh the actuator flavour runs as, so its process has a name of its own.
    var apiProgram: String { directory + "/bin/" + APIFlavour.actuatorProgram }
    var faultsDir: String { directory + "/faults" }

    /// `RBSH_LAB_DIR`, else a folder under /tmp that the PostgreSQL user can
    /// reach (the home of root cannot be), one per user.
    public static var defaultDirectory: String {
        if let d = ProcessInfo.processInfo.environment["RBSH_LAB_DIR"], !d.isEmpty { return d }
        return "/tmp/rbsh-lab-\(getuid())"
    }

    public static func stateFile(in directory: String) -> String { directory + "/lab.json" }

    /// The saved state of a lab that is up, if there is one.
    public static func load(directory: String = LabState.defaultDirectory) -> LabState? {
        guard let data = FileManager.default.contents(atPath: stateFile(in: directory)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(LabState.self, from: data)
    }

    func save() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let path = Self.stateFile(in: directory)
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        chmod(path, 0o600)
    }

    /// Reads lab.json files written by older builds too, so `lab down` can
    /// always stop what they started.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        directory = try c.decode(String.self, forKey: .directory)
        postgresPort = try c.decode(Int.self, forKey: .postgresPort)
        redisPort = try c.decode(Int.self, forKey: .redisPort)
        apiPort = try c.decode(Int.self, forKey: .apiPort)
        apiTLSPort = try c.decodeIfPresent(Int.self, forKey: .apiTLSPort) ?? 18443
        password = try c.decode(String.self, forKey: .password)
        startedAt = try c.decodeIfPresent(Date.self, forKey: .startedAt) ?? Date()
        flavour = try c.decodeIfPresent(APIFlavour.self, forKey: .flavour) ?? .nested
    }

    init(
        directory: String, postgresPort: Int, redisPort: Int, apiPort: Int, apiTLSPort: Int, password: String, startedAt: Date,
        flavour: APIFlavour = .nested
    ) {
        self.flavour = flavour
        self.directory = directory
        self.postgresPort = postgresPort
        self.redisPort = redisPort
        self.apiPort = apiPort
        self.apiTLSPort = apiTLSPort
        self.password = password
        self.startedAt = startedAt
    }

    static func port(_ env: String, default value: Int) -> Int {
        ProcessInfo.processInfo.environment[env].flatMap(Int.init) ?? value
    }
}
