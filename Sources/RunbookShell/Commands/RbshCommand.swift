import ArgumentParser
import Foundation
import RunbookKit
import Runs

/// `rbsh`: the runbook shell for the network probe platform.
public struct RbshCommand: ParsableCommand {
    public static let version = Release.version

    public static let configuration = CommandConfiguration(
        commandName: "rbsh",
        abstract: "The runbook shell: walks the troubleshooting guide with you, for real.",
        // One paragraph: argument-parser wraps it to the terminal.
        discussion:
            "With no command, opens the interactive shell. When paged, `rbsh run triage` (or `start triage` in the shell) walks "
            + "the guide from the top, and `rbsh find SYMPTOM` names the runbook for what you see. Exit status of `run`: "
            + "0 no findings, 1 worst finding a warning, 2 critical, 3 rbsh could not do its job, 64 bad usage.",
        version: version,
        subcommands: [
            Shell.self, Run.self, Replay.self, List.self, Show.self, Graph.self, Lint.self,
            Find.self, Fmt.self, Import.self, Recall.self, Approve.self, Resume.self, Doctor.self, TranscriptCommand.self, TestCommand.self,
            LabCommand.self,
            Serve.self,
            Hosts.self,
        ],
        defaultSubcommand: Shell.self
    )

    public init() {}
}

extension ParsableCommand {
    /// Prints a one-line error and exits with `code` (3: rbsh could not do its job).
    func fail(_ message: String, code: Int32 = 3) -> ExitCode {
        try? FileHandle.standardError.write(contentsOf: Data("rbsh: \(message)\n".utf8))
        return ExitCode(code)
    }
}
