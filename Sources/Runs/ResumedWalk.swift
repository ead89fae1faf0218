import Clients
import Foundation
import RunbookKit

/// The walk a transcript left unfinished, ready to go on: `rbsh resume` and
/// `rbsh run --resume`.
public struct ResumedWalk {
    /// The transcript continued, as an absolute path, and its digest now.
    public let earlier: String
    public let digest: String?
    public let book: Runbook
    /// The events of that walk, across the chain of transcripts.
    public let events: [TranscriptEvent]

    /// One line when the runbook's file changed since, or is gone (see `RecordedRunbook`).
    public let note: String?
    /// What of the continued transcript's chain held: the new one chains to that prefix.
    public let verification: TranscriptVerification?
    public var verified: (lines: Int, last: String)? {
        verification.flatMap { v in v.lastHash.map { (v.verifiedLines, $0) } }
    }

    /// Reads `path` (and what it continues), finds the last runbook walked in
    /// it (not one it included), and that runbook: in the file the transcript
    /// says it was read from, else in `catalogue`.
    public static func load(_ path: String, catalogue: RunbookCatalogue) throws(ResumeError) -> ResumedWalk {
        let chain: Transcript
        do { chain = try Transcript.readChain(path: path) } catch { throw ResumeError(error.description) }
        let events = chain.events
        let lookup = { (id: String) in try? RecordedRunbook.find(id, in: events, catalogue: catalogue).book }
        var top: String?
        for case .runbookStarted(let id, _, _) in events {
            if let current = top, includes(current, id, lookup: lookup, catalogue: catalogue) { continue }
            top = id
        }
        guard let id = top else { throw ResumeError("\(path) walked no runbook: nothing to resume") }
        let found: RecordedRunbook
        do { found = try RecordedRunbook.find(id, in: events, catalogue: catalogue) } catch {
            throw ResumeError("cannot resume \(id): \(error.description)")
        }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let verification = FileManager.default.contents(atPath: path).map { TranscriptVerification.verify($0) }
        return ResumedWalk(
            earlier: (absolute as NSString).standardizingPath, digest: FileDigest.sha256(path: path), book: found.book,
            events: SessionRestore.lastWalk(of: id, in: events), note: found.note, verification: verification)
    }

    /// Whether `outer` includes `inner`, directly or through others.
    static func includes(
        _ outer: String, _ inner: String, lookup: (String) -> Runbook?, catalogue: RunbookCatalogue, depth: Int = 0
    ) -> Bool {
        guard depth < 10, let book = lookup(outer) else { return false }
        for step in book.steps {
            guard case .runbook(let r) = step.action, let named = try? catalogue.resolve(r.id) else { continue }
            if named.id == inner || includes(named.id, inner, lookup: lookup, catalogue: catalogue, depth: depth + 1) { return true }
        }
        return false
    }

    /// Answers recorded, under the ones given now.
    public func presets(adding given: [String: (value: String, by: Decider)]) -> [String: (value: String, by: Decider)] {
        RecordedRun.answersGiven(in: events).merging(given) { _, new in new }
    }

    /// Restores `session`; what comes next and a recap for the operator.
    public func restore(_ session: inout RunbookSession) -> (next: SessionAction, recap: [String]) {
        var restore = SessionRestore(events)
        let next = restore.restore(&session)
        var recap = [
            "resuming \(book.id) from \(earlier): \(restore.replayed) recorded outcome\(restore.replayed == 1 ? "" : "s") restored"
        ]
        if let note { recap.append("  \(note)") }
        let open = session.findings.filter { $0.state == .open }
        recap.append(
            open.isEmpty
                ? "  no open findings" : "  open findings: " + open.map { "\($0.id) (\($0.severity.rawValue))" }.joined(separator: ", "))
        for (id, r) in session.remediations.sorted(by: { $0.key < $1.key }) {
            let fate =
                r.verified
                ? "applied and verified" : (r.applied ? "applied, not verified" : (r.declined.map { "declined: \($0)" } ?? "offered"))
            recap.append("  remediation \(id): \(fate)")
        }
        return (next, recap)
    }
}

public struct ResumeError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
