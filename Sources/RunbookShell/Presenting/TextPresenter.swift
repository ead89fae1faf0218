import Foundation
import IncidentMemory
import RunbookKit

/// Shows a session's events as they happen, for a person: the one renderer
/// of events, for the shell and for `rbsh run`.
///
/// The shell's layout names each step as it starts (with a spinner past a
/// second), streams its output, draws its table, and leaves questions and
/// confirmations to the shell, which asks them. The run layout numbers the
/// steps, shows output only when asked, and shows questions, answers and
/// decisions as they are settled.
final class TextPresenter: SessionPresenter, @unchecked Sendable {
    enum Layout: Sendable {
        case shell
        case run(showOutput: Bool, stepCount: Int)
    }

    /// `\x`: draw rows as `column | value` blocks; auto when a table is wider than the terminal.
    enum Expanded: String, Sendable { case on, off, auto }

    let console: Console
    let style: Style
    let redactor: Redactor
    var lines: Lines { Lines(style: style, redactor: redactor) }
    let layout: Layout
    private let spinner: Spinner
    private let lock = NSLock()
    /// Diagnostic steps shown so far (a resumed walk starts past those done before).
    var ordinal = 0
    private var titles: [String: String] = [:]
    private var expandedMode: Expanded = .auto
    /// Whether a table wider than the terminal is drawn expanded (`\x auto`).
    private let autoExpands: Bool

    /// A script's shell: its console holds output until the transcript is on
    /// disk, and it names only a step still running after a second (a person
    /// at the shell sees each step named as it starts).
    private let holdsDisplay: Bool
    /// Bumped as each step starts and ends: a late "still running" line is for its own step only.
    private var running = 0
    /// The sweep under way, or just ended (its diagnosis is still to show).
    private var board: SweepBoard?
    /// What past sessions say of causes (the incident memory), when it is used.
    private let recall: (@Sendable ([String]) -> [String: CauseRecall])?
    /// Causes already given their recall line, by name; and the runbook walked, which names them.
    private var recalled: Set<String> = []
    private var walked = "?"

    init(
        console: Console, style: Style, redactor: Redactor, layout: Layout, spinner: Spinner = Spinner(enabled: false),
        autoExpands: Bool = false, holdsDisplay: Bool = false, recall: (@Sendable ([String]) -> [String: CauseRecall])? = nil
    ) {
        self.holdsDisplay = holdsDisplay
        self.recall = recall
        self.console = console
        self.style = style
        self.redactor = redactor
        self.layout = layout
        self.spinner = spinner
        self.autoExpands = autoExpands
    }

    /// What `present` shows at once; the rest need not wait for the disk. A
    /// script's output is held by the console and shown after a sync, so
    /// nothing of it is shown at once.
    func shows(_ event: TranscriptEvent) -> Bool {
        if holdsDisplay { return false }
        switch (layout, event) {
        case (.shell, _): return true
        case (.run, .stepStarted), (.run, .sessionStarted), (.run, .sessionEnded), (.run, .input), (.run, .runbookEnded),
            (.run, .variableSet), (.run, .targetChanged), (.run, .interrupted), (.run, .note), (.run, .unrecognized):
            return false
        case (.run, _): return true
        }
    }

    var expanded: Expanded {
        get { lock.withLock { expandedMode } }
        set { lock.withLock { expandedMode = newValue } }
    }

    private var isShell: Bool {
        if case .shell = layout { return true }
        return false
    }

    func present(_ event: TranscriptEvent) {
        if let board = lock.withLock({ board }), board.take(event) { return }
        switch event {
        case .stepStarted(let step, let title, "sweep", _, let detail):
            lock.withLock {
                titles[step] = title
                running += 1
            }
            if isShell { console.line(style.dim("running \(step): ") + detail) }
            let live = isShell && spinner.isEnabled && !holdsDisplay
            lock.withLock { board = SweepBoard(step: step, console: console, style: style, redactor: redactor, live: live) }
        case .diagnosis(_, let diagnosis):
            let board = lock.withLock {
                defer { self.board = nil }
                return self.board
            }
            board?.show(diagnosis) { [self] id, finding in recallLine(id, finding) }
        case .runbookStarted(let id, let title, _):
            lock.withLock { if walked == "?" { walked = id } }
            if !isShell { console.line(style.bold(id) + " — \(title)") }
        case .stepStarted(let step, let title, let kind, _, let detail):
            lock.withLock { titles[step] = title }
            guard isShell, kind != "manual" else { return }
            let line = style.dim("running \(step): ") + redactor.redact(detail.split(separator: "\n").first.map(String.init) ?? "")
            let token = lock.withLock {
                running += 1
                return running
            }
            guard !holdsDisplay else {
                DispatchQueue.global().asyncAfter(deadline: .now() + 1) { [self] in
                    lock.withLock {
                        guard running == token else { return }
                        console.line(line + style.dim(" (still running)"))
                    }
                }
                return
            }
            console.line(line)
            spinner.start("\(step) — \(title)")
        case .question(let step, let text, _):
            lock.withLock { titles[step] = text }
            if !isShell { console.line(style.cyan("?") + " \(text)") }
        case .stepEnded(let step, let purpose, let result, let findings):
            lock.withLock { running += 1 }
            spinner.stop()
            stepEnded(step: step, purpose: purpose, result: result, findings: findings)
        case .answer(_, let value, let by):
            if !isShell { console.line("  → \(value) \(style.dim("(\(by.rawValue))"))") }
        case .remediationOffered(let id, let risk, _, let detail):
            // The shell shows the whole remediation when it asks.
            if !isShell {
                console.line(
                    "\(style.bold("remediation")) \(id) [\(risk.rawValue)]: \(redactor.redact(detail.split(separator: "\n").first.map(String.init) ?? ""))"
                )
            }
        case .remediationDecision(let id, let confirmed, let by, let reason):
            guard !isShell || !confirmed else { return }
            let why = style.dim("(\(by.rawValue)\(reason.map { ": \($0)" } ?? ""))")
            console.line("  \(confirmed ? style.green("run") : style.dim("not run")): \(id) \(why)")
        case .remediationApplied(let id, let status):
            console.line("  applied \(id): \(style.status(status))")
        case .remediationRefused(let id, let reason):
            console.line("  \(style.yellow("refused")) \(id), before it acted: \(redactor.redact(reason))")
        case .approval(let a):
            switch a.kind {
            case .requested:
                let n = a.needed ?? 1
                console.line(
                    "  \(style.yellow("needs approval")) \(a.remediation): \(n) other operator\(n == 1 ? "" : "s") run "
                        + style.bold("rbsh approve \(a.code)") + (a.expires.map { style.dim(" (the request lapses at \($0))") } ?? ""))
                if isShell { console.line(style.dim("  waiting for it; Ctrl-C stops waiting, and the fix does not run")) }
            case .granted:
                console.line(
                    "  \(style.green("approved")) \(a.remediation) by \(a.principal ?? "?") \(style.dim("(signed \(a.approvedAt ?? "?"))"))"
                )
            case .refused:
                console.line(
                    "  \(style.yellow("approval refused")) \(a.principal.map { "from \($0)" } ?? ""): \(redactor.redact(a.reason ?? ""))")
            }
        case .remediationVerified(let id, let verified, let stillOpen):
            console.line(
                "  verify \(id): " + (verified ? style.green("fixed") : style.red("still open: \(stillOpen.joined(separator: ", "))")))
        case .interrupted(let step, _):
            if isShell, step != nil { console.line("") }
        case .note:
            if isShell { console.line(style.dim("noted")) }
        case .sessionStarted, .sessionEnded, .input, .runbookEnded, .variableSet, .targetChanged, .unrecognized:
            break
        case .onHost:
            // A fleet's hosts are shown by host, as each ends (FleetPresenter).
            break
        }
    }

    func output(_ text: String, stream: Int32) {
        // A sweep's runbooks run at once: their output is in the transcript, not interleaved here.
        guard isShell, lock.withLock({ board == nil }) else { return }
        spinner.clear()
        console.out(text)
    }

    func notice(_ text: String) { console.line(style.yellow("note: ") + text) }

    // MARK: - Steps

    private func stepEnded(step: String, purpose: StepPurpose, result: StepResult, findings: [Finding]) {
        switch layout {
        case .shell: shellStep(step: step, purpose: purpose, result: result)
        case .run(let showOutput, let stepCount):
            runStep(step: step, purpose: purpose, result: result, showOutput: showOutput, stepCount: stepCount)
        }
        let indent = isShell ? "  " : "      "
        for f in findings {
            console.line(indent + lines.finding(f))
            if f.severity > .info, f.state == .open, purpose == .diagnose || purpose == .recheck, let line = recallLine(f.id, f) {
                console.line(indent + "  " + line)
            }
        }
    }

    /// The recall line of a cause, the first time it is shown; nil without a memory.
    func recallLine(_ id: String, _ finding: Finding?) -> String? {
        guard let recall else { return nil }
        let name = lock.withLock { () -> String? in
            let name = finding.map { PastSession.name(of: $0, walked: walked) } ?? id
            return recalled.insert(name).inserted ? name : nil
        }
        guard let name, let said = recall([name])[name] else { return nil }
        return lines.recall(said)
    }

    private func shellStep(step: String, purpose: StepPurpose, result: StepResult) {
        if let table = result.table {
            let drawn = TableFormatter.render(table)
            let wide = (drawn.split(separator: "\n").map(\.count).max() ?? 0) > Int(Spinner.terminalColumns())
            let mode = expanded
            let useExpanded = mode == .on || (mode == .auto && wide && autoExpands)
            console.line(redactor.redact(useExpanded ? TableFormatter.renderExpanded(table) : drawn))
        } else if !result.output.text.isEmpty, result.values["lines"] == nil {
            // A shell step's output was already shown as it streamed (it reports `lines`).
            console.line(redactor.redact(result.output.text))
        }
        var line =
            "\(style.bold(step)) \(style.status(result.status))" + style.dim(" (\(DurationText.whole(result.durationMilliseconds)) ms)")
        if purpose != .diagnose { line = style.dim("[\(purpose.label)] ") + line }
        if let e = result.error, result.status != .ok { line += " — " + redactor.redact(e) }
        console.line(line)
    }

    private func runStep(step: String, purpose: StepPurpose, result: StepResult, showOutput: Bool, stepCount: Int) {
        let label: String
        switch purpose {
        case .diagnose:
            ordinal += 1
            label = "[\(ordinal)/\(stepCount)]"
        case .remediate: label = "[fix]"
        case .verify: label = "[verify]"
        case .guardCheck: label = "[guard]"
        case .recheck: label = "[recheck]"
        case .adHoc: label = "[ad-hoc]"
        }
        let title = lock.withLock { titles[step] } ?? step
        let ms = DurationText.milliseconds(result.durationMilliseconds)
        var line = "\(style.dim(label)) \(style.bold(step))  \(title)  \(style.status(result.status)) \(style.dim("(\(ms))"))"
        if let error = result.error, result.status != .ok { line += "\n      " + redactor.redact(error) }
        console.line(line)
        if showOutput, !result.output.text.isEmpty {
            let text = redactor.redact(result.output.text)
            console.line(text.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n"))
        }
    }
}
