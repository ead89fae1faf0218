import CommandOptions
import Foundation
import RunbookKit
import Runs

/// Walking a runbook: the shell is the stepping loop's host, a person who
/// presses Enter before each diagnostic step, answers questions and
/// confirms remediations.
extension ShellSession: StepperHost {
    func start(_ name: String) {
        guard !name.isEmpty else { return fail("start which runbook? `list` shows them, `find SYMPTOM` searches them") }
        let book: Runbook
        do {
            book = try catalogue.resolve(name)
        } catch .notFound(let message) {
            // Not a name: perhaps what the operator sees. Offer the runbook for it.
            guard let hit = RunbookFinder(catalogue.summaries).find(name, limit: 1).first, hit.score >= 0.5,
                let found = try? catalogue.resolve(hit.id)
            else { return fail(message) }
            console.line("`\(name)` names no runbook; it reads like " + style.bold(hit.id) + " — \(hit.title) (matched: \(hit.matched))")
            guard readAnswer("Start it? [y/N] ")?.lowercased().hasPrefix("y") == true else {
                console.line(style.dim("not started; `find \(name)` lists the closest runbooks"))
                return
            }
            book = found
        } catch {
            return fail(error.description)
        }
        let catalogue = self.catalogue
        let session = RunbookSession(
            runbook: book, policy: policy, targets: targets.scopeValues, answers: presets,
            resolve: { try? catalogue.resolve($0) })
        let walk = Stepper(session: session, execution: execution, host: self, concurrent: false)
        stepper = walk
        finishAnnounced = false
        console.line(style.bold(book.id) + " — \(book.title)" + (book.aliases.isEmpty ? "" : " (\(book.aliases.joined(separator: ", ")))"))
        if let first = walk.start() { present(first) }
    }

    /// Runs (or asks) what is pending; once the walk has ended, nothing.
    func stepForward() {
        guard let walk = stepper else { return fail(Self.noRunbook) }
        guard let pending = walk.session.pending else { return }
        if case .finished = pending, finishAnnounced { return }
        present(walk.advance(pending))
    }

    /// `find TEXT`: the runbooks for a symptom, best first.
    func find(_ text: String) {
        guard !text.isEmpty else { return fail("find what? a symptom, an error, a heading: `find API接口无响应`") }
        let hits = RunbookFinder(catalogue.summaries).find(text)
        guard !hits.isEmpty else { return fail("no runbook matches `\(text)`; `list` shows them all") }
        console.out(FindRendering.lines(hits))
        console.line(style.dim("`start \(hits[0].id)` walks the first"))
    }

    /// Applies an operator's move (skip, back, goto, retry); `refused` is
    /// said when the session cannot make it. With `runNow` what it leads to runs at once.
    func walk(runNow: Bool = false, refused: String? = nil, _ move: (inout RunbookSession) -> SessionAction?) {
        guard let walk = stepper else { return fail(Self.noRunbook) }
        guard let action = walk.apply(move) else {
            if let refused { fail(refused) }
            return
        }
        present(runNow ? walk.advance(action) : action)
    }

    func fix(_ rest: String) {
        guard let walk = stepper else { return fail(Self.noRunbook) }
        let s = walk.session
        let only = rest.isEmpty ? nil : rest
        if let only, s.remediation(only) == nil { return fail("no remediation `\(only)` in \(s.runbook.id)") }
        guard !s.matchingRemediations(only: only).isEmpty else {
            return fail(only == nil ? "no remediation matches the open findings" : "`\(rest)` fixes no open finding")
        }
        if let action = walk.apply({ $0.offerRemediations(only: only) }) { present(walk.advance(action)) }
    }

    /// Shows what comes next without running it; questions and
    /// confirmations are asked at once.
    func present(_ action: SessionAction) {
        guard let walk = stepper else { return }
        let s = walk.session
        switch action {
        case .run(let p):
            let book = s.currentRunbook
            let n = book.stepIndex(String(p.step.id.dropFirst(s.currentPrefix.count))).map { "[\($0 + 1)/\(book.steps.count)] " } ?? ""
            console.line(
                style.dim("next: ") + n + style.bold(p.step.id) + " — \(p.step.title)  " + style.dim("(Enter runs it; skip, goto STEP)"))
            // What the runbook's prose says the step is for (a Markdown runbook's paragraphs above it).
            for line in p.step.description.split(separator: "\n", omittingEmptySubsequences: true) { console.line(style.dim("  " + line)) }
            // A step that reads whole tables says so before anyone runs it; its cost, from the catalog, when it runs.
            if !p.step.scans.isEmpty {
                console.line(
                    style.yellow("  reads the whole of \(p.step.scans.joined(separator: ", ")): ") + "it may take long on a large table")
            }
        case .ask, .confirm, .approve:
            present(walk.advance(action))
        case .finished(let status):
            guard !finishAnnounced else { return }
            finishAnnounced = true
            console.line("\(style.outcome(status)) — \(s.runbook.id) finished. `findings` lists what it found; `fix` offers remediations.")
            offerToContinue(s)
        }
    }

    /// After a sweep: the runbook its diagnosis starts with, walked step by
    /// step if the operator wants (a script is only told how).
    func offerToContinue(_ s: RunbookSession) {
        guard let next = s.diagnosis?.startWith, next != s.runbook.id, Interrupts.endingSignal == nil else { return }
        guard reader.isInteractive else { return console.line(style.dim("`start \(next)` walks the runbook the diagnosis names")) }
        guard readAnswer("Continue with \(next), step by step? [Y/n] ").map({ !$0.lowercased().hasPrefix("n") }) == true else {
            return console.line(style.dim("`start \(next)` walks it when you want"))
        }
        start(next)
    }

    // MARK: - StepperHost

    func answer(_ q: Question) -> Reply {
        if let preset = presets[q.variable] ?? presets[q.step] { return .answer(preset.value, by: preset.by) }
        let enter = q.defaultChoice.map { style.dim(" (Enter: \($0))") } ?? ""
        console.line(style.cyan("? ") + q.text + (q.choices.isEmpty ? "" : "  [\(q.choices.joined(separator: " | "))]") + enter)
        while true {
            guard let typed = readAnswer("> ") else { return .none(reason: "skipped by the operator") }
            let answer = typed.isEmpty ? (q.defaultChoice ?? typed) : typed
            if q.choices.isEmpty || q.choices.contains(answer) { return .answer(answer, by: .operatorInput) }
            // A script gets one try: asking again would swallow its next commands.
            guard reader.isInteractive else {
                console.line("`\(answer)` is not one of: \(q.choices.joined(separator: ", ")); the question is skipped")
                lastFailed = true
                return .none(reason: "skipped by the operator")
            }
            console.line("answer one of: \(q.choices.joined(separator: ", ")) (or Ctrl-D to skip)")
        }
    }

    func confirm(_ c: Confirmation) -> (confirmed: Bool, by: Decider, reason: String?) {
        console.line("")
        for line in lines.remediationCard(c, target: targetFor(kind: c.kind)) { console.line(line) }
        if let word = c.word {
            // Styled on its own line: a libedit prompt prints escapes as text.
            console.line("This loses data. Type " + style.bold(word) + " to run it; anything else declines.")
            guard let typed = readAnswer("> ") else { return (false, .operatorInput, "no answer") }
            return typed == word ? (true, .operatorInput, nil) : (false, .operatorInput, "the word typed did not match")
        }
        guard let answer = readAnswer("Run it? [y/N] ") else { return (false, .operatorInput, "no answer") }
        let yes = answer.lowercased() == "y" || answer.lowercased() == "yes"
        return yes ? (true, .operatorInput, nil) : (false, .operatorInput, "declined")
    }

    /// Waits for the approvals in the folder until they come, or Ctrl-C stops waiting.
    func approve(_ need: ApprovalNeed, recorder: SessionRecorder) -> (granted: Bool, reason: String?) {
        guard let approvals else { return (false, "it needs approval and the config names no approvals folder") }
        let mark = Interrupts.mark
        return approvals.gate(targets: targets).obtain(
            need, wait: nil, cancelled: { Interrupts.since(mark) || Interrupts.endingSignal != nil }, record: recorder.record,
            notice: presenter.notice)
    }

    func perform(manual step: PendingStep, instruction: String) -> StepResult {
        console.line(style.cyan("manual: ") + instruction)
        let done = readAnswer("Done? [y/N] ")?.lowercased().hasPrefix("y") == true
        return StepResult(status: done ? .ok : .skipped, error: done ? nil : "not confirmed done")
    }

    /// The operator runs each diagnostic step with Enter; fixes and their checks run on.
    /// Before each diagnostic step, but not a sweep: it only reads, and
    /// answering the question before it (\"unknown\") asked for it.
    func pauses(before step: PendingStep) -> Bool {
        if case .sweep = step.step.action { return false }
        return step.purpose == .diagnose
    }

    func interruption() -> @Sendable () -> Bool {
        let mark = Interrupts.mark
        return { Interrupts.since(mark) }
    }

    /// Ctrl-C stops the running step, never the walk.
    var walkInterrupted: Bool { false }

    /// A hang-up or SIGTERM: nothing more runs or is asked.
    var sessionEnding: Bool { Interrupts.endingSignal != nil }

    func targetFor(kind: String) -> String { ApprovalRequest.target(kind: kind, targets: targets.redacted) }

    func readAnswer(_ prompt: String) -> String? {
        switch reader.readLine(prompt: reader.isInteractive ? prompt : "") {
        case .line(let l):
            if !reader.isInteractive { console.line(prompt + l) }
            return l.trimmingCharacters(in: .whitespaces)
        case .interrupted, .endOfInput: return nil
        }
    }
}

extension ShellSession {
    /// Takes up a walk a transcript left unfinished: restored, recapped, and
    /// the next step shown (not run).
    func resume(_ walk: ResumedWalk, presets: [String: (value: String, by: Decider)]) {
        let catalogue = self.catalogue
        var session = RunbookSession(
            runbook: walk.book, policy: policy, targets: targets.scopeValues, answers: presets, resolve: { try? catalogue.resolve($0) })
        let restored = walk.restore(&session)
        stepper = Stepper(session: session, execution: execution, host: self, concurrent: false)
        finishAnnounced = false
        for line in restored.recap { console.line(style.dim(line)) }
        console.line(style.bold(walk.book.id) + " — \(walk.book.title)")
        present(restored.next)
    }
}
