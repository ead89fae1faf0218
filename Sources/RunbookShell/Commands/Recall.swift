import ArgumentParser
import CommandOptions
import Foundation
import IncidentMemory
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh recall`: past sessions like this one, from the incident memory.
    struct Recall: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "recall",
            abstract: "Past sessions like this one: what was found then, and what fixed it.",
            discussion:
                "Every session rbsh finishes is remembered (in $XDG_STATE_HOME/rbsh/memory.sqlite, or memory.index in the config). "
                + "`rbsh recall index DIR...` adds folders of transcripts (a team's shared folder, a repository of postmortems). "
                + "Exit status: 0 when something matches, 1 when nothing does, 3 when the memory cannot be read.",
            subcommands: [Search.self, Index.self, Push.self], defaultSubcommand: Search.self)

        struct Search: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "search",
                abstract: "Past sessions like FINDING, RUNBOOK/FINDING, a runbook, a transcript, or a symptom's text; best first.")

            @Argument(help: "postgres-unreachable, db-connection-failure/postgres-unreachable, a transcript's path, or words.")
            var query: [String]
            @Option(help: ArgumentHelp("Only sessions this recent: 30d, 12h, 2w, or a date (2026-11-01).", valueName: "age"))
            var since: String?
            @Option(help: ArgumentHelp("text or json.", valueName: "format")) var format: OutputFormat = .text
            @Option(help: ArgumentHelp("How many to show.", valueName: "n")) var limit = 10
            @OptionGroup var targets: TargetOptions

            func run() throws {
                let text = query.joined(separator: " ")
                var from: Date?
                if let since {
                    guard let date = SessionMemory.since(since) else {
                        throw fail("--since takes 30d, 12h, 2w or a date, got `\(since)`", code: 64)
                    }
                    from = date
                }
                let memory = try Recall.memory(targets)
                let matches: [MemoryIndex.Match]
                do {
                    matches = try memory.search(
                        text, runbooks: { RunbookCatalogue.summaries(directories: targets.runbookDirectories) }, since: from, limit: limit)
                } catch {
                    throw fail(error.description)
                }
                switch format {
                case .json:
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                    print(String(decoding: (try? encoder.encode(matches)) ?? Data("[]".utf8), as: UTF8.self))
                case .text:
                    let style = Style.forStandardOutput()
                    if matches.isEmpty {
                        try? FileHandle.standardError.write(contentsOf: Data("rbsh: no past session like `\(text)`\n".utf8))
                    }
                    for m in matches { print(RecallListing.line(m, style: style)) }
                }
                if matches.isEmpty { throw ExitCode(1) }
            }
        }

        struct Index: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "index",
                abstract: "Add folders of transcripts to the memory (default: ./transcripts); only what changed is read.")

            @Argument(help: "Folders (read with their sub-folders) or transcript files.") var folders: [String] = []
            @OptionGroup var targets: TargetOptions

            func run() throws {
                let memory = try Recall.memory(targets)
                guard let index = memory.index else { throw fail(memory.problem ?? "the incident memory cannot be opened") }
                let folders = folders.isEmpty ? ["transcripts"] : folders
                do {
                    let report = try index.index(folders: folders)
                    for line in report.lines { print(line) }
                    print("\(try index.count()) sessions in \(index.path)")
                } catch {
                    throw fail(error.description)
                }
            }
        }

        struct Push: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "push",
                abstract: "Send the finished transcripts still queued to the team's rbsh serve (memory.url); each session's end starts one."
            )

            @OptionGroup var targets: TargetOptions

            func run() throws {
                let memory = try Recall.memory(targets)
                guard let team = memory.team else { throw fail("no team server: memory.url in the config", code: 64) }
                let pushed = team.push()
                for line in pushed.refused { print("refused: \(line)") }
                print(
                    "\(pushed.sent) sent, \(pushed.refused.count) refused, \(pushed.left) still queued"
                        + (pushed.why.map { ": \($0)" } ?? ""))
                if pushed.left > 0 { throw ExitCode(3) }
            }
        }

        static func memory(_ targets: TargetOptions) throws -> SessionMemory {
            let config: RbshConfig
            do { config = try RbshConfig.load(explicit: targets.config, environment: ProcessInfo.processInfo.environment) } catch {
                throw ExitCode.failure(with: "\(error)", code: 64)
            }
            let memory = SessionMemory(config: config)
            guard memory.enabled else { throw ExitCode.failure(with: "the incident memory is off (memory.recall in the config)", code: 3) }
            return memory
        }
    }
}

extension ExitCode {
    /// Prints `rbsh: MESSAGE` and gives the exit code to throw.
    static func failure(with message: String, code: Int32) -> ExitCode {
        try? FileHandle.standardError.write(contentsOf: Data("rbsh: \(message)\n".utf8))
        return ExitCode(code)
    }
}
