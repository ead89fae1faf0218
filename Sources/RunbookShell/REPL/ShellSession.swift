import CommandOptions
import Foundation
import IncidentMemory
import LineEditing
import Probes
import RunbookKit
import Runs

/// The interactive shell's loop: reads commands, drives the runbook being
/// walked through the stepping loop one diagnostic step at a time, runs
/// ad-hoc steps, and records everything.
///
/// Input comes from a `LineReader` and output goes to a `Console`, so tests
/// drive it headless and a terminal drives it through libedit.
final class ShellSession: Completer {
    let reader: any LineReader
    let console: Console
    let style: Style
    var targets: Targets
    let redactor: Redactor
    var lines: Lines { Lines(style: style, redactor: redactor) }
    /// Loaded on first use (`start`, `list`, Tab), not before the first prompt.
    private let loadCatalogue: () -> RunbookCatalogue
    private(set) lazy var catalogue: RunbookCatalogue = loadCatalogue()
    /// The transcript the session began with; `transcriptPath` is where it is recorded now.
    let transcript: TranscriptWriter
    let presenter: TextPresenter
    let recorder: SessionRecorder
    /// Runs ad-hoc steps; replaced when a target changes.
    var execution: StepExecution
    let stopOnError: Bool
    var presets: [String: (value: String, by: Decider)]

    /// The walk of the runbook started last, if any.
    var stepper: Stepper?
    var adHocCount = 0
    /// The status of the last command, for `--on-error stop`.
    var lastFailed = false
    /// The walk's end has been said; saying it again on every Enter is noise.
    var finishAnnounced = false
    /// `hosts INVENTORY [PATTERN]`: where `start` walks runbooks (nil: here).
    var fleet: (inventory: String, pattern: String?, selection: FleetSelection)?
    /// What the last walk over hosts found, for `findings`.
    var lastFleetReport: FleetReport?
    /// The incident memory (`findings`, `recall`), and how the session is driven, as it is remembered at its end.
    let memory: SessionMemory?
    let recall: @Sendable ([String]) -> [String: CauseRecall]
    let mode: String
    /// Which fixes wait for other operators' approval, and where approvals come from (nil: none do).
    var approvals: ApprovalsConfig?
    /// How the operator's fixes are decided: asked, then approved where the config says.
    var policy: RemediationPolicy { RemediationPolicy(mode: .person, approvals: approvals?.policy) }

    init(
        reader: any LineReader, console: Console, style: Style, targets: Targets, redactor: Redactor,
        catalogue: @escaping @autoclosure () -> RunbookCatalogue, transcript: TranscriptWriter, stopOnError: Bool,
        presets: [String: (value: String, by: Decider)], memory: SessionMemory? = nil,
        recall: @escaping @Sendable ([String]) -> [String: CauseRecall] = { _ in [:] }, mode: String = "interactive"
    ) {
        self.reader = reader
        self.memory = memory
        self.recall = recall
        self.mode = mode
        self.console = console
        self.style = style
        self.targets = targets
        self.redactor = redactor
        self.loadCatalogue = catalogue
        self.transcript = transcript
        presenter = TextPresenter(
            console: console, style: style, redactor: redactor, layout: .shell,
            spinner: Spinner(enabled: reader.isInteractive && isatty(STDERR_FILENO) == 1),
            autoExpands: reader.isInteractive, holdsDisplay: !reader.isInteractive, recall: memory == nil ? nil : recall)
        recorder = SessionRecorder(transcript: transcript, presenter: presenter)
        let recorder = self.recorder
        // A script's log is shown in batches, each once the transcript holds it: one sync a batch, not one a step.
        if !reader.isInteractive { console.hold { (try? recorder.transcript?.sync()) != nil } }
        execution = StepExecution(runner: ProbeRunner(targets: targets), recorder: recorder, signal: { Interrupts.lastSignalName })
        self.stopOnError = stopOnError
        self.presets = presets
    }

    /// The session being walked, if any.
    var session: RunbookSession? { stepper?.session }

    /// Runs until quit or end of input; returns the exit status.
    func loop() -> Int32 {
        defer { console.flush() }
        if reader.isInteractive {
            console.line(style.bold("rbsh") + " \(RbshCommand.version) — paged? `start triage` walks the guide from the top;")
            console.line("`find SYMPTOM` names the runbook for what you see (`find API接口无响应`). `help` lists commands; Ctrl-D quits.")
        }
        while true {
            let read = reader.readLine(prompt: prompt)
            if let sig = Interrupts.endingSignal { return end(by: sig) }
            switch read {
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
                let outcome = execute(line)
                if recorder.failure != nil, !recoverTranscript() { return 3 }
                if let sig = Interrupts.endingSignal { return end(by: sig) }
                if outcome == .quit { return finish() }
                if lastFailed && stopOnError {
                    recorder.endSession(session?.outcome ?? .ok, reason: "stopped on error")
                    remember()
                    stepper = nil
                    console.error("rbsh: stopping at the first failing command (--on-error stop)")
                    return 3
                }
            }
        }
    }

    private func finish() -> Int32 {
        recorder.endSession(session?.outcome ?? .ok, reason: nil)
        // The stepper holds the shell as its host: let go of it.
        stepper = nil
        if let failure = recorder.failure { console.error("rbsh: \(failure)") }
        remember()
        console.line(style.dim("transcript: \(transcriptPath)"))
        return 0
    }

    /// A signal ends the session: the step it stopped was recorded as
    /// interrupted; the end is recorded with its reason; the exit status is 128 + the signal.
    func end(by sig: Int32) -> Int32 {
        recorder.endSession(session?.outcome ?? .ok, reason: Interrupts.reason(sig), signal: Interrupts.name(sig))
        remember()
        stepper = nil
        console.error("rbsh: \(Interrupts.reason(sig)); the session is recorded in \(transcriptPath)")
        return 128 + sig
    }

    /// The ended session goes into the incident memory (a whole transcript only); why not, in one line.
    func remember() {
        guard recorder.failure == nil, let memory, let why = memory.remember(transcript: transcriptPath, mode: mode) else { return }
        console.error("rbsh: \(why)")
    }

    /// Where the session is recorded now.
    var transcriptPath: String { recorder.transcript?.path ?? transcript.path }

    /// The transcript could not be written: nothing more runs. A person may
    /// name another file, which the transcript so far is copied to, and go
    /// on; a script (nobody to ask) or an empty answer ends the session,
    /// and the caller exits 3.
    func recoverTranscript() -> Bool {
        while let failure = recorder.failure {
            console.error("rbsh: \(failure); nothing more runs until the session is recorded again")
            guard reader.isInteractive, let path = readAnswer("Copy the transcript to (a new file; Enter ends the session): "),
                !path.isEmpty
            else {
                console.error("rbsh: the session ends here; what was recorded is in \(transcriptPath)")
                stepper = nil
                return false
            }
            do {
                let now = try recorder.relocate(to: (path as NSString).expandingTildeInPath)
                console.line(style.dim("the transcript goes on in \(now), with what came before"))
            } catch {
                console.error("rbsh: \(error)")
            }
        }
        return true
    }

    var prompt: String {
        guard reader.isInteractive else { return "" }
        guard let s = session else { return "rbsh> " }
        var parts = [s.currentRunbook.id]
        if let i = s.currentStepIndex {
            parts.append("\(i + 1)/\(s.currentRunbook.steps.count)")
        } else if s.isFinished {
            parts.append("done")
        }
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
        case "", "next", "n": stepForward()
        case "help", "?": help(rest)
        case "list": listRunbooks()
        case "start": fleet == nil ? start(rest) : startOnHosts(rest)
        case "hosts": hosts(rest)
        case "find": find(rest)
        case "skip": walk { $0.skip() }
        case "retry": walk(runNow: true, refused: "nothing to retry yet") { $0.retry() }
        case "back": walk(refused: "no step before this one") { $0.back() }
        case "goto": walk(refused: "no step `\(rest)`; `steps` lists them") { $0.goto(rest) }
        case "steps": showSteps()
        case "findings": fleet != nil && stepper == nil ? showFleetFindings() : showFindings()
        case "fix": fix(rest)
        case "sh": adHoc(.shell(ShellAction(command: rest)), title: rest)
        case "sql": adHoc(.postgres(PostgresAction(sql: rest)), title: rest)
        case "redis": adHoc(.redis(RedisAction(argv: rest.split(separator: " ").map(String.init))), title: rest)
        case "http": adHoc(.http(HTTPAction(url: rest)), title: "GET \(rest)")
        case "check": check(rest)
        case "note": recorder.record(.note(rest))
        case "set": set(rest)
        case "vars": showVars()
        case "target": target(rest)
        case "transcript": exportTranscript(rest)
        case "recall": recallPast(rest)
        case "\\x", "expanded": toggleExpanded(rest)
        case "quit", "exit", "\\q": return .quit
        default:
            let hint = Suggestion.closest(to: command, in: ShellCommandTable.names).map { "; did you mean `\($0)`?" } ?? ""
            fail("unknown command `\(command)`\(hint) (`help` lists them)")
        }
        return .continueLoop
    }

    func split(_ line: String) -> (String, String) {
        guard let space = line.firstIndex(of: " ") else { return (line, "") }
        return (String(line[..<space]), line[line.index(after: space)...].trimmingCharacters(in: .whitespaces))
    }

    func fail(_ message: String) {
        lastFailed = true
        console.line(style.red("error: ") + message)
    }

    static let noRunbook = "no runbook started; `start RUNBOOK` (`list` shows them)"
}
