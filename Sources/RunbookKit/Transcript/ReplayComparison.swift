import Foundation

/// Where a re-run session went differently from the recorded one.
public struct Divergence: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable { case path, result, findings, remediation }
    public var kind: Kind
    public var step: String
    public var recorded: String
    public var now: String

    public var description: String { "\(kind.rawValue) at \(step): recorded \(recorded), now \(now)" }
}

/// What a transcript recorded, in the shape a re-run can be compared with.
public struct RecordedRun: Sendable {
    public struct StepOutcome: Sendable, Hashable {
        public var step: String
        public var status: String
        public var findings: [String]
    }

    public var runbook: String?
    /// Diagnostic steps in the order they ran.
    public var steps: [StepOutcome] = []
    /// Answers by step id (and by the last part of an included step's id),
    /// and the inputs' values, by input id.
    public var answers: [String: String] = [:]
    /// Remediation decisions: confirmed or not, and by whom.
    public var decisions: [String: (confirmed: Bool, by: Decider)] = [:]
    /// Remediations that were applied, and whether they were verified.
    public var verified: [String: Bool] = [:]

    public init(_ t: Transcript) {
        answers = Self.answersGiven(in: t.events).mapValues(\.value)
        for event in t.events {
            switch event {
            case .runbookStarted(let id, _, _):
                if runbook == nil { runbook = id }
            case .stepEnded(let step, .diagnose, let result, let findings):
                // Info findings say what was seen (a log line); they may change without anything being wrong.
                let significant = findings.filter { $0.severity != .info }
                steps.append(StepOutcome(step: step, status: result.status.rawValue, findings: significant.map(\.id).sorted()))
            case .remediationDecision(let id, let confirmed, let by, _) where by != .policy:
                decisions[id] = (confirmed, by)
            case .remediationVerified(let id, let verified, _):
                self.verified[id] = verified
            default:
                break
            }
        }
        steps = Self.inLanes(steps, swept: Self.sweptRunbooks(in: t.events))
    }

    /// The runbooks a sweep walked: their `runbook_start` comes between the
    /// sweep step's start and end.
    static func sweptRunbooks(in events: [TranscriptEvent]) -> Set<String> {
        var sweeping: String?
        var out: Set<String> = []
        for event in events {
            switch event {
            case .stepStarted(let step, _, "sweep", _, _): sweeping = step
            case .stepEnded(let step, _, _, _) where step == sweeping: sweeping = nil
            case .runbookStarted(let id, _, _) where sweeping != nil: out.insert(id)
            default: break
            }
        }
        return out
    }

    /// A sweep's runbooks run at once, so their steps interleave differently
    /// each time: each stretch of them is put in order by runbook, each
    /// runbook's own steps kept in the order they ran.
    static func inLanes(_ steps: [StepOutcome], swept: Set<String>) -> [StepOutcome] {
        func lane(_ s: StepOutcome) -> String? {
            s.step.split(separator: "/").first.map(String.init).flatMap { swept.contains($0) ? $0 : nil }
        }
        var out: [StepOutcome] = []
        var stretch: [StepOutcome] = []
        func flush() {
            let lanes = stretch.compactMap(lane)
            for l in Set(lanes).sorted() { out += stretch.filter { lane($0) == l } }
            stretch = []
        }
        for s in steps {
            if lane(s) != nil {
                stretch.append(s)
            } else {
                flush()
                out.append(s)
            }
        }
        flush()
        return out
    }

    /// The answers and inputs a recording was given (not inputs' defaults),
    /// by input id and by step id (and an included step's last part): what a
    /// replay or a resumed session is preset with.
    public static func answersGiven(in events: [TranscriptEvent]) -> [String: (value: String, by: Decider)] {
        var out: [String: (value: String, by: Decider)] = [:]
        for event in events {
            switch event {
            case .input(let name, let value, let by) where by != .defaultValue: out[name] = (value, by)
            case .answer(let step, let value, let by):
                out[step] = (value, by)
                if let last = step.split(separator: "/").last { out[String(last)] = (value, by) }
            default: break
            }
        }
        return out
    }

    /// Compares the recorded diagnostic path, statuses, findings and fixes with a re-run.
    public func divergences(from records: [TranscriptEvent]) -> [Divergence] {
        var now: [StepOutcome] = []
        var nowVerified: [String: Bool] = [:]
        for r in records {
            switch r {
            case .stepEnded(let step, .diagnose, let result, let findings):
                now.append(
                    StepOutcome(
                        step: step, status: result.status.rawValue,
                        findings: findings.filter { $0.severity != .info }.map(\.id).sorted()))
            case .remediationVerified(let id, let v, _):
                nowVerified[id] = v
            default: break
            }
        }
        now = Self.inLanes(now, swept: Self.sweptRunbooks(in: records))
        var out: [Divergence] = []
        for i in 0..<max(steps.count, now.count) {
            let a = i < steps.count ? steps[i] : nil
            let b = i < now.count ? now[i] : nil
            guard let a, let b else {
                out.append(
                    Divergence(
                        kind: .path, step: a?.step ?? b?.step ?? "?",
                        recorded: a.map { "step \(i + 1) \($0.step)" } ?? "the walk ended",
                        now: b.map { "step \(i + 1) \($0.step)" } ?? "the walk ended"))
                break
            }
            if a.step != b.step {
                out.append(Divergence(kind: .path, step: a.step, recorded: "step \(i + 1) \(a.step)", now: "step \(i + 1) \(b.step)"))
                break
            }
            if a.status != b.status { out.append(Divergence(kind: .result, step: a.step, recorded: a.status, now: b.status)) }
            if a.findings != b.findings {
                out.append(Divergence(kind: .findings, step: a.step, recorded: list(a.findings), now: list(b.findings)))
            }
        }
        for (id, v) in verified.sorted(by: { $0.key < $1.key }) where nowVerified[id] != v {
            out.append(
                Divergence(
                    kind: .remediation, step: id, recorded: v ? "verified" : "not verified",
                    now: nowVerified[id].map { $0 ? "verified" : "not verified" } ?? "not run"))
        }
        return out
    }

    private func list(_ ids: [String]) -> String { ids.isEmpty ? "no findings" : ids.joined(separator: ", ") }
}
