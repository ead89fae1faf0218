import Foundation

/// How the lab's API misbehaves, for the faults that live in the API itself:
/// each is a command-line flag of the API process, so a restart with none
/// clears them, as restarting a real service would.
public struct APIBehaviour: Sendable, Hashable {
    /// /ws answers like a plain page, no upgrade (ws-broken).
    public var brokenWebSocket = false
    /// Every answer waits this long first (api-slow): correct, only slow.
    public var delayMilliseconds = 0
    /// The health endpoint answers 500 while PostgreSQL and Redis are fine (api-5xx).
    public var healthError = false
    /// The API connects to PostgreSQL with a wrong password (api-db-misconfigured).
    public var wrongDatabasePassword = false

    public init(
        brokenWebSocket: Bool = false, delayMilliseconds: Int = 0, healthError: Bool = false, wrongDatabasePassword: Bool = false
    ) {
        self.brokenWebSocket = brokenWebSocket
        self.delayMilliseconds = delayMilliseconds
        self.healthError = healthError
        self.wrongDatabasePassword = wrongDatabasePassword
    }

    public static let normal = APIBehaviour()

    /// The flags that ask for it, as both API commands take them.
    public var arguments: [String] {
        var out: [String] = []
        if brokenWebSocket { out.append(Self.brokenWebSocketFlag) }
        if delayMilliseconds > 0 { out += [Self.delayFlag, String(delayMilliseconds)] }
        if healthError { out.append(Self.healthErrorFlag) }
        if wrongDatabasePassword { out.append(Self.wrongDatabasePasswordFlag) }
        return out
    }

    /// What a running API's command line asks for.
    public init(arguments: [String]) {
        brokenWebSocket = arguments.contains(Self.brokenWebSocketFlag)
        healthError = arguments.contains(Self.healthErrorFlag)
        wrongDatabasePassword = arguments.contains(Self.wrongDatabasePasswordFlag)
        if let i = arguments.firstIndex(of: Self.delayFlag), i + 1 < arguments.count { delayMilliseconds = Int(arguments[i + 1]) ?? 0 }
    }

    static let brokenWebSocketFlag = "--broken-websocket"
    static let delayFlag = "--delay-ms"
    static let healthErrorFlag = "--health-error"
    static let wrongDatabasePasswordFlag = "--wrong-database-password"

    /// The database URL the API uses: the lab's, or with its password spoiled.
    public func databaseURL(_ url: String) -> String {
        guard wrongDatabasePassword, var c = URLComponents(string: url) else { return url }
        c.password = "not-the-password"
        return c.string ?? url
    }
}
