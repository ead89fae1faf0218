import ArgumentParser
import CommandOptions
import Foundation
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh resume TRANSCRIPT`: the shell, on the walk a session left unfinished.
    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume",
            abstract: "Go on with a session that stopped (a hang-up, a kill): the same runbook, at the step that did not finish.",
            discussion: "Earlier answers, findings and remediations are restored from the transcript and recapped; the new "
                + "transcript's header names the one it continues, and `rbsh transcript show|export` of it covers both.")

        @Argument(help: "The transcript of the session to go on with.") var earlier: String
        @Option(help: ArgumentHelp("Where to write the new transcript.", valueName: "path")) var transcript: String?
        @Option(name: .customLong("answer"), help: ArgumentHelp("An answer to a question or input.", valueName: "key=value"))
        var answers: [String] = []
        @OptionGroup var targets: TargetOptions

        func run() throws {
            var shell = try Shell.parse([])
            shell.transcript = transcript
            shell.answers = answers
            shell.targets = targets
            try shell.launch(resuming: earlier)
        }
    }
}
