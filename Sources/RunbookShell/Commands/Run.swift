import AlertReceiving
import ArgumentParser
import Foundation
import Probes
import RunbookKit
import Yams

extension RbshCommand {
    /// `rbsh run RUNBOOK`: the runbook unattended, as a monitoring check.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
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
            for a in answers where !a.contains("=") {
                throw ValidationError("--answer takes key=value, got `\(a)`")
            }
        }

        func run() throws {
            Interrupts.install()
            let console = Console()
            let resolved: ResolvedTargets
            do { resolved = try targets.resolve() } catch { throw fail("\(error)", code: 64) }
            let catalogue = RunbookCatalogue(directories: targets.runbookDirectories)
            var resumed: ResumedWalk?
            if let resume {
                do { resumed = try ResumedWalk.load(resume, catalogue: catalogue) } catch { throw fail(error.description, code: 64) }
            }
            var fromAlert: (rule: AlertRule, origin: AlertOrigin, answers: [String: String])?
            var runTargets = resolved.targets
            if let alert {
                do { fromAlert = try Self.pickRule(alert, config: targets.config) } catch { throw fail("\(error)", code: 3) }
                // The rule's targets for this alert, over the configured ones.
                if let picked = fromAlert {
                    let chosen = picked.rule.targets(labels: picked.origin.labels, annotations: picked.origin.annotations)
                    for (name, url) in chosen {
                        if let problem = TargetCheck.problem(name, url) {
                            throw fail("the alert rule's targets.\(name) (\(url)): \(problem)", code: 64)
                        }
                    }
                    if let v = chosen["postgres"] { runTargets.postgres = v }
                    if let v = chosen["redis"] { runTargets.redis = v }
                    if let v = chosen["api"] { runTargets.api = v }
                }
            }
            let name = resumed?.book.id ?? fromAlert?.rule.runbook ?? runbook ?? ""
            let book: Runbook
            do {
                book = try catalogue.resolve(name)
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
            do { presets = try loadAnswers() } catch { throw fail("\(error)", code: 64) }
            if let resumed { presets = resumed.presets(adding: presets) }
            if let fromAlert {
                // The rule's answers, unless a flag or the answers file says otherwise.
                for (k, v) in fromAlert.answers where presets[k] == nil { presets[k] = (v, .alert) }
            }
            let allow = self.allow ?? fromAlert?.rule.allow.flatMap(Risk.init(rawValue:))

            let setup: SessionSetup
            do {
                setup = try SessionSetup(
                    command: "run", runbook: book.id, targets: runTargets, secrets: resolved.secrets,
                    transcript: transcript, defaultName: book.id,
                    start: SessionStart(mode: "unattended", allow: allow?.rawValue ?? "none", dryRun: dryRun), continuing: resumed,
                    alert: fromAlert?.origin)
            } catch {
                throw fail("\(error)")
            }

            let style = Style.forStandardOutput()
            // A rule with `hosts` walks its inventory, unless --hosts says otherwise.
            let fleet = fromAlert?.rule.fleet(labels: fromAlert?.origin.labels ?? [:], annotations: fromAlert?.origin.annotations ?? [:])
            if let hosts = hosts ?? fleet?.hosts {
                try runFleet(
                    book, inventory: hosts, limit: self.hosts != nil ? limit : fleet?.limit, setup: setup, targets: runTargets,
                    allow: allow, presets: presets, catalogue: catalogue,
                    console: console, style: style)
            }
            let presenter =
                format == .text
                ? TextPresenter(
                    console: console, style: style, redactor: setup.redactor,
                    layout: .run(showOutput: verbose, stepCount: book.steps.count))
                : nil
            if format == .text {
                let t = runTargets.redacted
                console.line(style.dim("targets: postgres \(t["postgres"] ?? "") · redis \(t["redis"] ?? "") · api \(t["api"] ?? "")"))
            }
            var session = setup.session(
                book, policy: RemediationPolicy(mode: .unattended(allow: allow), dryRun: dryRun), answers: presets, catalogue: catalogue)
            var next: SessionAction?
            if let resumed {
                let restored = resumed.restore(&session)
                next = restored.next
                if format == .text { for line in restored.recap { console.line(style.dim(line)) } }
                presenter?.ordinal = session.trail.count
            }
            let mark = Interrupts.mark
            let host = UnattendedHost(
                notice: { presenter?.notice($0) }, interrupted: { Interrupts.since(mark) }, ending: { Interrupts.endingSignal != nil })
            let stepper = setup.stepper(session, presenter: presenter, host: host, concurrent: true)
            var status: OutcomeStatus
            if let next {
                if case .finished(let done) = stepper.advance(next) { status = done } else { status = stepper.session.outcome }
            } else {
                status = stepper.run(from: from)
            }
            if Interrupts.since(mark) { status = max(status, .unknown) }
            let failure = setup.end(status, reason: Interrupts.since(mark) ? "interrupted" : nil, recorder: stepper.recorder)

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
                console.line(RunReport(stepper: stepper, status: status, transcript: path, redactor: setup.redactor).json)
            }
            if let failure { console.error("rbsh: \(failure)") }
            if let sig = Interrupts.endingSignal {
                console.error("rbsh: \(Interrupts.reason(sig)); stopped, the transcript says where")
                throw ExitCode(128 + sig)
            }
            throw ExitCode(status.exitCode)
        }

        /// The rule the config picks for a saved notification; an error says why none.
        static func pickRule(_ file: String, config: String?) throws -> (rule: AlertRule, origin: AlertOrigin, answers: [String: String]) {
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let d = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                data = d
            }
            let n = try AlertmanagerNotification.decode(data)
            let rules = try RbshConfig.load(explicit: config, environment: ProcessInfo.processInfo.environment).alerts.rules
            guard let picked = AlertRule.pick(rules, for: n) else {
                let labels = n.commonLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                throw ValidationError(
                    "no alert rule matches \(labels.isEmpty ? "the alert" : labels)\(rules.isEmpty ? " (the config has no `alerts:`)" : "")"
                )
            }
            return (
                picked.rule, AlertOrigin(groupKey: n.groupKey, status: n.status, labels: picked.labels, annotations: picked.annotations),
                picked.rule.answers(labels: picked.labels, annotations: picked.annotations)
            )
        }

        func loadAnswers() throws -> [String: (value: String, by: Decider)] {
            try AnswerSources.load(file: answersFile, flags: answers)
        }
    }
}

/// Answers given in advance: `--answers FILE` (YAML key: value), then `--answer KEY=VALUE`.
enum AnswerSources {
    static func load(file: String?, flags: [String]) throws -> [String: (value: String, by: Decider)] {
        var out: [String: (value: String, by: Decider)] = [:]
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ValidationError("cannot read the answers file \(file)")
            }
            guard let node = try? Yams.compose(yaml: text), let mapping = node.mapping else {
                throw ValidationError("\(file): answers must be a YAML mapping of key: value")
            }
            for (k, v) in mapping {
                guard let key = k.string, let value = v.string else { throw ValidationError("\(file): answers must be key: value") }
                out[key] = (value, .answersFile)
            }
        }
        for a in flags {
            let parts = a.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 || a.hasSuffix("=") else { throw ValidationError("--answer takes key=value, got `\(a)`") }
            out[String(parts[0])] = (parts.count > 1 ? String(parts[1]) : "", .flag)
        }
        return out
    }
}

enum OutputFormat: String, ExpressibleByArgument, Sendable {
    case text, json
}

extension Risk: ExpressibleByArgument {}

/// `--format json`: one object, as DESIGN fixes it.
struct RunReport: Encodable {
    /// A finding as the report gives it: `severity` is `unknown` for one that could not be evaluated.
    struct FindingLine: Encodable {
        var id: String
        var severity: String
        var message: String
        var step: String
        var state: String
        /// The runbook whose rule it is: the one to run for it.
        var runbook: String?
        /// The host it was found on, in a run over a fleet.
        var host: String?
    }

    struct StepLine: Encodable {
        var id: String
        var status: StepStatus
        var durationMilliseconds: Int
        /// The host it ran on, in a run over a fleet (none for a step run once, here).
        var host: String?
        enum CodingKeys: String, CodingKey {
            case id, status, host
            case durationMilliseconds = "duration_ms"
        }
    }

    struct RemediationLine: Encodable {
        var id: String
        var risk: Risk
        var offered: Bool
        var applied: Bool
        var verified: Bool
        /// The hosts it ran on, in a run over a fleet.
        var hosts: [String]?
    }

    /// A host of a fleet and how its walk came out (`unreachable` when ssh could not reach it).
    struct HostLine: Encodable {
        var host: String
        var status: String
    }

    var runbook: String
    var status: OutcomeStatus
    var steps: [StepLine]
    var findings: [FindingLine]
    var remediations: [RemediationLine]
    var transcript: String
    /// A sweep's conclusion, when the walk swept runbooks.
    var diagnosis: Diagnosis?
    /// A run over a fleet: every host's status.
    var hosts: [HostLine]?

    init(
        runbook: String, status: OutcomeStatus, steps: [StepLine], findings: [FindingLine], remediations: [RemediationLine],
        transcript: String
    ) {
        self.runbook = runbook
        self.status = status
        self.steps = steps
        self.findings = findings
        self.remediations = remediations
        self.transcript = transcript
    }

    init(stepper: Stepper, status: OutcomeStatus, transcript: String, redactor: Redactor) {
        let s = stepper.session
        runbook = s.runbook.id
        self.status = status
        steps = stepper.durations.map { StepLine(id: $0.step, status: $0.status, durationMilliseconds: Int($0.ms.rounded())) }
        findings = s.findings.filter { $0.state != .resolved }.map { FindingLine($0, runbook: s.runbook.id, redactor: redactor) }
        diagnosis = s.diagnosis
        remediations = s.allRemediations.compactMap { r in
            s.remediations[r.id].map {
                RemediationLine(id: $0.id, risk: $0.risk, offered: $0.offered, applied: $0.applied, verified: $0.verified)
            }
        }
        self.transcript = transcript
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return #"{"status":"unknown"}"# }
        return String(decoding: data, as: UTF8.self)
    }
}

extension RunReport.FindingLine {
    init(_ f: Finding, runbook: String, redactor: Redactor) {
        self.init(
            id: f.id, severity: f.level, message: redactor.redact(f.message), step: f.step, state: f.state.rawValue,
            runbook: f.runbook ?? runbook, host: f.host)
    }
}
