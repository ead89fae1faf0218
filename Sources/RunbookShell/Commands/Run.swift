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

        @Argument(help: "A runbook id, or a path to a runbook file.")
        var runbook: String

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

        @OptionGroup var targets: TargetOptions

        func validate() throws {
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
            let book: Runbook
            do {
                book = try catalogue.resolve(runbook)
            } catch .notFound(let message) {
                throw fail(message, code: 64)
            } catch {
                console.error(error.description)
                throw fail("runbook \(runbook) is broken; `rbsh lint` shows every problem", code: 3)
            }
            if let from, book.step(from) == nil {
                throw fail("\(book.id) has no step `\(from)`\(Suggestion.hint(for: from, in: book.steps.map(\.id)))", code: 64)
            }
            let presets: [String: (value: String, by: Decider)]
            do { presets = try loadAnswers() } catch { throw fail("\(error)", code: 64) }

            let redactor = Redactor(secrets: resolved.secrets)
            let path = transcript ?? TranscriptWriter.defaultPath(runbook: book.id)
            let writer: TranscriptWriter
            do {
                writer = try TranscriptWriter(path: path, redactor: redactor, header: TranscriptHeader.make(
                    command: "run", runbook: book.id, targets: resolved.targets))
                try writer.event("session_start", ["mode": "unattended", "allow": allow?.rawValue ?? "none", "dry_run": dryRun])
            } catch {
                throw fail("\(error)")
            }

            let style = Style.forStandardOutput()
            let presenter = format == .text
                ? TextPresenter(console: console, style: style, redactor: redactor, showOutput: verbose, stepCount: book.steps.count)
                : nil
            if format == .text {
                let t = resolved.targets.redacted
                console.line(style.dim("targets: postgres \(t["postgres"] ?? "") · redis \(t["redis"] ?? "") · api \(t["api"] ?? "")"))
            }
            let session = RunbookSession(
                runbook: book, policy: RemediationPolicy(mode: .unattended(allow: allow), dryRun: dryRun),
                targets: resolved.targets.scopeValues, answers: presets, resolve: { try? catalogue.resolve($0) })
            let mark = Interrupts.mark
            let driver = SessionDriver(session: session, runner: ProbeRunner(targets: resolved.targets), transcript: writer,
                                       presenter: presenter, interrupted: { Interrupts.since(mark) })
            var status = driver.run(from: from)
            if Interrupts.since(mark) {
                try? writer.event("interrupt", ["where": "run"])
                status = max(status, .unknown)
            }
            try? writer.event("session_end", ["status": status.rawValue])

            switch format {
            case .text:
                let s = driver.session
                let open = s.findings.filter { $0.state != .resolved }
                console.line("")
                console.line("\(style.outcome(status)) — \(open.count) finding\(open.count == 1 ? "" : "s")"
                             + (open.isEmpty ? "" : ": " + open.map { "\($0.id) (\($0.severity.rawValue))" }.joined(separator: ", ")))
                console.line(style.dim("transcript: \(path)"))
            case .json:
                console.line(RunReport.json(driver: driver, status: status, transcript: path, redactor: redactor))
            }
            if let e = driver.transcriptError { console.error("rbsh: the transcript is incomplete: \(e)") }
            throw ExitCode(status.exitCode)
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

/// The transcript's first line.
enum TranscriptHeader {
    static var userName: String {
        if let u = ProcessInfo.processInfo.environment["USER"], !u.isEmpty { return u }
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }

    static func make(command: String, runbook: String?, targets: Targets) -> [String: Any] {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var header: [String: Any] = [
            "rbsh_version": RbshCommand.version,
            "user": userName,
            "host": hostName,
            "command": command,
            "targets": targets.redacted,
            "pid": Int(getpid()),
        ]
        if let runbook { header["runbook"] = runbook }
        return header
    }
}

/// `--format json`: one object, as DESIGN fixes it.
enum RunReport {
    static func json(driver: SessionDriver, status: OutcomeStatus, transcript: String, redactor: Redactor) -> String {
        let s = driver.session
        let object: [String: Any] = [
            "runbook": s.runbook.id,
            "status": status.rawValue,
            "steps": driver.durations.map { ["id": $0.step, "status": $0.status.rawValue, "duration_ms": Int($0.ms.rounded())] as [String: Any] },
            "findings": s.findings.filter { $0.state != .resolved }.map {
                ["id": $0.id, "severity": $0.severity.rawValue, "message": redactor.redact($0.message), "step": $0.step,
                 "state": $0.state.rawValue] as [String: Any]
            },
            "remediations": s.allRemediations.compactMap { r -> [String: Any]? in
                guard let rep = s.remediations[r.id] else { return nil }
                return ["id": rep.id, "risk": rep.risk.rawValue, "offered": rep.offered, "applied": rep.applied, "verified": rep.verified]
            },
            "transcript": transcript,
        ]
        guard let data = try? JSONText.encode(object) else { return #"{"status":"unknown"}"# }
        return String(decoding: data, as: UTF8.self)
    }
}
