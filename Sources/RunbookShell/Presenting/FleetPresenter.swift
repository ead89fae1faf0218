import Foundation
import RunbookKit
import Runs

/// Shows a run over a fleet: the steps run once from here as they end, a
/// line per host as its walk ends, then the findings grouped by what was
/// found and on which hosts.
final class FleetPresenter: SessionPresenter, @unchecked Sendable {
    let console: Console
    let style: Style
    let redactor: Redactor
    var lines: Lines { Lines(style: style, redactor: redactor) }
    let total: Int
    private let lock = NSLock()
    private var ended = 0

    init(console: Console, style: Style, redactor: Redactor, total: Int) {
        self.console = console
        self.style = style
        self.redactor = redactor
        self.total = total
    }

    func shows(_ event: TranscriptEvent) -> Bool {
        if case .stepEnded = event { return true }
        return false
    }

    func present(_ event: TranscriptEvent) {
        // A host's events are shown when its walk ends; a step run here, as it ends.
        guard case .stepEnded(let step, let purpose, let result, let findings) = event else { return }
        lock.withLock {
            var line = "  \(style.dim("[here]")) \(style.bold(step)) \(style.status(result.status))"
            if purpose != .diagnose { line += style.dim(" (\(purpose.label))") }
            if let e = result.error, result.status != .ok { line += " — " + redactor.redact(e) }
            console.line(line)
            for f in findings { console.line("      " + lines.finding(f)) }
        }
    }

    func output(_ text: String, stream: Int32) {}

    func notice(_ text: String) { lock.withLock { console.line(style.yellow("note: ") + text) } }

    /// One line for a host whose walk ended.
    func hostEnded(_ o: HostOutcome) {
        lock.withLock {
            ended += 1
            let width = String(total).count
            let count = style.dim("[\(String(repeating: " ", count: width - String(ended).count))\(ended)/\(total)]")
            let status: String
            switch o.status {
            case .unreachable: status = style.red("UNREACHABLE")
            default: status = style.outcome(o.status.outcome)
            }
            let open = o.findings.filter { $0.state != .resolved }
            var line = "\(count) \(style.bold(o.host))  \(status)"
            if o.status == .unreachable, let f = open.first {
                line += style.dim("  \(redactor.redact(f.message))")
            } else {
                line += style.dim("  \(o.durations.count) step\(o.durations.count == 1 ? "" : "s")")
                if !open.isEmpty { line += "  " + open.map { "\($0.id) (\($0.level))" }.joined(separator: ", ") }
                let fixes = (o.session?.remediations.values.filter(\.applied) ?? []).sorted { $0.id < $1.id }
                if !fixes.isEmpty {
                    line += "  fixed: " + fixes.map { "\($0.id) (\($0.verified ? "verified" : "not verified"))" }.joined(separator: ", ")
                }
            }
            console.line(line)
        }
    }

    /// The end: each finding once, with the hosts it holds on.
    func summary(_ report: FleetReport, status: OutcomeStatus, transcript: String) {
        console.line("")
        for f in report.local {
            console.line(lines.finding(f, qualifier: " " + style.dim("(checked once, from here)")))
        }
        for (f, hosts) in report.grouped {
            console.line(lines.finding(f, onHosts: hosts, of: total))
            console.line(style.dim("    e.g. \(hosts.first ?? ""): \(redactor.redact(f.message))"))
        }
        let counts = Dictionary(grouping: report.outcomes, by: \.status).mapValues(\.count)
        let tally = HostOutcome.Status.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }.joined(separator: ", ")
        console.line("\(style.outcome(status)) — \(report.outcomes.count) host\(report.outcomes.count == 1 ? "" : "s"): \(tally)")
        console.line(style.dim("transcript: \(transcript)"))
    }
}
