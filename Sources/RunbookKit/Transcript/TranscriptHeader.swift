import Foundation

/// The first line of a transcript: what it is, who ran what, where, against which targets.
public struct TranscriptHeader: Sendable, Hashable, Codable {
    public static let format = "rbsh-transcript"
    public static let version = 1

    public var format: String
    public var version: Int
    /// Unique to the session: its seal and approvals name it.
    public var id: String?
    public var started: String?
    public var user: String?
    public var host: String?
    /// The rbsh command: `shell`, `run`, `replay`, `test`.
    public var command: String?
    public var runbook: String?
    /// Redacted: never a password.
    public var targets: [String: String]?
    public var rbshVersion: String?
    public var pid: Int?
    /// The transcript this session continues (`rbsh resume`), and its SHA-256 as it was then.
    public var continues: String?
    public var continuesSHA256: String?
    /// The lines of the continued transcript whose chain verified, and the last one's hash.
    public var continuesLines: Int?
    public var continuesLast: String?
    /// The alert that started the session (`rbsh serve`, `rbsh run --alert`).
    public var alert: AlertOrigin?

    enum CodingKeys: String, CodingKey {
        case format, version, id, started, user, host, command, runbook, targets, pid, continues, alert
        case rbshVersion = "rbsh_version"
        case continuesSHA256 = "continues_sha256"
        case continuesLines = "continues_lines"
        case continuesLast = "continues_last"
    }

    public init(
        command: String? = nil, runbook: String? = nil, targets: [String: String]? = nil, rbshVersion: String? = nil,
        user: String? = nil, host: String? = nil, pid: Int? = nil
    ) {
        format = Self.format
        version = Self.version
        self.command = command
        self.runbook = runbook
        self.targets = targets
        self.rbshVersion = rbshVersion
        self.user = user
        self.host = host
        self.pid = pid
    }

    /// The header for a session of this process.
    public static func current(command: String, runbook: String?, targets: Targets, rbshVersion: String) -> TranscriptHeader {
        TranscriptHeader(
            command: command, runbook: runbook, targets: targets.redacted, rbshVersion: rbshVersion,
            user: userName, host: hostName, pid: Int(getpid()))
    }

    /// Who runs this process: `$USER`, else the password database, else the uid.
    public static var userName: String {
        if let u = ProcessInfo.processInfo.environment["USER"], !u.isEmpty { return u }
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }

    public static var hostName: String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The Alertmanager group whose notification started a session.
public struct AlertOrigin: Sendable, Hashable, Codable {
    public var groupKey: String
    public var status: String
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(groupKey: String, status: String, labels: [String: String], annotations: [String: String]) {
        self.groupKey = groupKey
        self.status = status
        self.labels = labels
        self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey {
        case status, labels, annotations
        case groupKey = "group_key"
    }
}
