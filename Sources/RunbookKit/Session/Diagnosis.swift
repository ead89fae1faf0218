import Foundation

/// What a sweep concluded: the causes it found, most likely first, each with
/// the findings it explains, and the runbook to continue with.
public struct Diagnosis: Sendable, Hashable, Codable {
    public struct Cause: Sendable, Hashable, Codable {
        /// A finding's qualified id (`RUNBOOK/ID` in a sweep).
        public var finding: String
        /// The findings this cause explains, in rank order.
        public var explains: [String]

        public init(finding: String, explains: [String]) {
            self.finding = finding
            self.explains = explains
        }
    }

    /// The runbook of the first cause; nil when nothing above info was found.
    public var startWith: String?
    public var causes: [Cause]

    enum CodingKeys: String, CodingKey {
        case startWith = "start_with"
        case causes
    }

    /// `start_with` is written even when null: a reader sees that nothing was found, not a missing key.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(startWith, forKey: .startWith)
        try c.encode(causes, forKey: .causes)
    }

    public init(startWith: String?, causes: [Cause]) {
        self.startWith = startWith
        self.causes = causes
    }

    /// One line: where to start, and each cause with what it explains.
    public var sentence: String {
        guard let start = startWith else { return "nothing above info found" }
        let causes = causes.map { c in c.finding + (c.explains.isEmpty ? "" : " (explains \(c.explains.joined(separator: ", ")))") }
        return "start with \(start); " + (causes.count == 1 ? "cause: " : "causes: ") + causes.joined(separator: "; ")
    }

    /// Ranks what several runbooks found.
    ///
    /// `findings` are in the order their runbooks were named, then found;
    /// `explains` gives, by finding id, the ids that finding causes. An open
    /// finding whose local id (after the last `/`) an earlier runbook already
    /// reported is the same fact: it is dropped, and what it explains goes to
    /// the one kept. A cause is a warning or critical finding no other one
    /// explains (in a loop of explanations, the first met); causes rank by the
    /// worst severity among them and what they explain, then by how much they
    /// explain, then by order. Returns the diagnosis and the findings in rank
    /// order: each cause followed by what it explains, then everything else.
    public static func rank(_ findings: [Finding], explains: [String: [String]]) -> (diagnosis: Diagnosis, findings: [Finding]) {
        func local(_ id: String) -> Substring { id.split(separator: "/").last ?? Substring(id) }
        var kept: [Finding] = []
        var sameAs: [String: String] = [:]
        for f in findings {
            if f.state == .open,
                let first = kept.first(where: { $0.state == .open && $0.runbook != f.runbook && local($0.id) == local(f.id) })
            {
                sameAs[f.id] = first.id
                continue
            }
            kept.append(f)
        }
        var edges: [String: [String]] = [:]
        for (from, targets) in explains.sorted(by: { $0.key < $1.key }) {
            let a = sameAs[from] ?? from
            for t in targets {
                let b = sameAs[t] ?? t
                if a != b, !(edges[a]?.contains(b) ?? false) { edges[a, default: []].append(b) }
            }
        }
        let candidates = kept.filter { $0.state == .open && $0.severity > .info }
        let candidateIDs = Set(candidates.map(\.id))
        let order = Dictionary(kept.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let byID = Dictionary(kept.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })

        /// Every candidate `id` explains, directly or through others, in finding order.
        func reach(_ id: String) -> [String] {
            var seen: Set<String> = [id]
            var queue = [id]
            var out: [String] = []
            while !queue.isEmpty {
                let next = queue.removeFirst()
                for t in edges[next] ?? [] where candidateIDs.contains(t) && seen.insert(t).inserted {
                    out.append(t)
                    queue.append(t)
                }
            }
            return out.sorted { (order[$0] ?? 0) < (order[$1] ?? 0) }
        }

        var explainedByAnother: Set<String> = []
        for c in candidates { for t in edges[c.id] ?? [] where t != c.id { explainedByAnother.insert(t) } }
        var causeIDs = candidates.map(\.id).filter { !explainedByAnother.contains($0) }
        var covered = Set(causeIDs.flatMap { [$0] + reach($0) })
        for c in candidates where !covered.contains(c.id) {
            causeIDs.append(c.id)
            covered.formUnion([c.id] + reach(c.id))
        }
        let reached = Dictionary(causeIDs.map { ($0, reach($0)) }, uniquingKeysWith: { a, _ in a })
        func worst(_ id: String) -> Severity {
            ([id] + (reached[id] ?? [])).compactMap { byID[$0]?.severity }.max() ?? .info
        }
        causeIDs.sort { a, b in
            let (wa, wb) = (worst(a), worst(b))
            if wa != wb { return wa > wb }
            let (ra, rb) = (reached[a]?.count ?? 0, reached[b]?.count ?? 0)
            if ra != rb { return ra > rb }
            return (order[a] ?? 0) < (order[b] ?? 0)
        }
        let causes = causeIDs.map { Cause(finding: $0, explains: reached[$0] ?? []) }
        var ranked: [Finding] = []
        var placed: Set<String> = []
        for id in causes.flatMap({ [$0.finding] + $0.explains }) where placed.insert(id).inserted {
            if let f = byID[id] { ranked.append(f) }
        }
        for f in kept where placed.insert(f.id).inserted { ranked.append(f) }
        let first = causes.first.flatMap { byID[$0.finding] }
        return (Diagnosis(startWith: first?.runbook, causes: causes), ranked)
    }
}
