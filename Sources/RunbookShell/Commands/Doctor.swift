import ArgumentParser
import CommandOptions
import Foundation
import Probes
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh doctor`: what an operator needs before an incident, checked now.
    struct Doctor: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract: "Check what rbsh needs before an incident: targets, transcripts, history, runbooks.",
            discussion: "One line a check. Exit status: 0 when all is well, 1 when something is not.")

        @OptionGroup var targets: TargetOptions

        func run() throws {
            let console = Console()
            let resolved: ResolvedTargets
            do { resolved = try targets.resolve() } catch { throw fail("\(error)", code: 64) }
            let style = Style.forStandardOutput()
            var allWell = true
            func report(_ ok: Bool, _ what: String, _ detail: String) {
                if !ok { allWell = false }
                let mark = ok ? style.green("ok  ") : style.red("FAIL")
                console.line("\(mark) \(what.padding(toLength: 12, withPad: " ", startingAt: 0)) \(detail)")
            }

            // Each target: where its value came from, and whether it answers, how fast.
            let runner = ProbeRunner(targets: resolved.targets)
            let checks: [(name: String, action: StepAction)] = [
                ("postgres", .postgres(PostgresAction(sql: "SELECT 1"))),
                ("redis", .redis(RedisAction(argv: ["PING"]))),
                ("api", .http(HTTPAction(url: resolved.targets.api + "/api/v1/health"))),
            ]
            let shown = resolved.targets.redacted
            for check in checks {
                let source = TargetCheck.describe(
                    source: resolved.sources[check.name] ?? "default", target: check.name, config: resolved.configPath)
                let step = Step(id: check.name, title: check.name, action: check.action, timeout: 5)
                let result = runner.run(PendingStep(step: step, purpose: .diagnose), control: StepControl())
                let answered = result.status == .ok
                let how =
                    answered ? String(format: "answers in %.1f ms", result.durationMilliseconds) : (result.error ?? result.status.rawValue)
                report(answered, check.name, "\(shown[check.name] ?? "") (from \(source)): \(how)")
            }

            // Where transcripts go: a file can be made there now.
            let folder = "transcripts"
            let probe = folder + "/.rbsh-doctor-\(getpid())"
            let writable =
                (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil
                && FileManager.default.createFile(atPath: probe, contents: Data())
            try? FileManager.default.removeItem(atPath: probe)
            report(
                writable, "transcripts", writable ? "\(folder)/ is writable" : "cannot write in \(folder)/ (give --transcript elsewhere)")

            // The shell's history holds what operators typed: readable by its owner only.
            let history = Shell.historyPath
            if let attributes = try? FileManager.default.attributesOfItem(atPath: history),
                let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue
            {
                report(
                    mode & 0o077 == 0, "history",
                    String(format: "%@: mode %03o%@", history, mode, mode & 0o077 == 0 ? "" : " (others can read it: chmod 600)"))
            } else {
                report(true, "history", "\(history): not written yet")
            }

            // The runbooks on the search path, and any that fails lint.
            let catalogue = RunbookCatalogue(directories: targets.runbookDirectories)
            let broken = catalogue.entries.filter { $0.runbook == nil }
            let origins = Dictionary(grouping: catalogue.entries, by: \.origin).map { "\($0.key) (\($0.value.count))" }.sorted()
            report(
                broken.isEmpty, "runbooks",
                "search path \(targets.runbookDirectories.joined(separator: ", ")), built-in; found \(origins.joined(separator: ", "))"
                    + (broken.isEmpty ? "" : "; failing lint: " + broken.map(\.path).joined(separator: ", ")))
            if !allWell { throw ExitCode(1) }
        }
    }
}
