import Foundation
import Testing

@testable import RunbookKit

/// `rbsh fmt`: the parts rbsh owns written one way, every other byte as it was.
@Suite struct MarkdownFormatterTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let messy = """
        ---
        id: messy
        title: Messy
        category: tool
        ---

        # Messy  \t

        Prose with `code`,   double  spaces and a trailing tab\t
        * a list
            * nested

        ```sh   {  timeout=5s    name=first }
        echo  "kept   as is"
        ```

        ```rbsh
        findings:
            -   id: broken
                when:   'output == "x"'
                severity: warning
                message: "it is ${output}"
        ```

        ```python { name=not-ours   x=1 }
        print( 1 )
        ```

        ## Mend it

        ```sh {risk=changes fixes=broken name=mend}
        echo mended
        ```

        """

    static let formatted = """
        ---
        id: messy
        title: Messy
        category: tool
        ---

        # Messy  \t

        Prose with `code`,   double  spaces and a trailing tab\t
        * a list
            * nested

        ```sh { name=first timeout=5s }
        echo  "kept   as is"
        ```

        ```rbsh
        findings:
        - id: broken
          when: 'output == "x"'
          severity: warning
          message: "it is ${output}"
        ```

        ```python { name=not-ours   x=1 }
        print( 1 )
        ```

        ## Mend it

        ```sh { name=mend fixes=broken risk=changes }
        echo mended
        ```

        """

    @Test func onlyWhatRbshOwnsIsRewritten() throws {
        let outcome = MarkdownFormatter.format(Self.messy)
        #expect(outcome.text == Self.formatted)
        #expect(outcome.changed && outcome.notes.isEmpty)
        #expect(MarkdownFormatter.format(outcome.text).changed == false, "formatting is idempotent")
        // The same runbook before and after.
        let before = try #require(RunbookLoader.load(markdown: Self.messy, file: "m.md").runbook)
        let after = try #require(RunbookLoader.load(markdown: outcome.text, file: "m.md").runbook)
        #expect(before.steps.map(MarkdownTwinsTests.behaviour) == after.steps.map(MarkdownTwinsTests.behaviour))
        #expect(before.remediations.map(\.fixes) == after.remediations.map(\.fixes))
    }

    @Test func crlfStaysCRLF() {
        let crlf = Self.messy.replacingOccurrences(of: "\n", with: "\r\n")
        let outcome = MarkdownFormatter.format(crlf)
        #expect(outcome.text == Self.formatted.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func aBlockWithCommentsOrThatIsNotYAMLIsLeftAndSaidSo() {
        let commented = Self.messy.replacingOccurrences(of: "    -   id: broken", with: "    # why\n    -   id: broken")
        let kept = MarkdownFormatter.format(commented)
        #expect(kept.text.contains("    # why\n    -   id: broken"), "the commented block is as written")
        #expect(kept.text.contains("```sh { name=first timeout=5s }"), "the attributes are still formatted")
        #expect(kept.notes.map(\.message) == ["left as written: it has comments, which rewriting would drop"])
        #expect(kept.notes.first?.line == 18)

        let broken = Self.messy.replacingOccurrences(of: "when:   'output", with: "when: [ 'output")
        #expect(MarkdownFormatter.format(broken).notes.first?.message.contains("not YAML") == true)
    }

    @Test func aBlockOfTextTheEmitterWouldQuoteIsLeft() {
        let text = "---\nid: x\n---\n\n```rbsh { name=m }\nmanual: |\n    trailing space \n    here\n```\n"
        let outcome = MarkdownFormatter.format(text)
        #expect(outcome.text == text)
        #expect(outcome.notes.map(\.message) == ["left as written: rewriting it would turn a block of text into a quoted string"])
    }

    @Test func aFenceNeverClosedAndJSONAttributesAreLeft() {
        let text = "---\nid: x\n---\n\n```sh {\"name\":\"a\",  \"timeout\":\"5s\"}\necho\n```\n\n```rbsh\nfindings:\n    - id: y\n"
        #expect(MarkdownFormatter.format(text).text == text)
    }

    @Test func aFileThatIsNotARunbookIsNotTouched() {
        let readme = "# Runme\n\n```sh { interactive=false   name=x }\necho\n```\n"
        #expect(MarkdownFormatter.format(readme).text == readme)
    }

    /// Every file under runbooks/ is as fmt writes it: the Markdown runbooks are formatted, and the rest
    /// (YAML runbooks, their cases) is not fmt's and comes back as it is.
    @Test func everyFileUnderRunbooksComesBackAsItIs() throws {
        let folder = Self.repository.appendingPathComponent("runbooks")
        let files = (FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".md") || $0.hasSuffix(".yaml") }
        #expect(files.filter { $0.hasSuffix(".md") }.count >= 6 && files.count >= 30, "\(files.count) files")
        for name in files {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let outcome = MarkdownFormatter.format(text)
            #expect(outcome.text == text, "\(name)")
            #expect(outcome.notes.isEmpty, "\(name): \(outcome.notes)")
        }
    }

    /// Markdown of other projects, byte for byte: the READMEs and docs of the packages rbsh is built with
    /// (resolved into .build/checkouts by every build), and the same files made runbooks by a frontmatter.
    @Test func otherProjectsMarkdownComesBackByteForByte() throws {
        let checkouts = Self.repository.appendingPathComponent(".build/checkouts")
        let found = FileManager.default.enumerator(atPath: checkouts.path)?.compactMap { $0 as? String } ?? []
        // Fifty spread over all of them, so every package's docs are among them.
        let all = found.filter { $0.hasSuffix(".md") }.sorted()
        try #require(all.count >= 50, "50 Markdown files under \(checkouts.path), found \(all.count)")
        let files = (0..<50).map { all[$0 * all.count / 50] }
        #expect(Set(files.map { $0.split(separator: "/").first }).count >= 5, "from several projects")
        var fenced = 0
        for name in files {
            let data = try Data(contentsOf: checkouts.appendingPathComponent(name))
            let text = String(decoding: data, as: UTF8.self)
            guard String(data: data, encoding: .utf8) != nil else { continue }
            #expect(MarkdownFormatter.format(text).text == text, "\(name)")
            // As a runbook: the frontmatter makes fmt read every block; theirs are not rbsh's, so nothing moves.
            let runbook = "---\nid: other\n---\n" + text
            let before = runbook.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
                String(decoding: $0, as: UTF8.self)
            }
            let after = MarkdownFormatter.format(runbook).text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            #expect(before.count == after.count, "\(name)")
            for (b, a) in zip(before, after) where b != a {
                #expect(b.contains("{") && (b.contains("```") || b.contains("~~~")), "\(name): only a fence's attributes move: \(b)")
            }
            if text.contains("```") { fenced += 1 }
        }
        #expect(fenced >= 10, "enough of them have fenced blocks")
    }
}
