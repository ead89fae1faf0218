@preconcurrency import Foundation
import ArgumentParser
import CommandOptions
import LineEditing
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh` / `rbsh shell`: the interactive shell.
    struct Shell: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "shell", abstract: "The interactive shell (the default command).")

        @Option(name: .short, help: ArgumentHelp("Run shell commands from this file, no prompt.", valueName: "file"))
        var file: String?

        @Option(help: ArgumentHelp("Where to write the transcript.", valueName: "path"))
        var transcript: String?

        @Option(
            name: .customLong("on-error"),
            help: ArgumentHelp("continue (default) or stop at the first failing command (exit 3).", valueName: "mode"))
        var onError: OnError = .continue

        @Option(name: .customLong("answer"), help: ArgumentHelp("An answer to a question or input.", valueName: "key=value"))
        var answers: [String] = []

        @Option(name: .customLong("answers"), help: ArgumentHelp("Answers from a YAML file of key: value.", valueName: "file"))
        var answersFile: String?

        @OptionGroup var targets: TargetOptions

        enum OnError: String, ExpressibleByArgument { case `continue`, stop }

        func run() throws { try launch(resuming: nil) }

        /// Opens the shell; with `resuming`, on the walk that transcript left unfinished.
        func launch(resuming: String?) throws {
            Interrupts.install()
            let console = Console()
            let resolved: ResolvedTargets
            do { resolved = try targets.resolve() } catch { throw fail("\(error)", code: 64) }
            var presets: [String: (value: String, by: Decider)]
            do { presets = try AnswerSources.load(file: answersFile, flags: answers) } catch { throw fail("\(error)", code: 64) }
            // Loaded here only to resume a walk; a new shell loads the runbooks on first use.
            var resumed: ResumedWalk?
            var resumedCatalogue: RunbookCatalogue?
            if let resuming {
                let catalogue = RunbookCatalogue(directories: targets.runbookDirectories)
                resumedCatalogue = catalogue
                do { resumed = try ResumedWalk.load(resuming, catalogue: catalogue) } catch { throw fail(error.description, code: 64) }
            }
            let reader: any LineReader
            var editor: EditLineReader?
            if let file {
                guard let handle = FileHandle(forReadingAtPath: file) else { throw fail("cannot read \(file)", code: 64) }
                reader = PlainLineReader(handle: handle)
            } else if isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1,
                let e = EditLineReader(historyPath: Self.historyPath, interruptCount: { Interrupts.mark })
            {
                editor = e
                reader = e
            } else {
                reader = PlainLineReader()
            }
            let setup: SessionSetup
            do {
                setup = try SessionSetup(
                    command: "shell", runbook: nil, targets: resolved.targets, secrets: resolved.secrets,
                    transcript: transcript, defaultName: "shell",
                    start: SessionStart(
                        mode: reader.isInteractive ? "interactive" : "script",
                        script: file ?? (reader.isInteractive ? "" : "stdin")), signals: Interrupts.sessionSignals, continuing: resumed,
                    memory: SessionMemory(config: resolved.config), signer: resolved.config.signing.signer)
            } catch {
                throw fail("\(error)")
            }

            let shell = ShellSession(
                reader: reader, console: console, style: reader.isInteractive ? Style.forStandardOutput() : Style(enabled: false),
                targets: resolved.targets, redactor: setup.redactor,
                // A resumed walk has its catalogue already; a new one loads it on first use.
                catalogue: resumedCatalogue ?? RunbookCatalogue(directories: targets.runbookDirectories),
                transcript: setup.transcript, stopOnError: onError == .stop, presets: presets, memory: setup.memory,
                recall: setup.recall, mode: setup.mode)
            editor?.completer = shell
            shell.approvals = resolved.config.approvals
            if reader.isInteractive, resolved.usingLab {
                console.line(
                    "targets: the lab ("
                        + resolved.targets.redacted.sorted(by: { $0.key < $1.key }).map { "\($0.key) \($0.value)" }.joined(separator: " · ")
                        + ")")
            }
            if let resumed { shell.resume(resumed, presets: resumed.presets(adding: presets)) }
            let status = shell.loop()
            withExtendedLifetime(editor) {}
            if status != 0 { throw ExitCode(status) }
        }

        static var historyPath: String {
            let env = ProcessInfo.processInfo.environment
            let base = env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/state")
            return base + "/rbsh/history"
        }
    }
}
