/// The file a runbook was loaded from: the path as given, the path resolved,
/// and the SHA-256 of the text read. A transcript's `runbook_start` carries
/// it, so a resume or a replay finds the same file from any folder and can
/// say when it changed since.
public struct RunbookSource: Sendable, Hashable, Codable {
    public var given: String
    /// Absolute, with `.` and `..` resolved.
    public var path: String
    /// Lower-case hex; nil when it could not be computed.
    public var sha256: String?

    public init(given: String, path: String, sha256: String?) {
        self.given = given
        self.path = path
        self.sha256 = sha256
    }
}
