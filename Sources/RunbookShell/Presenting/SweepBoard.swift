import Foundation
import RunbookKit

/// A sweep as it runs: a line per runbook, redrawn in place on a terminal
/// (`live`), or printed as each runbook finishes otherwise. Then the
/// diagnosis, with each cause's message and what it explains.
final class SweepBoard: @unchecked Sendable {
    private struct Branch {
        var id: String
        var steps = 0
        var running: String?
        var warnings = 0
        var criticals = 0
        var status: OutcomeStatus?
        var started = ContinuousClock.now
        var milliseconds: Double = 0
    }

    private let console: Console
    private let style: Style
    private let redactor: Redactor
    private let live: Bool
    /// The sweep step's id: its end closes the board.
    let step: String
    private let lock = NSLock()
    private var branches: [Branch] = []
    private var drawn = 0
    private var open = true
    private var found: [String: Finding] = [:]

    init(step: String, console: Console, style: Style, redactor: Redactor, live: Bool) {
        self.step = step
        self.console = console
        self.style = style
        self.redactor = redactor
        self.live = live
    }

    /// Takes the events of the runbooks being swept; false for any other.
    func take(_ event: TranscriptEvent) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard open else { return false }
        switch event {
        case .runbookStarted(let id, _, _):
            branches.append(Branch(id: id))
            redraw()
            return true
        case .input:
            return true
        case .stepStarted(let step, let title, _, _, _):
            guard let i = branch(of: step) else { return false }
            branches[i].running = title
            redraw()
            return true
        case .stepEnded(let step, _, _, let findings):
            if step == self.step {
                open = false
                redraw()
                return false
            }
            guard let i = branch(of: step) else { return false }
            branches[i].steps += 1
            branches[i].running = nil
            for f in findings {
                found[f.id] = f
                guard f.state == .open else { continue }
                if f.severity == .critical { branches[i].criticals += 1 }
                if f.severity == .warning { branches[i].warnings += 1 }
            }
            redraw()
            return true
        case .interrupted(let step, _):
            return step.flatMap { branch(of: $0) } != nil
        case .runbookEnded(let id, let status):
            guard let i = branches.firstIndex(where: { $0.id == id && $0.status == nil }) else { return false }
            branches[i].status = status
            branches[i].milliseconds = (ContinuousClock.now - branches[i].started).milliseconds
            if live { redraw() } else { console.line(line(branches[i])) }
            return true
        default:
            return false
        }
    }

    /// The diagnosis: where to start, then each cause with its message, what
    /// it explains, and what past sessions say of it (`recall`).
    func show(_ diagnosis: Diagnosis, recall: (String, Finding?) -> String? = { _, _ in nil }) {
        let found = lock.withLock { self.found }
        guard let start = diagnosis.startWith else {
            console.line(style.green("Diagnosis: nothing above info found in any runbook."))
            return
        }
        console.line(style.bold("Diagnosis") + " — start with " + style.bold(start))
        for (n, cause) in diagnosis.causes.enumerated() {
            let f = found[cause.finding]
            let level = f.map { style.severity(of: $0) } ?? ""
            console.line("  \(n + 1). \(level) \(cause.finding): \(redactor.redact(f?.message ?? ""))")
            if !cause.explains.isEmpty { console.line(style.dim("       explains " + cause.explains.joined(separator: ", "))) }
            if let line = recall(cause.finding, f) { console.line("       " + line) }
        }
    }

    private func branch(of step: String) -> Int? {
        guard let first = step.split(separator: "/").first else { return nil }
        return branches.firstIndex { $0.id == first }
    }

    private func line(_ b: Branch) -> String {
        let name = b.id.padding(toLength: max(b.id.count, 26), withPad: " ", startingAt: 0)
        let steps = "\(b.steps) step\(b.steps == 1 ? "" : "s")"
        guard let status = b.status else {
            // One terminal line each, or redrawing in place goes wrong.
            let room = max(10, Int(Spinner.terminalColumns()) - name.count - steps.count - 18)
            let running = b.running.map { $0.count > room ? String($0.prefix(room - 1)) + "…" : $0 }
            return "  \(style.dim("…")) \(name) \(steps)" + style.dim(running.map { ", running: \($0)" } ?? "")
        }
        var counts: [String] = []
        if b.criticals > 0 { counts.append(style.red("\(b.criticals) critical")) }
        if b.warnings > 0 { counts.append(style.yellow("\(b.warnings) warning\(b.warnings == 1 ? "" : "s")")) }
        let mark = status == .ok ? style.green("✓") : (status == .unknown ? style.yellow("?") : style.red("✗"))
        return "  \(mark) \(name) \(steps)" + (counts.isEmpty ? "" : ", " + counts.joined(separator: ", "))
            + style.dim(String(format: " (%.1f s)", b.milliseconds / 1000))
    }

    /// With the lock held: the lines again, in place (live only).
    private func redraw() {
        guard live else { return }
        var text = drawn > 0 ? "\u{1B}[\(drawn)A" : ""
        for b in branches { text += "\r\u{1B}[2K" + line(b) + "\n" }
        drawn = branches.count
        console.out(text)
    }
}
