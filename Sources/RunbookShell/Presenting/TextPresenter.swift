import Foundation
import RunbookKit

/// Shows a session as it happens: each step, its status, its findings, and
/// (when asked) its output.
final class TextPresenter: SessionPresenter, @unchecked Sendable {
    let console: Console
    let style: Style
    let redactor: Redactor
    let showOutput: Bool
    let stepCount: Int
    private var ordinal = 0
    private var lastTitle: [String: String] = [:]

    init(console: Console, style: Style, redactor: Redactor, showOutput: Bool, stepCount: Int) {
        self.console = console
        self.style = style
        self.redactor = redactor
        self.showOutput = showOutput
        self.stepCount = stepCount
    }

    func record(_ record: SessionRecord) {
        switch record {
        case .runbookStarted(let id, let title):
            console.line(style.bold("\(id)") + " — \(title)")
        case .stepStarted(let step, let title, _, _, _):
            lastTitle[step] = title
        case .question(let step, let text, _):
            lastTitle[step] = text
            console.line(style.cyan("?") + " \(text)")
        case .stepEnded(let step, let purpose, let result, let findings):
            if case .diagnose = purpose { ordinal += 1 }
            let title = lastTitle[step] ?? step
            let label: String
            switch purpose {
            case .diagnose: label = "[\(ordinal)/\(stepCount)]"
            case .remediate: label = "[fix]"
            case .verify: label = "[verify]"
            case .adHoc: label = "[ad-hoc]"
            }
            let ms = result.durationMilliseconds < 10 ? String(format: "%.1f ms", result.durationMilliseconds)
                : String(format: "%.0f ms", result.durationMilliseconds)
            var line = "\(style.dim(label)) \(style.bold(step))  \(title)  \(style.status(result.status)) \(style.dim("(\(ms))"))"
            if let error = result.error, result.status != .ok { line += "\n      " + redactor.redact(error) }
            console.line(line)
            if showOutput, !result.output.text.isEmpty {
                let text = redactor.redact(result.output.text)
                console.line(text.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n"))
            }
            for f in findings {
                console.line("      \(style.severity(f.severity)) \(f.id): \(redactor.redact(f.message))")
            }
        case .answer(_, let value, let by):
            console.line("  → \(value) \(style.dim("(\(by.rawValue))"))")
        case .remediationOffered(let id, let risk, _, let detail):
            console.line("\(style.bold("remediation")) \(id) [\(risk.rawValue)]: \(redactor.redact(detail.split(separator: "\n").first.map(String.init) ?? ""))")
        case .remediationDecision(let id, let confirmed, let by, let reason):
            console.line("  \(confirmed ? style.green("run") : style.dim("not run")): \(id) \(style.dim("(\(by.rawValue)\(reason.map { ": \($0)" } ?? ""))"))")
        case .remediationApplied(let id, let status):
            console.line("  applied \(id): \(style.status(status))")
        case .remediationVerified(let id, let verified, let stillOpen):
            console.line("  verify \(id): " + (verified ? style.green("fixed") : style.red("still open: \(stillOpen.joined(separator: ", "))")))
        case .runbookEnded, .input:
            break
        }
    }

    func output(_ text: String, stream: Int32) {}

    func notice(_ text: String) { console.line(style.yellow("note: ") + text) }
}
