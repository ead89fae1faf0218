@preconcurrency import Foundation
import ArgumentParser
import CommandOptions
import RunbookKit
import Runs

extension RbshCommand {
    /// `rbsh list`: every runbook, where it came from.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the runbooks and where each came from.")
        @OptionGroup var targets: TargetOptions

        func run() throws {
            let catalogue = RunbookCatalogue(directories: targets.runbookDirectories)
            let width = catalogue.ids.map(\.count).max() ?? 10
            for entry in catalogue.entries {
                let pad = String(repeating: " ", count: max(0, width - entry.id.count))
                if let rb = entry.runbook {
                    let alias = rb.aliases.first.map { " (\($0))" } ?? ""
                    print(
                        "\(entry.id)\(pad)  \(rb.category.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))  \(rb.title)\(alias)  [\(entry.origin)]"
                    )
                } else {
                    print(
                        "\(entry.id)\(pad)  BROKEN        \(entry.outcome.errors.count) problem(s); rbsh lint \(entry.path)  [\(entry.origin)]"
                    )
                }
            }
        }
    }

    /// `rbsh show RUNBOOK`: what it checks and what it can fix.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a runbook's steps, findings and remediations.")
        @Argument(help: "A runbook id or path.") var runbook: String
        @OptionGroup var targets: TargetOptions

        func run() throws {
            let book: Runbook
            do { book = try RunbookCatalogue(directories: targets.runbookDirectories).resolve(runbook) } catch {
                throw fail(error.description, code: 64)
            }
            print("\(book.id) — \(book.title)" + (book.aliases.isEmpty ? "" : " (\(book.aliases.joined(separator: ", ")))"))
            print("category: \(book.category.rawValue)   from: \(book.origin)")
            if !book.symptoms.isEmpty { print("symptoms:\n" + book.symptoms.map { "  - \($0)" }.joined(separator: "\n")) }
            if !book.inputs.isEmpty {
                print("inputs:")
                for i in book.inputs { print("  \(i.id): \(i.prompt)" + (i.defaultValue.map { " (default \($0))" } ?? "")) }
            }
            print("steps:")
            for (n, step) in book.steps.enumerated() {
                print(
                    "  \(n + 1). \(step.id) [\(step.action.kind), \(Int(step.timeout)) s\(step.concurrent ? ", concurrent" : "")] \(step.title)"
                )
                for f in step.findings { print("       \(f.severity.rawValue): \(f.id) when \(describe(f.condition))") }
            }
            if !book.remediations.isEmpty {
                print("remediations:")
                for r in book.remediations {
                    print("  \(r.id) [\(r.risk.rawValue), \(r.action.action.kind)] \(r.title)")
                    print(
                        "       fixes \(r.fixes.joined(separator: ", "))"
                            + (r.verify.map { "; verify by \($0.joined(separator: ", "))" } ?? ""))
                }
            }
        }

        func describe(_ e: RunbookKit.Expression) -> String { e.description }
    }

    /// `rbsh lint [PATH...]`: every problem in every runbook.
    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "lint", abstract: "Check runbooks: file:line:column: message.")
        @Argument(help: "Runbook files or folders (default: runbooks/, else the built-in runbooks).") var paths: [String] = []
        @Option(help: .hidden) var timing: Int?
        @OptionGroup var targets: TargetOptions

        func time(_ files: [String], repeats: Int) throws {
            var samples: [Double] = []
            for _ in 0..<max(1, repeats) {
                let start = ContinuousClock.now
                for file in files { _ = RunbookLoader.load(path: file) }
                let d = ContinuousClock.now - start
                samples.append(d.milliseconds)
            }
            print(
                String(
                    format: "loaded %d runbooks: median %.3f ms, min %.3f ms over %d runs",
                    files.count, RbshCommand.median(samples), samples.min() ?? 0, samples.count))
            throw ExitCode.success
        }

        func run() throws {
            var files: [String] = []
            // Installed, with no runbooks/ here: the runbooks built into the binary.
            let builtIn = paths.isEmpty && !FileManager.default.fileExists(atPath: "runbooks")
            for path in builtIn ? [] : paths.isEmpty ? ["runbooks"] : paths {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                    throw fail("no such file or folder: \(path)", code: 64)
                }
                if isDir.boolValue {
                    files += RunbookCatalogue.files(in: path)
                } else {
                    files.append(path)
                }
            }
            if let timing { try time(files, repeats: timing) }
            var problems = 0
            var loaded: [Runbook] = []
            var outcomes = files.map { RunbookLoader.load(path: $0) }
            if builtIn { outcomes = RunbookCatalogue.builtIn }
            for outcome in outcomes {
                if let rb = outcome.runbook { loaded.append(rb) }
                for d in outcome.diagnostics {
                    print(d.description)
                    if d.level == .error { problems += 1 }
                }
            }
            // Includes may name runbooks from the search path and the built-in ones too.
            var known: [String: Runbook] = [:]
            for entry in RunbookCatalogue(directories: targets.runbookDirectories).entries {
                if let rb = entry.runbook { known[rb.id] = rb }
            }
            for d in CatalogueChecker.check(loaded, known: known) {
                print(d.description)
                problems += 1
            }
            if problems > 0 {
                fflush(stdout)
                fputs(
                    "\(problems) problem\(problems == 1 ? "" : "s") in \(outcomes.count) runbook\(outcomes.count == 1 ? "" : "s")\n", stderr
                )
                throw ExitCode(1)
            }
        }
    }

    /// `rbsh graph RUNBOOK`: the flowchart, for mermaid or graphviz.
    /// Loads the files `repeats` times and prints the median: for bench/.
    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    struct Graph: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "graph", abstract: "Draw a runbook's flowchart (mermaid or dot).")
        @Argument(help: "A runbook id or path.") var runbook: String
        @Option(help: ArgumentHelp("mermaid or dot.", valueName: "format")) var format: GraphFormat = .mermaid
        @OptionGroup var targets: TargetOptions

        enum GraphFormat: String, ExpressibleByArgument { case mermaid, dot }

        func run() throws {
            let book: Runbook
            do { book = try RunbookCatalogue(directories: targets.runbookDirectories).resolve(runbook) } catch {
                throw fail(error.description, code: 64)
            }
            let graph = RunbookGraph(book)
            print(format == .mermaid ? graph.mermaid() : graph.dot(), terminator: "")
        }
    }
}
