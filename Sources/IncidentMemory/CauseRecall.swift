import Foundation

/// What the memory says of one cause: how often it was seen, when last, and
/// what fixed it. Only a fix whose verify passed is called a fix; one that
/// was applied and failed its verify "did not hold".
public struct CauseRecall: Sendable, Hashable, Codable {
    public enum Label: String, Sendable, Hashable, Codable {
        /// No past session reported it.
        case newHere = "new here"
        /// Seen before, fewer than `frequentFrom` times in the window.
        case rare
        case frequent
    }

    /// A past session, as a recall line names it.
    public struct Occasion: Sendable, Hashable, Codable {
        public var transcript: String
        public var started: Date
        public var user: String?
        public var host: String?

        enum CodingKeys: String, CodingKey { case transcript, started, user, host }

        /// `started` as transcripts write times (ISO 8601, UTC), whatever the encoder's date strategy.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(transcript, forKey: .transcript)
            try c.encode(started.formatted(.iso8601), forKey: .started)
            try c.encodeIfPresent(user, forKey: .user)
            try c.encodeIfPresent(host, forKey: .host)
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            transcript = try c.decode(String.self, forKey: .transcript)
            started = try Date(try c.decode(String.self, forKey: .started), strategy: .iso8601)
            user = try c.decodeIfPresent(String.self, forKey: .user)
            host = try c.decodeIfPresent(String.self, forKey: .host)
        }

        public init(transcript: String, started: Date, user: String?, host: String?) {
            self.transcript = transcript
            self.started = started
            self.user = user
            self.host = host
        }
    }

    /// A fix and how many sessions it verified in (or did not hold in).
    public struct FixCount: Sendable, Hashable, Codable {
        public var remediation: String
        public var times: Int

        public init(remediation: String, times: Int) {
            self.remediation = remediation
            self.times = times
        }
    }

    /// From this many sessions in the window on, a cause is frequent.
    public static let frequentFrom = 3

    public var finding: String
    public var label: Label
    /// Sessions that reported it within the last `days` days.
    public var seen: Int
    /// Sessions that reported it, ever.
    public var seenEver: Int
    public var days: Int
    public var last: Occasion?
    /// Fixes that verified, most sessions first.
    public var fixedBy: [FixCount]
    /// Fixes applied whose verify found it still there.
    public var didNotHold: [FixCount]

    enum CodingKeys: String, CodingKey {
        case finding, label, seen, days, last
        case seenEver = "seen_ever"
        case fixedBy = "fixed_by"
        case didNotHold = "did_not_hold"
    }

    /// One line: `seen 3× in 30 days (frequent), last 2026-12-02 14:03 by li on db-1; fixed by terminate-idle (verified, 2×)`.
    public var line: String {
        guard let last, seenEver > 0 else { return "new here: no past session found it" }
        var text = "seen \(seen)× in \(days) days (\(label.rawValue))"
        if seen != seenEver { text += ", \(seenEver)× in all" }
        text += ", last \(Self.day(last.started))"
        if let user = last.user { text += " by \(user)" }
        if let host = last.host { text += " on \(host)" }
        if fixedBy.isEmpty {
            text += "; no fix verified then"
        } else {
            text +=
                "; fixed by "
                + fixedBy.map { "\($0.remediation) (verified\($0.times > 1 ? ", \($0.times)×" : ""))" }.joined(separator: ", ")
        }
        for tried in didNotHold { text += "; \(tried.remediation) tried, did not hold" + (tried.times > 1 ? " (\(tried.times)×)" : "") }
        return text
    }

    /// `2026-12-02 14:03`, in UTC as transcripts are.
    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }
}
