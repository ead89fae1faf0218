import IncidentMemory
import RunbookKit

/// The lines the shell, `rbsh run` and the fleet's presenter share: a
/// finding, a finding held on several hosts, and the card that asks before
/// a remediation runs, and what past sessions say of a cause. Each is built here only.
struct Lines {
    let style: Style
    let redactor: Redactor

    /// `LEVEL ID[QUALIFIER]: MESSAGE`, its level coloured (see `Finding.line`).
    func finding(_ f: Finding, qualifier: String = "") -> String {
        f.line(label: style.severity(of: f), qualifier: qualifier, redact: redactor.redact)
    }

    /// `↳ seen 3× in 30 days (frequent), last … ; fixed by X (verified)`, or `↳ new here: …`.
    func recall(_ r: CauseRecall) -> String {
        r.label == .newHere ? style.dim("↳ " + r.line) : "↳ " + style.cyan(r.line)
    }

    /// `LEVEL ID on N/TOTAL hosts: NAMES` (at most ten names).
    func finding(_ f: Finding, onHosts hosts: [String], of total: Int) -> String {
        let names = hosts.count <= 10 ? hosts.joined(separator: ", ") : hosts.prefix(10).joined(separator: ", ") + ", …"
        return "\(style.severity(of: f)) \(f.id) on \(hosts.count)/\(total) host\(total == 1 ? "" : "s"): \(names)"
    }

    /// What a remediation is before it is asked for: title, risk, the
    /// findings it fixes, where it runs (`target`, or the hosts), and the
    /// exact command, SQL or request (over hosts, as on `valuesFrom`).
    func remediationCard(_ c: Confirmation, target: String?, hosts: [String]? = nil, valuesFrom: String? = nil) -> [String] {
        let risk =
            c.risk == .safe ? style.green(c.risk.rawValue) : c.risk == .changes ? style.yellow(c.risk.rawValue) : style.red(c.risk.rawValue)
        var lines = [
            style.bold("remediation \(c.remediation)") + " — \(c.title)",
            "  risk:   " + risk,
            "  fixes:  " + c.findings.map { "\($0.id) (\($0.severity.rawValue))" }.joined(separator: ", "),
        ]
        if let target { lines.append("  target: " + target) }
        if let hosts {
            lines.append("  hosts:  \(hosts.count): \(hosts.joined(separator: ", "))")
            lines.append("  runs (each host with its own values; as on \(valuesFrom ?? hosts.first ?? "")):")
        } else {
            lines.append("  runs:")
        }
        lines += redactor.redact(c.detail).split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
        return lines
    }
}
