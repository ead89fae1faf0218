import ArgumentParser
import Foundation
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh transcript show|export PATH`.
    struct TranscriptCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "transcript", abstract: "Show a transcript, export it as a Markdown postmortem or JSON, or verify it.",
            subcommands: [ShowTranscript.self, ExportTranscript.self, VerifyTranscript.self])
    }

    /// Reads a transcript (and those it continues) and says on standard error, one line each, whether it verified.
    static func readTranscript(_ path: String) throws -> (Transcript, Data, integrity: [(String, String, Int32)]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            try? FileHandle.standardError.write(contentsOf: Data("rbsh: cannot read \(path)\n".utf8))
            throw ExitCode(64)
        }
        do {
            var t = try Transcript.parse(data, path: path)
            // A resumed session's transcript is read with those it continues: one session.
            if t.header.continues != nil { t = try Transcript.readChain(path: path) }
            if t.truncatedBytes > 0 {
                try? FileHandle.standardError.write(
                    contentsOf: Data("rbsh: \(path): the last line (\(t.truncatedBytes) bytes) was cut short and is left out\n".utf8))
            }
            let signing =
                (try? RbshConfig.load(explicit: nil, environment: ProcessInfo.processInfo.environment))?.signing ?? SigningConfig()
            let integrity = verifyChain(path, signing: signing)
            for (file, line, _) in integrity {
                try? FileHandle.standardError.write(contentsOf: Data("rbsh: \(file): \(line)\n".utf8))
            }
            return (t, data, integrity)
        } catch {
            try? FileHandle.standardError.write(contentsOf: Data("rbsh: \(error)\n".utf8))
            throw ExitCode(3)
        }
    }

    struct ShowTranscript: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "A readable timeline of a transcript.")
        @Argument(help: "A transcript (.jsonl).") var path: String
        func run() throws {
            let (t, _, _) = try RbshCommand.readTranscript(path)
            print(TranscriptRendering.timeline(t), terminator: "")
        }
    }

    struct ExportTranscript: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Export a transcript: a Markdown postmortem draft, or JSON.")
        @Argument(help: "A transcript (.jsonl).") var path: String
        @Option(help: ArgumentHelp("markdown or json.", valueName: "format")) var format: ExportFormat = .markdown
        @Option(name: .shortAndLong, help: ArgumentHelp("Write here instead of standard output.", valueName: "file")) var output: String?
        @Option(
            name: .customLong("config"),
            help: ArgumentHelp(
                "Config file, for where the incident memory is (else ./rbsh.yaml, then $XDG_CONFIG_HOME).", valueName: "path"))
        var config: String?

        enum ExportFormat: String, ExpressibleByArgument { case markdown, json }

        func run() throws {
            let (t, data, integrity) = try RbshCommand.readTranscript(path)
            let checked = integrity.map { TranscriptRendering.Integrity(transcript: $0.0, result: $0.1, verified: $0.2 == 0) }
            let text: String
            if format == .markdown {
                // What past sessions (before this one began) said of its causes, when the memory can tell.
                let config = (try? RbshConfig.load(explicit: config, environment: ProcessInfo.processInfo.environment)) ?? RbshConfig()
                text = TranscriptRendering.markdown(t, seenBefore: SessionMemory(config: config).seenBefore(t), integrity: checked)
            } else {
                text = TranscriptRendering.json(t, raw: data, integrity: checked)
            }
            if let output {
                do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                    throw fail("cannot write \(output): \(error)")
                }
            } else {
                print(text, terminator: "")
            }
        }
    }
}
