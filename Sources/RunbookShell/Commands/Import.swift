import ArgumentParser
import Foundation
import RunbookKit

extension RbshCommand {
    /// `rbsh import GUIDE.md`: a troubleshooting guide written for people, as Markdown runbook drafts.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Draft Markdown runbooks from a troubleshooting guide: one per case, its guesses marked for review.",
            discussion: """
                A case is a heading whose section labels its symptoms (症状), diagnostic steps (诊断步骤) or \
                solutions (解决方案). Its numbered diagnostic commands become steps (SQL run through psql as sql \
                blocks, commands that never end bounded), its solutions fixes at a guessed risk. Every guess \
                carries a review attribute that `rbsh lint` lists: read and decide each before running the draft.
                Without --output the drafts are printed; with it, each is written to DIR/ID.md (an existing \
                file is left, unless --force).
                Exit status: 0 drafted, 1 no case found, 64 the guide or the folder cannot be read or written.
                """)

        @Argument(help: "The guide, in Markdown.") var guide: String
        @Option(name: [.short, .long], help: ArgumentHelp("Write one draft per case into this folder.", valueName: "dir"))
        var output: String?
        @Flag(help: "Overwrite drafts already in the folder.") var force = false

        func run() throws {
            guard let data = FileManager.default.contents(atPath: guide) else { throw fail("cannot read \(guide)", code: 64) }
            let outcome = GuideImporter.drafts(from: String(decoding: data, as: UTF8.self), file: guide)
            for left in outcome.leftOut {
                note("\(guide):\(left.line): left out: \(left.title) (no symptoms, diagnostic steps or solutions labelled)")
            }
            guard !outcome.drafts.isEmpty else { throw fail("\(guide): no case found (no 症状, 诊断步骤 or 解决方案 section)", code: 1) }
            guard let output else {
                print(outcome.drafts.map(\.text).joined(separator: "\n"), terminator: "")
                return
            }
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            } catch {
                throw fail("cannot make \(output): \(error.localizedDescription)", code: 64)
            }
            for draft in outcome.drafts {
                let path = (output as NSString).appendingPathComponent(draft.id + ".md")
                if !force && FileManager.default.fileExists(atPath: path) {
                    note("\(path): already there, left as it is (--force overwrites)")
                    continue
                }
                do {
                    try Data(draft.text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                } catch {
                    throw fail("cannot write \(path): \(error.localizedDescription)", code: 64)
                }
                print(
                    "\(path): \(draft.title) (\(guide):\(draft.line)): \(draft.steps) steps, \(draft.fixes) fixes, "
                        + "\(draft.reviews) to review")
            }
            print("next: rbsh lint \(output) lists what needs a decision")
        }

        func note(_ line: String) { try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8)) }
    }
}
