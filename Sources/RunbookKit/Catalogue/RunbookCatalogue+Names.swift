import Foundation

/// How operators name a runbook: by its id, by one of its aliases (the
/// guide's headings, in Chinese or English; case and full-width letters do
/// not matter), or by a prefix of either that only one runbook has.
extension RunbookCatalogue {
    /// One of several runbooks a name could mean, with the name of its that matched.
    public struct Candidate: Sendable, Hashable {
        public var id: String
        public var name: String
    }

    /// What a name names.
    public enum NameMatch: Sendable, Hashable {
        case runbook(String)
        case ambiguous([Candidate])
        case none
    }

    /// A name as names are compared: full-width letters and digits as
    /// ASCII (NFKC), lower-cased, without surrounding spaces.
    public static func normalize(_ name: String) -> String {
        name.precomposedStringWithCompatibilityMapping.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every name a runbook answers to, id first, then its aliases, in the catalogue's order.
    public var names: [(name: String, id: String)] {
        entries.flatMap { e in [(e.id, e.id)] + e.aliases.map { ($0, e.id) } }
    }

    /// The runbook `name` names: an exact id, else an id or alias equal to
    /// it once normalised, else the one runbook with an id or alias that
    /// starts with it.
    public func match(_ name: String) -> NameMatch {
        if entries.contains(where: { $0.id == name }) { return .runbook(name) }
        let wanted = Self.normalize(name)
        guard !wanted.isEmpty else { return .none }
        let all = names.map { (normalized: Self.normalize($0.name), name: $0.name, id: $0.id) }
        for candidates in [all.filter { $0.normalized == wanted }, all.filter { $0.normalized.hasPrefix(wanted) }] {
            var seen: [Candidate] = []
            for c in candidates where !seen.contains(where: { $0.id == c.id }) { seen.append(Candidate(id: c.id, name: c.name)) }
            if seen.count == 1, let only = seen.first { return .runbook(only.id) }
            if seen.count > 1 { return .ambiguous(seen) }
        }
        return .none
    }

    /// "; did you mean `db-connection-failure`?" for a name that names nothing:
    /// the id or alias closest to it, or whose start is closest to it (a
    /// misspelt prefix); an alias is followed by its runbook's id.
    public func suggestion(for name: String) -> String {
        let wanted = Self.normalize(name)
        var best: (name: String, id: String, distance: Int)?
        for candidate in names {
            let full = Self.normalize(candidate.name)
            var d = Suggestion.distance(wanted, full)
            for k in max(1, wanted.count - 2)...(wanted.count + 2) where k < full.count {
                d = min(d, Suggestion.distance(wanted, String(full.prefix(k))) + 1)
            }
            if d <= max(2, wanted.count / 3), d < best?.distance ?? Int.max { best = (candidate.name, candidate.id, d) }
        }
        guard let best else { return "" }
        return best.name == best.id ? "; did you mean `\(best.id)`?" : "; did you mean `\(best.name)` (\(best.id))?"
    }
}

extension RunbookCatalogue {
    /// What `find` searches in this catalogue.
    public var summaries: [RunbookSummary] { entries.compactMap(\.runbook).map(RunbookSummary.init) }

    /// What `find` searches, without loading a runbook whole: the folders'
    /// runbooks are read for their summaries only (and those kept from an
    /// earlier run for files unchanged since), the built-in ones' summaries
    /// were written at build time. The first found of an id wins, as in the catalogue.
    public static func summaries(
        directories: [String], environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [RunbookSummary] {
        let files = directories.flatMap(files(in:))
        var seen: Set<String> = []
        var found: [RunbookSummary] = []
        if !files.isEmpty {
            var cache = SummaryCache(environment: environment)
            for file in files {
                guard let summary = cache.summary(of: file), seen.insert(summary.id).inserted else { continue }
                found.append(summary)
            }
            cache.save()
        }
        return found + BuiltinRunbookFiles.summaries.filter { !seen.contains($0.id) }
    }
}
