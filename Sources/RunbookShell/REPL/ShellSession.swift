import Foundation
import LineEditing
import Probes
import RunbookKit

/// The interactive shell's loop: reads commands, drives the session engine
/// one step at a time, runs ad-hoc steps, and records everything.
///
/// Input comes from a `LineReader` and output goes to a `Console`, so tests
/// drive it headless and a terminal drives it through libedit.
final class ShellSession: Completer {
    let reader: any LineReader
    let console: Console
    let style: Style
    var targets: Targets
    let redactor: Redactor
    /// Loaded on first use (`start`, `list`, Tab), not before the first prompt.
    private let loadCatalogue: () -> RunbookCatalogue
    private(set) lazy var catalogue: RunbookCatalogue = loadCatalogue()
    let transcript: TranscriptWriter
    var runner: ProbeRunner
    let stopOnError: Bool
    var presets: [String: (value: String, by: Decider)]

    private(set) var session: RunbookSession?
    private var adHocCount = 0
    /// `\x`: draw rows as `column | value` blocks; auto when a table is wider than the terminal.
    private var expanded: Expanded = .auto
    enum Expanded: String { case on, off, auto }
    private lazy var spinner = Spinner(enabled: reader.isInteractive && isatty(STDERR_FILENO) == 1)
    /// The status of the last command, for `--on-error stop`.
    private(set) var lastFailed = false

    init(reader: any LineReader, console: Console, style: Style, targets: Targets, redactor: Redactor,
         catalogue: @escaping @autoclosure () -> RunbookCatalogue, transcript: TranscriptWriter, stopOnError: Bool,
         presets: [String: (value: String, by: Decider)]) {
        self.reader = reader
        self.console = console
        self.style = style
        self.targets = targets
        self.redactor = redactor
        self.loadCatalogue = catalogue
        self.transcript = transcript
        self.runner = ProbeRunner(targets: targets)
        self.stopOnError = stopOnError
        self.presets = presets
    }

    /// Runs until quit or end of input; returns the exit status.
    func loop() -> Int32 {
        if reader.isInteractive {
            console.line(style.bold("rbsh") + " \(RbshCommand.version) — type `help`, or `start RUNBOOK` (`list` shows them). Ctrl-D quits.")
        }
        while true {
            switch reader.readLine(prompt: prompt) {
            case .endOfInput:
                if reader.isInteractive { console.line("") }
                return finish()
            case .interrupted:
                continue
            case .line(let raw):
                let line = raw.trimmingCharacters(in: .whitespaces)
                if !line.isEmpty, !line.hasPrefix("#") {
                    let safe = redactor.redact(line)
                    if safe == line { reader.remember(line) }
                }
                if line.hasPrefix("#") { continue }
                lastFailed = false
                if execute(line) == .quit { return finish() }
                if lastFailed && stopOnError {
                    log("session_end", ["status": "stopped on error"])
                    console.error("rbsh: stopping at the first failing command (--on-error stop)")
                    return 3
                }
            }
        }
    }

    private func finish() -> Int32 {
        let status = session?.outcome ?? .ok
        log("session_end", ["status": status.rawValue])
        console.line(style.dim("transcript: \(transcript.path)"))
        return 0
    }

    var prompt: String {
        guard reader.isInteractive else { return "" }
        guard let s = session else { return "rbsh> " }
        var parts = [s.currentRunbook.id]
        if let i = s.currentStepIndex { parts.append("\(i + 1)/\(s.currentRunbook.steps.count)") }
        else if s.isFinished { parts.append("done") }
        let open = s.openFindings
        let crit = open.filter { $0.severity == .critical }.count
        let warn = open.filter { $0.severity == .warning }.count
        // Plain text: libedit counts every byte of the prompt as a column.
        if crit > 0 { parts.append("\(crit) critical") }
        if warn > 0 { parts.append("\(warn) warning") }
        return "rbsh[" + parts.joined(separator: " ") + "]> "
    }

    enum Outcome { case continueLoop, quit }

    // MARK: - Commands

    func execute(_ line: String) -> Outcome {
        let (command, rest) = split(line)
        switch command {
        case "": stepForward()
        case "next", "n": stepForward()
        case "help", "?": help(rest)
        case "list": listRunbooks()
        case "start": start(rest)
        case "skip": mutate { $0.skip() }.map { handle($0) }
        case "retry":
            guard requireSession() else { break }
            guard let a = mutate({ $0.retry() }) else { fail("nothing to retry yet"); break }
            handle(a, runNow: true)
        case "back":
            guard requireSession() else { break }
            guard let a = mutate({ $0.back() }) else { fail("no step before this one"); break }
            handle(a)
        case "goto":
            guard requireSession() else { break }
            guard let a = mutate({ $0.goto(rest) }) else { fail("no step `\(rest)`; `steps` lists them"); break }
            handle(a)
        case "steps": showSteps()
        case "findings": showFindings()
        case "fix": fix(rest)
        case "sh": adHoc(.shell(ShellAction(command: rest)), title: rest)
        case "sql": adHoc(.postgres(PostgresAction(sql: rest)), title: rest)
        case "redis": adHoc(.redis(RedisAction(argv: rest.split(separator: " ").map(String.init))), title: rest)
        case "http": adHoc(.http(HTTPAction(url: rest)), title: "GET \(rest)")
        case "check": check(rest)
        case "note":
            log("note", ["text": rest])
            console.line(style.dim("noted"))
        case "set": set(rest)
        case "vars": showVars()
        case "target": target(rest)
        case "transcript": exportTranscript(rest)
        case "\\x", "expanded": toggleExpanded(rest)
        case "quit", "exit", "\\q": return .quit
        default:
            let hint = Suggestion.closest(to: command, in: ShellCommandTable.names).map { "; did you mean `\($0)`?" } ?? ""
            fail("unknown command `\(command)`\(hint) (`help` lists them)")
        }
        return .continueLoop
    }

    private func split(_ line: String) -> (String, String) {
        guard let space = line.firstIndex(of: " ") else { return (line, "") }
        return (String(line[..<space]), line[line.index(after: space)...].trimmingCharacters(in: .whitespaces))
    }

    private func fail(_ message: String) {
        lastFailed = true
        console.line(style.red("error: ") + message)
    }

    private func requireSession() -> Bool {
        guard session != nil else {
            fail("no runbook started; `start RUNBOOK` (`list` shows them)")
            return false
        }
        return true
    }

    /// Applies an event to the session and keeps the new state.
    private func mutate(_ body: (inout RunbookSession) -> SessionAction?) -> SessionAction? {
        guard var s = session else {
            fail("no runbook started; `start RUNBOOK` (`list` shows them)")
            return nil
        }
        let action = body(&s)
        session = s
        return action
    }

    private func fix(_ rest: String) {
        guard let s = session else { return fail("no runbook started; `start RUNBOOK` (`list` shows them)") }
        let only = rest.isEmpty ? nil : rest
        if let only, s.remediation(only) == nil { return fail("no remediation `\(only)` in \(s.runbook.id)") }
        guard !s.matchingRemediations(only: only).isEmpty else {
            return fail(only == nil ? "no remediation matches the open findings" : "`\(rest)` fixes no open finding")
        }
        if let a = mutate({ $0.offerRemediations(only: only) }) { handle(a, runNow: true) }
    }

    // MARK: - Walking

    private func start(_ name: String) {
        guard !name.isEmpty else { return fail("start which runbook? `list` shows them") }
        let book: Runbook
        do { book = try catalogue.resolve(name) } catch { return fail(error.description) }
        let catalogue = self.catalogue
        var s = RunbookSession(runbook: book, policy: .person, targets: targets.scopeValues, answers: presets,
                               resolve: { try? catalogue.resolve($0) })
        let action = s.start()
        session = s
        console.line(style.bold(book.id) + " — \(book.title)" + (book.aliases.isEmpty ? "" : " (\(book.aliases.joined(separator: ", ")))"))
        present(action)
    }

    /// Runs (or asks) what is pending.
    private func stepForward() {
        guard let s = session else { return fail("no runbook started; `start RUNBOOK` (`list` shows them)") }
        guard let pending = s.pending else { return }
        perform(pending)
    }

    private func handle(_ action: SessionAction, runNow: Bool = false) {
        if runNow { perform(action) } else { present(action) }
    }

    /// Shows what comes next without running it; questions and
    /// confirmations are asked at once.
    private func present(_ action: SessionAction) {
        flushRecords()
        guard let s = session else { return }
        switch action {
        case .run(let p):
            let book = s.currentRunbook
            let n = book.stepIndex(String(p.step.id.dropFirst(s.currentPrefix.count))).map { "[\($0 + 1)/\(book.steps.count)] " } ?? ""
            console.line(style.dim("next: ") + n + style.bold(p.step.id) + " — \(p.step.title)  " + style.dim("(Enter runs it; skip, goto STEP)"))
        case .ask, .confirm:
            perform(action)
        case .finished(let status):
            console.line("\(style.outcome(status)) — \(s.runbook.id) finished. `findings` lists what it found; `fix` offers remediations.")
        }
    }

    /// Does the pending action, then keeps going through questions,
    /// confirmations and a fix's own steps until the next diagnostic step is
    /// pending (shown, not run) or the runbook ends.
    private func perform(_ first: SessionAction) {
        var action = first
        while true {
            switch action {
            case .run(let p):
                _ = mutate { s in s.begin(); return nil }
                flushRecords()
                let result = runStep(p)
                action = mutate { $0.stepFinished(result) } ?? .finished(.unknown)
            case .ask(let q):
                if let answer = askQuestion(q) {
                    action = mutate { $0.answered(answer.value, by: answer.by) } ?? .finished(.unknown)
                } else {
                    action = mutate { $0.skip() } ?? .finished(.unknown)
                }
            case .confirm(let c):
                let (ok, reason) = confirm(c)
                action = mutate { $0.decided(ok, by: .operatorInput, reason: reason) } ?? .finished(.unknown)
            case .finished:
                present(action)
                return
            }
            flushRecords()
            switch action {
            case .run(let next) where next.purpose == .diagnose:
                present(action)
                return
            case .finished:
                present(action)
                return
            default:
                continue
            }
        }
    }

    private func runStep(_ p: PendingStep) -> StepResult {
        switch p.step.action {
        case .manual(let m):
            console.line(style.cyan("manual: ") + m.instruction)
            let answer = readAnswer("Done? [y/N] ")
            return StepResult(status: answer?.lowercased().hasPrefix("y") == true ? .ok : .skipped,
                              error: answer?.lowercased().hasPrefix("y") == true ? nil : "not confirmed done")
        case .runbook(let r):
            return StepResult(status: .error, error: "runbook \(r.id) cannot run as a fix (lint rejects this)")
        default:
            console.line(style.dim("running \(p.step.id): ") + redactor.redact(p.step.action.summary.split(separator: "\n").first.map(String.init) ?? ""))
            let mark = Interrupts.mark
            let console = self.console
            let spinner = self.spinner
            let control = StepControl(interrupted: { Interrupts.since(mark) }) { text, _ in
                spinner.clear()
                console.out(text)
            }
            control.pause(p.delaySeconds)
            spinner.start("\(p.step.id) — \(p.step.title)")
            let result = runner.run(p, control: control)
            spinner.stop()
            if result.status == .interrupted {
                console.line("")
                log("interrupt", ["step": p.step.id])
            }
            return result
        }
    }

    private func askQuestion(_ q: Question) -> (value: String, by: Decider)? {
        if let preset = presets[q.variable] ?? presets[q.step] { return preset }
        console.line(style.cyan("? ") + q.text + (q.choices.isEmpty ? "" : "  [\(q.choices.joined(separator: " | "))]"))
        while true {
            guard let answer = readAnswer("> ") else { return nil }
            if q.choices.isEmpty || q.choices.contains(answer) { return (answer, .operatorInput) }
            // A script gets one try: asking again would swallow its next commands.
            guard reader.isInteractive else {
                console.line("`\(answer)` is not one of: \(q.choices.joined(separator: ", ")); the question is skipped")
                lastFailed = true
                return nil
            }
            console.line("answer one of: \(q.choices.joined(separator: ", ")) (or Ctrl-D to skip)")
        }
    }

    private func confirm(_ c: Confirmation) -> (Bool, String?) {
        console.line("")
        console.line(style.bold("remediation \(c.remediation)") + " — \(c.title)")
        console.line("  risk:   " + (c.risk == .safe ? style.green(c.risk.rawValue) : c.risk == .changes ? style.yellow(c.risk.rawValue) : style.red(c.risk.rawValue)))
        console.line("  fixes:  " + c.findings.map { "\($0.id) (\($0.severity.rawValue))" }.joined(separator: ", "))
        console.line("  target: " + targetFor(kind: c.kind))
        console.line("  runs:")
        console.line(redactor.redact(c.detail).split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
        if let word = c.word {
            guard let typed = readAnswer("This loses data. Type \(style.bold(word)) to run it, anything else declines: ") else { return (false, "no answer") }
            return typed == word ? (true, nil) : (false, "the word typed did not match")
        }
        guard let answer = readAnswer("Run it? [y/N] ") else { return (false, "no answer") }
        return answer.lowercased() == "y" || answer.lowercased() == "yes" ? (true, nil) : (false, "declined")
    }

    private func targetFor(kind: String) -> String {
        let t = targets.redacted
        switch kind {
        case "postgres": return "postgres \(t["postgres"] ?? "")"
        case "redis": return "redis \(t["redis"] ?? "")"
        case "http", "websocket": return "api \(t["api"] ?? "")"
        case "shell": return "this machine (\(TranscriptHeader.userName))"
        default: return kind
        }
    }

    private func readAnswer(_ prompt: String) -> String? {
        switch reader.readLine(prompt: reader.isInteractive ? prompt : "") {
        case .line(let l):
            if !reader.isInteractive { console.line(prompt + l) }
            return l.trimmingCharacters(in: .whitespaces)
        case .interrupted, .endOfInput: return nil
        }
    }

    private func flushRecords() {
        guard var s = session else { return }
        let records = s.drainRecords()
        session = s
        for r in records {
            do { try transcript.write(r) } catch { console.error("rbsh: transcript: \(error)") }
            show(r)
        }
    }

    private func show(_ record: SessionRecord) {
        switch record {
        case .stepEnded(let step, let purpose, let result, let findings):
            showResult(step: step, purpose: purpose.label, result: result, findings: findings)
        case .remediationApplied(let id, let status):
            console.line("applied \(id): \(style.status(status))")
        case .remediationVerified(let id, let verified, let stillOpen):
            console.line("verify \(id): " + (verified ? style.green("fixed") : style.red("still open: \(stillOpen.joined(separator: ", "))")))
        case .remediationDecision(let id, let confirmed, let by, let reason) where !confirmed:
            console.line(style.dim("not run: \(id) (\(by.rawValue)\(reason.map { ": \($0)" } ?? ""))"))
        default:
            break
        }
    }

    private func showResult(step: String, purpose: String, result: StepResult, findings: [Finding]) {
        if let table = result.table {
            let drawn = TableFormatter.render(table)
            let wide = (drawn.split(separator: "\n").map(\.count).max() ?? 0) > Int(Spinner.terminalColumns())
            let useExpanded = expanded == .on || (expanded == .auto && wide && reader.isInteractive)
            console.line(redactor.redact(useExpanded ? TableFormatter.renderExpanded(table) : drawn))
        } else if !result.output.text.isEmpty, result.values["lines"] == nil {
            // A shell step's output was already shown as it streamed (it reports `lines`).
            console.line(redactor.redact(result.output.text))
        }
        var line = "\(style.bold(step)) \(style.status(result.status))" + style.dim(String(format: " (%.0f ms)", result.durationMilliseconds))
        if purpose != "diagnose" { line = style.dim("[\(purpose)] ") + line }
        if let e = result.error, result.status != .ok { line += " — " + redactor.redact(e) }
        console.line(line)
        for f in findings {
            console.line("  \(style.severity(f.severity)) \(f.id): \(redactor.redact(f.message))")
        }
    }

    // MARK: - Ad-hoc steps

    private func adHoc(_ action: StepAction, title: String) {
        guard !title.trimmingCharacters(in: .whitespaces).isEmpty, !title.hasSuffix(" ") else { return fail("nothing to run; `help` shows examples") }
        adHocCount += 1
        let step = Step(id: "adhoc-\(adHocCount)", title: title, action: action, timeout: 60)
        let pending = PendingStep(step: step, purpose: .adHoc, missing: [])
        try? transcript.write(.stepStarted(step: step.id, title: title, kind: action.kind, purpose: .adHoc, detail: action.summary))
        let result = runStep(pending)
        try? transcript.write(.stepEnded(step: step.id, purpose: .adHoc, result: result, findings: []))
        showResult(step: step.id, purpose: "ad-hoc", result: result, findings: [])
        if result.status != .ok { lastFailed = true }
    }

    private func check(_ rest: String) {
        let (what, arg) = split(rest)
        switch what {
        case "tcp": adHoc(.tcp(TCPAction(address: arg)), title: "tcp \(arg)")
        case "listen": adHoc(.tcp(TCPAction(address: arg, listening: true)), title: "who listens on \(arg)")
        case "system": adHoc(.system(SystemAction(sampleMilliseconds: 500)), title: "system")
        case "tls": adHoc(.tls(TLSAction(address: arg)), title: "tls \(arg)")
        case "ws": adHoc(.websocket(WebSocketAction(url: arg, ping: true)), title: "websocket \(arg)")
        default: fail("check what? system | tcp HOST:PORT | listen PORT | tls HOST:PORT | ws URL")
        }
    }

    // MARK: - Variables and targets

    private func set(_ rest: String) {
        let parts = rest.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[0].isEmpty else { return fail("set NAME=VALUE") }
        presets[parts[0]] = (parts[1], .operatorInput)
        log("set", ["name": parts[0], "value": parts[1]])
        console.line(style.dim("\(parts[0]) = \(redactor.redact(parts[1])) (used by runbooks started from now on)"))
    }

    private func showVars() {
        var all: [String: String] = [:]
        if let s = session { for (k, v) in s.vars { all[k] = v.text } }
        for (k, v) in presets { all[k] = v.value }
        if all.isEmpty { console.line("no variables"); return }
        for k in all.keys.sorted() { console.line("\(k) = \(redactor.redact(all[k] ?? ""))") }
    }

    private func target(_ rest: String) {
        let (name, url) = split(rest)
        if name.isEmpty {
            for (k, v) in targets.redacted.sorted(by: { $0.key < $1.key }) { console.line("\(k.padding(toLength: 9, withPad: " ", startingAt: 0)) \(v)") }
            return
        }
        guard ["postgres", "redis", "api"].contains(name) else { return fail("targets are postgres, redis and api") }
        guard !url.isEmpty else { console.line(targets.redacted[name] ?? ""); return }
        switch name {
        case "postgres": targets.postgres = url
        case "redis": targets.redis = url
        default: targets.api = url
        }
        for s in targets.secrets { redactor.add(secret: s) }
        runner = ProbeRunner(targets: targets)
        log("target", ["name": name, "url": url])
        console.line("\(name) → \(targets.redacted[name] ?? "")")
    }

    // MARK: - Showing

    private func toggleExpanded(_ rest: String) {
        if let mode = Expanded(rawValue: rest.lowercased()) { expanded = mode } else if rest.isEmpty { expanded = expanded == .on ? .off : .on } else {
            return fail("\\x [on|off|auto]")
        }
        console.line("expanded display is \(expanded.rawValue)")
    }

    /// `transcript` prints the path; `transcript export markdown|json [FILE]` writes the session so far.
    private func exportTranscript(_ rest: String) {
        let words = rest.split(separator: " ").map(String.init)
        guard let verb = words.first else { console.line(transcript.path); return }
        guard verb == "export" else { return fail("transcript [export markdown|json [FILE]]") }
        let format = words.count > 1 ? words[1] : "markdown"
        guard format == "markdown" || format == "json" else { return fail("export as markdown or json") }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: transcript.path))
            let t = try Transcript.parse(data, path: transcript.path)
            let text = format == "markdown" ? TranscriptRendering.markdown(t) : TranscriptRendering.json(t, raw: data)
            if words.count > 2 {
                try text.write(toFile: words[2], atomically: true, encoding: .utf8)
                console.line("written to \(words[2])")
            } else {
                console.out(text)
            }
        } catch {
            fail("cannot export \(transcript.path): \(error)")
        }
    }

    private func help(_ rest: String) {
        if !rest.isEmpty {
            guard let e = ShellCommandTable.entry(rest) else { return fail("no command `\(rest)`") }
            console.line("\(e.usage)\n  \(e.summary)\n  example: \(e.example)")
            return
        }
        for e in ShellCommandTable.entries {
            console.line("  " + e.usage.padding(toLength: 26, withPad: " ", startingAt: 0) + e.summary)
        }
        console.line("Ctrl-C stops a running step; at the prompt it clears the line.")
    }

    private func listRunbooks() {
        for e in catalogue.entries {
            console.line("  \(e.id.padding(toLength: 26, withPad: " ", startingAt: 0)) \(e.runbook?.title ?? "BROKEN: rbsh lint \(e.path)")")
        }
    }

    private func showSteps() {
        guard let s = session else { return fail("no runbook started") }
        if s.currentRunbook.id != s.runbook.id { console.line(style.dim("in \(s.currentRunbook.id), included by \(s.runbook.id)")) }
        for (i, step) in s.currentRunbook.steps.enumerated() {
            let here = s.currentStepIndex == i ? style.bold("→") : " "
            let status = s.results[s.currentPrefix + step.id].map { style.status($0.status) } ?? style.dim("not run")
            console.line("\(here) \(i + 1). \(step.id.padding(toLength: 18, withPad: " ", startingAt: 0)) \(status)  \(step.title)")
        }
    }

    private func showFindings() {
        guard let s = session else { return fail("no runbook started") }
        guard !s.findings.isEmpty else { console.line("no findings"); return }
        for f in s.findings.sorted(by: { $0.severity > $1.severity }) {
            let state = f.state == .open ? "" : style.dim(" [\(f.state.rawValue)]")
            console.line("\(style.severity(f.severity)) \(f.id)\(state): \(redactor.redact(f.message))")
            let fixes = s.allRemediations.filter { $0.fixes.contains(f.id) }.map { "\($0.id) [\($0.risk.rawValue)]" }
            if f.state == .open, !fixes.isEmpty { console.line(style.dim("    fix: " + fixes.joined(separator: ", "))) }
        }
    }

    private func log(_ type: String, _ fields: [String: Any]) {
        do { try transcript.event(type, fields) } catch { console.error("rbsh: transcript: \(error)") }
    }

    // MARK: - Completion

    func completions(forLine line: String) -> [String] {
        let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if words.count <= 1 { return ShellCommandTable.names }
        switch words[0] {
        case "start": return catalogue.ids
        case "goto": return session?.currentRunbook.steps.map(\.id) ?? []
        case "fix": return session?.allRemediations.map(\.id) ?? []
        case "help": return ShellCommandTable.names
        case "target": return words.count == 2 ? ["postgres", "redis", "api"] : []
        case "transcript": return words.count == 2 ? ["export"] : (words.count == 3 ? ["markdown", "json"] : files(words.last ?? ""))
        case "\\x", "expanded": return ["on", "off", "auto"]
        case "sh": return files(words.last ?? "")
        case "check": return words.count == 2 ? ["system", "tcp", "listen", "tls", "ws"] : []
        default: return []
        }
    }

    /// File names for a partial path, folders with a trailing slash.
    private func files(_ partial: String) -> [String] {
        let dir = partial.contains("/") ? String(partial[...(partial.lastIndex(of: "/") ?? partial.startIndex)]) : ""
        let listing = (try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir)) ?? []
        return listing.filter { !$0.hasPrefix(".") }.sorted().map { name in
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: dir + name, isDirectory: &isDir)
            return dir + name + (isDir.boolValue ? "/" : "")
        }
    }
}
