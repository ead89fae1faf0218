import Foundation

/// What a step does. Text fields other than a shell command may name values
/// as `${name}`; a shell command never has values spliced in, it reads them
/// from the environment variables in `env`.
public enum StepAction: Sendable, Hashable {
    case shell(ShellAction)
    case postgres(PostgresAction)
    case redis(RedisAction)
    case http(HTTPAction)
    case tcp(TCPAction)
    case tls(TLSAction)
    case websocket(WebSocketAction)
    case system(SystemAction)
    case containers(ContainersAction)
    case ask(AskAction)
    case manual(ManualAction)
    case runbook(RunbookAction)
    case sweep(SweepAction)

    /// The name used for the kind in runbook files.
    public var kind: String {
        switch self {
        case .shell: return "shell"
        case .postgres: return "postgres"
        case .redis: return "redis"
        case .http: return "http"
        case .tcp: return "tcp"
        case .tls: return "tls"
        case .websocket: return "websocket"
        case .system: return "system"
        case .containers: return "containers"
        case .ask: return "ask"
        case .manual: return "manual"
        case .runbook: return "runbook"
        case .sweep: return "sweep"
        }
    }

    /// Whether running it needs a person or another runbook rather than a probe.
    public var isInteractive: Bool {
        switch self {
        case .ask, .manual, .runbook, .sweep: return true
        default: return false
        }
    }
}

public struct ShellAction: Sendable, Hashable {
    public var command: String
    /// Environment variables for the command; values may name `${...}`.
    public var env: [String: String]
    public init(command: String, env: [String: String] = [:]) {
        self.command = command
        self.env = env
    }
}

public struct PostgresAction: Sendable, Hashable {
    public enum Access: String, Sendable, Hashable {
        /// Diagnostics: a read-only transaction with statement and lock timeouts.
        case readOnly = "read-only"
        /// Remediations: may change the database.
        case readWrite = "read-write"
    }
    public var sql: String
    /// Bound as `$1`, `$2`...; each may name `${...}`.
    public var params: [String]
    public var access: Access
    /// Run each statement outside a transaction (VACUUM, CREATE INDEX CONCURRENTLY).
    public var autocommit: Bool
    public init(sql: String, params: [String] = [], access: Access = .readOnly, autocommit: Bool = false) {
        self.sql = sql
        self.params = params
        self.access = access
        self.autocommit = autocommit
    }
}

public struct RedisAction: Sendable, Hashable {
    /// One argument each, never joined into a command string.
    public var argv: [String]
    public init(argv: [String]) { self.argv = argv }
}

public struct HTTPAction: Sendable, Hashable {
    public var method: String
    public var url: String
    public var headers: [String: String]
    public init(method: String = "GET", url: String, headers: [String: String] = [:]) {
        self.method = method
        self.url = url
        self.headers = headers
    }
}

public struct TCPAction: Sendable, Hashable {
    /// `host:port` to connect to (`[::1]:5432` for IPv6); with `listening`,
    /// just the local port whose listener to find.
    public var address: String
    public var listening: Bool
    public init(address: String, listening: Bool = false) {
        self.address = address
        self.listening = listening
    }
}

public struct TLSAction: Sendable, Hashable {
    /// `host:port`.
    public var address: String
    public var serverName: String?
    public init(address: String, serverName: String? = nil) {
        self.address = address
        self.serverName = serverName
    }
}

public struct WebSocketAction: Sendable, Hashable {
    public var url: String
    public var ping: Bool
    public init(url: String, ping: Bool = false) {
        self.url = url
        self.ping = ping
    }
}

public struct SystemAction: Sendable, Hashable {
    /// The CPU sample, milliseconds.
    public var sampleMilliseconds: Int
    public init(sampleMilliseconds: Int = 200) { self.sampleMilliseconds = sampleMilliseconds }
}

public struct AskAction: Sendable, Hashable {
    public var question: String
    public var choices: [String]
    /// The variable the answer goes into (`vars.NAME`); the step id by default.
    public var variable: String
    /// What Enter answers at the shell (`default:`).
    public var defaultChoice: String?
    public init(question: String, choices: [String], variable: String, defaultChoice: String? = nil) {
        self.question = question
        self.choices = choices
        self.variable = variable
        self.defaultChoice = defaultChoice
    }
}

public struct ManualAction: Sendable, Hashable {
    public var instruction: String
    public init(instruction: String) { self.instruction = instruction }
}

public struct RunbookAction: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable {
        /// Run its steps here, then carry on.
        case include
        /// Hand the session over to it; this runbook ends.
        case handover
    }
    public var id: String
    public var mode: Mode
    public init(id: String, mode: Mode = .include) {
        self.id = id
        self.mode = mode
    }
}

/// Every named runbook's diagnostic steps at once, each runbook on its own,
/// with its inputs' defaults and no remediation; then a diagnosis ranks
/// what they found, causes before the symptoms they explain.
public struct SweepAction: Sendable, Hashable {
    /// Runbook ids or aliases, in the order their findings rank on a tie.
    public var runbooks: [String]
    public init(runbooks: [String]) { self.runbooks = runbooks }
}

/// The containers of Compose services, read from the Docker engine as state (status, exit code, OOM kill,
/// restarts, health, start time, memory against its limit, the log's last lines), not as table text.
/// Where no engine answers, the step says so (`engine` false) and finds nothing else.
public struct ContainersAction: Sendable, Hashable {
    /// Compose service names (`com.docker.compose.service`); each gives `<service>.state` and the like.
    public var services: [String]
    /// The Compose project (`com.docker.compose.project`); empty: every project's.
    public var project: String
    /// How many of each service's last log lines to read (0: none).
    public var logLines: Int
    /// Whether to read each running container's memory in use (one sample).
    public var stats: Bool
    public init(services: [String], project: String = "", logLines: Int = 0, stats: Bool = false) {
        self.services = services
        self.project = project
        self.logLines = logLines
        self.stats = stats
    }
}
