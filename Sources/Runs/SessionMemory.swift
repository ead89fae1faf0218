import Foundation
import IncidentMemory
import RunbookKit

/// The incident memory as a session uses it: what past sessions say of its
/// causes, and, at its end, its own transcript added for the next ones.
///
/// The index is opened when first needed; a memory that cannot be opened or
/// read is said once (`problem`) and never stops or slows a session.
public final class SessionMemory: @unchecked Sendable {
    public let path: String
    public let enabled: Bool
    /// A team's rbsh serve, when the config names one.
    public let team: TeamMemory?
    let lock = NSLock()
    private var opened: MemoryIndex?
    var failure: String?
    private var teamAway = false
    private var said = false

    public init(config: RbshConfig, environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = MemoryLocation.path(configured: config.memory.index, environment: environment)
        enabled = config.memory.enabled && environment["RBSH_MEMORY"] != "off"
        let path = self.path
        team = config.memory.url.map { TeamMemory(url: $0, token: config.memory.token, besideIndex: path, config: config.path) }
    }

    /// The index, opened once; nil (and `problem` set) when it cannot be.
    public var index: MemoryIndex? {
        lock.withLock { () -> MemoryIndex? in
            guard enabled, failure == nil else { return nil }
            if let opened { return opened }
            do { opened = try MemoryIndex(path: path) } catch { failure = "\(error)" }
            return opened
        }
    }

    /// Why the memory could not be used, the first time it is asked after a failure; nil after that.
    public var problem: String? {
        lock.withLock {
            guard let failure, !said else { return nil }
            said = true
            return failure
        }
    }

    /// What past sessions say of `causes` (`RUNBOOK/ID`), leaving out the
    /// transcripts of this session (`excluding`: it and those it continues);
    /// with a team's server, its answer where it knows more (it holds what
    /// this machine sent it too). A server that does not answer in time is
    /// not asked again by this process.
    public func recall(_ causes: [String], excluding: [String], before: Date? = nil) -> [String: CauseRecall] {
        guard !causes.isEmpty, let index else { return [:] }
        var said: [String: CauseRecall]
        do { said = try index.recall(causes, scope: MemoryIndex.Scope(before: before, excluding: Set(excluding))) } catch {
            lock.withLock { failure = error.description }
            return [:]
        }
        guard before == nil, let team, lock.withLock({ !teamAway }) else { return said }
        guard let theirs = team.recall(causes, excluding: excluding) else {
            lock.withLock { teamAway = true }
            return said
        }
        for (cause, r) in theirs where r.seenEver > (said[cause]?.seenEver ?? 0) { said[cause] = r }
        return said
    }

    /// The causes of a walk as the memory names them, first first.
    public static func causes(of session: RunbookSession) -> [PastSession.NamedCause] {
        PastSession.causes(diagnosis: session.diagnosis, findings: session.findings, walked: session.runbook.id)
    }

    /// Adds a finished session's transcript; why it could not, in one line. Checks and replays are not incidents.
    ///
    /// An index this process has not opened is not opened for it: the
    /// transcript waits in `PendingSessions` for the next read of the memory.
    public func remember(transcript path: String, mode: String) -> String? {
        // A transcript sent to a device (/dev/null) is no session to remember.
        let isFile = (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular
        guard isFile, !PastSession.notIncidents.contains(mode), enabled, lock.withLock({ failure == nil }) else { return problem }
        do {
            if let index = lock.withLock({ opened }) {
                _ = try index.add(path: path)
            } else {
                try PendingSessions.append(path, beside: self.path)
            }
        } catch {
            return "the session is not in the incident memory: \(error)"
        }
        guard let team else { return nil }
        do { try team.queue(path) } catch { return error.description }
        team.pushDetached()
        return nil
    }
}

extension SessionMemory {
    /// Past sessions like `text`, best first: a finding (`RUNBOOK/ID` or a
    /// bare `ID`) or a runbook by name; a transcript's path (sessions sharing
    /// its causes and what they explain); else a symptom, matched as `rbsh
    /// find` matches (trigrams, Chinese characters) against the findings the
    /// memory holds and against `runbooks`.
    public func search(
        _ text: String, runbooks: () -> [RunbookSummary], since: Date?, limit: Int = 10, excluding: [String] = []
    ) throws(MemoryError) -> [MemoryIndex.Match] {
        guard let index else { throw MemoryError(lock.withLock { failure } ?? "the incident memory is off (memory.recall in the config)") }
        var query = MemoryIndex.Query(since: since, limit: limit)
        var scope = MemoryIndex.Scope(excluding: Set(excluding))
        if try index.knows(finding: text) {
            query.findings[text] = 1
        } else if text.hasSuffix(".jsonl"), FileManager.default.fileExists(atPath: text) {
            let transcript: Transcript
            do { transcript = try Transcript.readChain(path: text) } catch { throw MemoryError(error.description) }
            for seen in PastSession(transcript, sha256: "").seen { query.findings[seen.finding] = seen.causeRank == nil ? 0.5 : 1 }
            scope = MemoryIndex.Scope(excluding: Set(excluding + [text] + transcript.earlier))
        } else {
            let summaries = runbooks()
            if summaries.contains(where: { $0.id == text }) {
                query.runbooks[text] = 1
            } else {
                let texts = try index.findingTexts().map { k in
                    RunbookSummary(
                        id: k.finding, title: PastSession.local(k.finding).replacingOccurrences(of: "-", with: " "), category: "",
                        aliases: [], symptoms: [k.message], description: "")
                }
                for hit in RunbookFinder(texts).find(text, limit: 20) { query.findings[hit.id] = hit.score }
                for hit in RunbookFinder(summaries).find(text, limit: 5) { query.runbooks[hit.id] = hit.score }
            }
        }
        return try index.search(query, scope: scope)
    }

    /// `30d`, `12h`, `2w`, `45m` before now, or a day (`2026-11-01`).
    public static func since(_ text: String, now: Date = Date()) -> Date? {
        if let unit = text.last, let n = Double(text.dropLast()), n >= 0 {
            let seconds: Double? = ["m": 60, "h": 3600, "d": 86_400, "w": 604_800][unit]
            if let seconds { return now.addingTimeInterval(-n * seconds) }
        }
        return try? Date(text, strategy: .iso8601.year().month().day())
    }

    /// What past sessions (before it began, not its own chain) say of each
    /// cause of a recorded session: for its postmortem.
    public func seenBefore(_ transcript: Transcript) -> [(cause: String, line: String)] {
        let causes = PastSession(transcript, sha256: "").causes.map(\.finding)
        let before = PastSession.date(transcript.header.started)
        let said = recall(causes, excluding: [transcript.path] + transcript.earlier, before: before)
        return causes.compactMap { c in said[c].map { (c, $0.line) } }
    }
}
