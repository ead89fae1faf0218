import ArgumentParser
import Foundation
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh transcript verify PATH`: the hash chain, the seal, the seal's signature.
    struct VerifyTranscript: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check a transcript's hash chain and seal (and its signature against allowed_signers).",
            discussion: """
                Exit status: 0 the chain holds and is sealed (a signature, if any, verified or not checkable), \
                1 a line was changed, removed, moved or added, or the signature does not verify, \
                2 the chain holds but nothing seals it (cut short, still running) or the transcript predates chains, \
                3 it cannot be read.
                """)
        @Argument(help: "A transcript (.jsonl).") var path: String
        @Option(
            name: .customLong("config"),
            help: ArgumentHelp("Config file, for signing.allowed_signers (else ./rbsh.yaml, then $XDG_CONFIG_HOME).", valueName: "path"))
        var config: String?

        func run() throws {
            let config: RbshConfig
            do { config = try RbshConfig.load(explicit: self.config, environment: ProcessInfo.processInfo.environment) } catch {
                throw fail(error.description, code: 64)
            }
            let results = RbshCommand.verifyChain(path, signing: config.signing)
            var worst: Int32 = 0
            for (file, result, code) in results {
                print("\(file): \(result)")
                worst = max(worst, code)
            }
            if worst != 0 { throw ExitCode(worst) }
        }
    }

    /// Verifies `path` and each transcript it continues: a line for each, with its exit code.
    static func verifyChain(_ path: String, signing: SigningConfig) -> [(String, String, Int32)] {
        var out: [(String, String, Int32)] = []
        var current = path
        var seen: Set<String> = []
        while seen.insert(current).inserted, seen.count <= 100 {
            guard let data = FileManager.default.contents(atPath: current) else {
                out.append((current, current == path ? "cannot be read" : "cannot be read (continued by the transcript above)", 3))
                break
            }
            let v = TranscriptVerification.verify(data, checkSignature: signing.checkSignature)
            out.append((current, v.line, Self.exitCode(v)))
            guard let header = try? Transcript.parse(data.prefix { $0 != 0x0A } + [0x0A], path: current).header,
                let earlier = header.continues
            else { break }
            // What the continuation chained to must still be there, as it was: its chain whole up to that line, which hashes the same.
            if let lines = header.continuesLines, let last = header.continuesLast,
                let older = FileManager.default.contents(atPath: earlier),
                TranscriptVerification.verify(older).verifiedLines < lines || TranscriptChain.hash(ofLine: lines, in: older) != last
            {
                out.append((earlier, "its first \(lines) lines are not those the transcript continuing it chained to", 1))
            }
            current = earlier
        }
        return out
    }

    static func exitCode(_ v: TranscriptVerification) -> Int32 {
        switch v.outcome {
        case .sealed: return v.holds ? 0 : 1
        case .broken: return 1
        case .unsealed, .unchained: return 2
        }
    }
}
