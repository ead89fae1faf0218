import ArgumentParser
import Foundation
import RunbookKit

extension RbshCommand {
    /// `rbsh fmt FILE.md...`: the attributes and `rbsh` blocks of Markdown runbooks written one way, every other
    /// byte left as it was.
    struct Fmt: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fmt",
            abstract: "Format Markdown runbooks: the fence attributes and rbsh blocks rbsh owns, nothing else.",
            discussion: """
                Without --write, one file is printed formatted; with --write, each file that changes is rewritten \
                in place (and named). --check changes nothing and names the files that would change.
                Exit status: 0 done (or nothing to change), 1 with --check when a file would change, \
                64 when a file cannot be read or written.
                """)

        @Argument(help: "Markdown runbooks.") var files: [String]
        @Flag(name: [.short, .long], help: "Rewrite the files in place.") var write = false
        @Flag(help: "Change nothing; name the files that would change, exit 1 if any.") var check = false

        func validate() throws {
            if write && check { throw ValidationError("--write and --check: choose one") }
            if !write && !check && files.count != 1 { throw ValidationError("printing formats one file: add --write or --check") }
        }

        func run() throws {
            var wouldChange = 0
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { throw fail("cannot read \(file)", code: 64) }
                guard let text = String(data: data, encoding: .utf8) else { throw fail("\(file) is not UTF-8", code: 64) }
                if !file.hasSuffix(".md") && !file.hasSuffix(".markdown") {
                    throw fail("\(file): rbsh fmt formats Markdown runbooks (.md)", code: 64)
                }
                let outcome = MarkdownFormatter.format(text)
                for note in outcome.notes { printError("\(file):\(note.line):\(note.column): note: \(note.message)") }
                if check {
                    if outcome.changed {
                        print(file)
                        wouldChange += 1
                    }
                } else if write {
                    guard outcome.changed else { continue }
                    do {
                        try Data(outcome.text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
                    } catch {
                        throw fail("cannot write \(file): \(error.localizedDescription)", code: 64)
                    }
                    print(file)
                } else {
                    FileHandle.standardOutput.write(Data(outcome.text.utf8))
                }
            }
            if wouldChange > 0 { throw ExitCode(1) }
        }

        func printError(_ line: String) { try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8)) }
    }
}
