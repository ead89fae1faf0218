import ArgumentParser
import CommandOptions
import Foundation
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh run RUNBOOK`: the runbook unattended, as a monitoring check.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run a runbook unattended.",
            discussion: "Exit status: 0 no findings, 1 warning, 2 critical, 3 rbsh could not do its job, 64 bad usage."
        )

        @Argument(help: "A runbook id, alias or path (not with --resume).")
        var runbook: String?

        @Option(help: ArgumentHelp("Go on with the session this transcript left unfinished.", valueName: "transcript"))
        var resume: String?

        @Option(
            help: ArgumentHelp(
                "Run the runbook the config's alert rules pick for this saved Alertmanager notification (- for stdin).", valueName: "file"))
        var alert: String?

        @Option(name: .customLong("answer"), help: ArgumentHelp("An answer to a question or input.", valueName: "key=value"))
        var answers: [String] = []

        @Option(name: .customLong("answers"), help: ArgumentHelp("Answers from a YAML file of key: value.", valueName: "file"))
        var answersFile: String?

        @Option(help: ArgumentHelp("Highest remediation risk that may run without a person.", valueName: "safe|changes|destructive"))
        var allow: Risk?

        @Flag(help: "Show what would run; run nothing that changes anything.")
        var dryRun = false

        @Option(
            help: ArgumentHelp(
                "How long a fix that needs approval (the config's approvals) waits for it: 30s, 5m, 0 not at all.", valueName: "time"))
        var approvalWait = "5m"

        @Option(help: ArgumentHelp("Start at this step instead of the first (resume).", valueName: "step"))
        var from: String?

        @Option(help: ArgumentHelp("Where to write the transcript.", valueName: "path"))
        var transcript: String?

        @Option(help: ArgumentHelp("text or json.", valueName: "format"))
        var format: OutputFormat = .text

        @Flag(name: .shortAndLong, help: "Show each step's output.")
        var verbose = false

        @Option(
            help: ArgumentHelp(
                "Run on the hosts of this Ansible inventory (INI, YAML, executable, or a comma list) over ssh.", valueName: "inventory"))
        var hosts: String?

        @Option(help: ArgumentHelp("With --hosts: Ansible's host patterns (a group, a host, a:b, a:!b, globs).", valueName: "pattern"))
        var limit: String?

        @Option(help: ArgumentHelp("With --hosts: how many hosts at once.", valueName: "n"))
        var forks = 20

        @Option(
            help: ArgumentHelp(
                "With --hosts: only the hosts that were unreachable or not ok in this transcript of an earlier run.",
                valueName: "transcript"))
        var retryFailed: String?

        @Option(
            help: ArgumentHelp(
                "With --hosts: keep each host's ssh connection open this long after the run (ssh's ControlPersist: 300, 5m, 1h), for the next run to reuse.",
                valueName: "time"))
        var keepConnections: String?

        @OptionGroup var targets: TargetOptions

        func validate() throws {
            if let keep = keepConnections, keep.range(of: #"^[0-9]+[smhdwSMHDW]?$"#, options: .regularExpression) == nil {
                throw ValidationError("--keep-connections takes a time as ssh's ControlPersist does: 300, 5m, 1h")
            }
            if hosts == nil, limit != nil || retryFailed != nil {
                throw ValidationError("--limit and --retry-failed go with --hosts INVENTORY")
            }
            if hosts != nil, resume != nil || from != nil {
                throw ValidationError("--hosts walks the runbook from the top on each host: not with --resume or --from")
            }
            guard forks >= 1 else { throw ValidationError("--forks takes a number of hosts, 1 or more") }
            guard [runbook, resume, alert].compactMap({ $0 }).count == 1 else {
                throw ValidationError("give a runbook, --resume TRANSCRIPT or --alert FILE (one of them)")
            }
            if resume != nil, from != nil {
                throw ValidationError("--from and --resume cannot go together: resume goes on where the walk stopped")
            }
            guard approvalWait == "0" || DurationText.seconds(approvalWait) != nil else {
                throw ValidationError("--approval-wait takes a time: 30s, 5m, 0 not at all")
            }
            for a in answers where !a.contains("=") {
                throw ValidationError("--answer takes key=value, got `\(a)`")
            }
        }

        func run() throws {
            Interrupts.install()
            let console = Console()
            let plan = try prepare(console: console)
            let setup: SessionSetup
            do {
                setup = try SessionSetup(
                    command: "run", runbook: plan.book.id, targets: plan.targets, secrets: plan.secrets, transcript: transcript,
                    defaultName: plan.book.id,
                    start: SessionStart(mode: "unattended", allow: plan.allow?.rawValue ?? "none", dryRun: dryRun),
                    signals: Interrupts.sessionSignals, continuing: plan.resumed, alert: plan.alert?.origin, memory: plan.memory,
                    signer: plan.signer, approvals: plan.approvals)
            } catch {
                throw fail("\(error)")
            }
            let style = Style.forStandardOutput()
            // A rule with `hosts` walks its inventory, unless --hosts says otherwise.
            if let inventory = hosts ?? plan.alert?.hosts {
                try runFleet(
                    plan.book, inventory: inventory, limit: hosts != nil ? limit : plan.alert?.limit, setup: setup, targets: plan.targets,
                    allow: plan.allow, presets: plan.presets, catalogue: plan.catalogue, console: console, style: style)
            }
            let (stepper, status, interrupted) = walk(plan, setup: setup, console: console, style: style)
            try finish(stepper, status: status, interrupted: interrupted, setup: setup, console: console, style: style)
        }

        /// What a run needs before it starts: the targets (an alert rule's over
        /// the configured), the runbook, the walk it resumes, the answers, how far it may go.
        struct Plan {
            var targets: Targets
            var secrets: [String]
            var catalogue: RunbookCatalogue
            let book: Runbook
            var resumed: ResumedWalk?
            var alert: AlertRunPlan?
            var presets: [String: (value: String, by: Decider)]
            var allow: Risk?
            var memory: SessionMemory
            var signer: (any TranscriptSigner)?
            var approvals: ApprovalsConfig?
        }

        func prepare(console: Console) throws -> Plan {
            let resolved: ResolvedTargets
            do { resolved = try targets.resolve() } catch { throw fail("\(error)", code: 64) }
            let catalogue = RunbookCatalogue(directories: targets.runbookDirectories)
            var resumed: ResumedWalk?
            if let resume {
                do { resumed = try ResumedWalk.load(resume, catalogue: catalogue) } catch { throw fail(error.description, code: 64) }
            }
            var fromAlert: AlertRunPlan?
            if let alert {
                do {
                    fromAlert = try AlertRunPlan.pick(try Self.read(alert), rules: resolved.config.alerts.rules, base: resolved.targets)
                } catch {
                    throw fail("\(error)", code: 3)
                }
            }
            let name = fromAlert?.runbook ?? runbook ?? ""
            let book: Runbook
            do {
                if let resumed { book = resumed.book } else { book = try catalogue.resolve(name) }
            } catch .notFound(let message), .ambiguous(let message) {
                throw fail(message, code: 64)
            } catch {
                console.error(error.description)
                throw fail("runbook \(name) is broken; `rbsh lint` shows every problem", code: 3)
            }
            if let from, book.step(from) == nil {
                throw fail("\(book.id) has no step `\(from)`\(Suggestion.hint(for: from, in: book.steps.map(\.id)))", code: 64)
            }
            var presets: [String: (value: String, by: Decider)]
            do { presets = try AnswerSources.load(file: answersFile, flags: answers) } catch { throw fail("\(error)", code: 64) }
            if let resumed { presets = resumed.presets(adding: presets) }
            // The rule's answers, unless a flag or the answers file says otherwise.
            presets.merge(fromAlert?.presets ?? [:]) { given, _ in given }
            return Plan(
                targets: fromAlert?.targets ?? resolved.targets, secrets: resolved.secrets, catalogue: catalogue, book: book,
                resumed: resumed, alert: fromAlert, presets: presets, allow: allow ?? fromAlert?.allow,
                memory: SessionMemory(config: resolved.config), signer: resolved.config.signing.signer,
                approvals: resolved.config.approvals)
        }

        /// Walks the plan's runbook here (from the top, `--from`, or where the resumed walk stopped).
        func walk(_ plan: Plan, setup: SessionSetup, console: Console, style: Style) -> (Stepper, OutcomeStatus, interrupted: Bool) {
            let presenter =
                format == .text
                ? TextPresenter(
                    console: console, style: style, redactor: setup.redactor,
                    layout: .run(showOutput: verbose, stepCount: plan.book.steps.count), recall: setup.recall)
                : nil
            if format == .text {
                let t = plan.targets.redacted
                console.line(style.dim("targets: postgres \(t["postgres"] ?? "") · redis \(t["redis"] ?? "") · api \(t["api"] ?? "")"))
            }
            var session = setup.session(
                plan.book, policy: RemediationPolicy(mode: .unattended(allow: plan.allow), dryRun: dryRun), answers: plan.presets,
                catalogue: plan.catalogue)
            var next: SessionAction?
            if let resumed = plan.resumed {
                let restored = resumed.restore(&session)
                next = restored.next
                if format == .text { for line in restored.recap { console.line(style.dim(line)) } }
                presenter?.ordinal = session.trail.count
            }
            let mark = Interrupts.mark
            let host = UnattendedHost(
                notice: { presenter?.notice($0) }, interrupted: { Interrupts.since(mark) }, ending: { Interrupts.endingSignal != nil })
            host.approvals = setup.approvalGate
            host.approvalWait = DurationText.seconds(approvalWait) ?? 0
            let stepper = setup.stepper(session, presenter: presenter, host: host, concurrent: true)
            var status: OutcomeStatus
            if let next {
                if case .finished(let done) = stepper.advance(next) { status = done } else { status = stepper.session.outcome }
            } else {
                status = stepper.run(from: from)
            }
            if Interrupts.since(mark) { status = max(status, .unknown) }
            return (stepper, status, Interrupts.since(mark))
        }

        /// Records the end, says how it came out (text or JSON), and exits with its status.
        func finish(_ stepper: Stepper, status: OutcomeStatus, interrupted: Bool, setup: SessionSetup, console: Console, style: Style)
            throws -> Never
        {
            let failure = setup.end(status, reason: interrupted ? "interrupted" : nil, recorder: stepper.recorder)
            if let broken = stepper.recorder.failure {
                console.error("rbsh: \(broken); stopped: nothing runs unrecorded (what was recorded is in \(setup.transcript.path))")
                throw ExitCode(3)
            }
            let path = setup.transcript.path
            switch format {
            case .text:
                let open = stepper.session.findings.filter { $0.state != .resolved }
                console.line("")
                console.line(
                    "\(style.outcome(status)) — \(open.count) finding\(open.count == 1 ? "" : "s")"
                        + (open.isEmpty ? "" : ": " + open.map { "\($0.id) (\($0.level))" }.joined(separator: ", ")))
                console.line(style.dim("transcript: \(path)"))
            case .json:
                console.line(
                    RunReport(stepper: stepper, status: status, transcript: path, redactor: setup.redactor, recall: setup.recall).json)
            }
            if let failure { console.error("rbsh: \(failure)") }
            if let sig = Interrupts.endingSignal {
                console.error("rbsh: \(Interrupts.reason(sig)); stopped, the transcript says where")
                throw ExitCode(128 + sig)
            }
            // A fix left waiting for approval: rbsh could not do what it was asked.
            if let host = stepper.host as? UnattendedHost, !host.unapproved.isEmpty {
                for why in host.unapproved { console.error("rbsh: not approved: \(why)") }
                throw ExitCode(max(status.exitCode, OutcomeStatus.unknown.exitCode))
            }
            throw ExitCode(status.exitCode)
        }

        /// A saved notification: a file, or `-` for stdin.
        static func read(_ file: String) throws(ConfigError) -> Data {
            if file == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
            guard let d = FileManager.default.contents(atPath: file) else { throw ConfigError("cannot read \(file)") }
            return d
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, Sendable {
    case text, json
}

extension Risk: ExpressibleByArgument {}
