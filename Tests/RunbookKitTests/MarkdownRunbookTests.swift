import Foundation
import Testing

@testable import RunbookKit

/// Markdown runbooks: read with cmark as the YAML runbook they stand for,
/// every problem reported where it is in the Markdown file.
@Suite struct MarkdownRunbookTests {
    /// The YAML loader's own sample, written as Markdown.
    static let sample = """
        ---
        id: sample
        category: service-down
        ---

        # Sample

        ## First

        Is the database there?

        ```sql { name=first timeout=5s }
        SELECT 1 AS one
        ```

        ```rbsh
        findings:
          - id: broken
            when: status != "ok" and not timed_out
            severity: critical
            message: "it broke: ${error}"
        next:
          - when: status != "ok"
            goto: last
        ```

        ## Last

        ~~~bash {"name": "last"}
        echo done
        ~~~

        ## Mend it

        ```sh { name=mend fixes=broken risk=changes verify=first }
        echo mended
        ```

        """

    func load(_ text: String, file: String = "guide.md") -> RunbookLoader.Outcome {
        RunbookLoader.load(markdown: text, file: file)
    }

    @Test func itIsTheSameRunbookAsItsYAMLTwin() throws {
        let md = try #require(load(Self.sample).runbook, "\(load(Self.sample).diagnostics)")
        let yaml = try #require(RunbookLoader.load(yaml: RunbookLoaderTests.valid, file: "t.yaml").runbook)
        #expect(md.id == yaml.id && md.title == yaml.title && md.category == yaml.category)
        #expect(md.steps.map(\.id) == yaml.steps.map(\.id))
        #expect(md.steps.map(\.action) == yaml.steps.map(\.action))
        #expect(md.steps.map(\.findings) == yaml.steps.map(\.findings))
        #expect(md.steps.map(\.next) == yaml.steps.map(\.next))
        #expect(md.steps[0].timeout == 5)
        #expect(md.steps[0].title == "First")
        #expect(md.steps[0].description == "Is the database there?", "the prose above a block describes its step")
        let r = try #require(md.remediations.first)
        #expect(r.id == "mend" && r.title == "Mend it" && r.fixes == ["broken"] && r.risk == .changes && r.verify == ["first"])
        #expect(r.action.action == yaml.remediations[0].action.action)
        #expect(md.steps[0].location?.line == 12, "a step is where its fence is")
    }

    @Test func problemsAreReportedWhereTheyAreInTheMarkdown() {
        let broken = Self.sample.replacingOccurrences(of: "when: status != \"ok\" and not timed_out", with: "when: status !!= \"ok\"")
            .replacingOccurrences(of: "goto: last", with: "goto: lats")
        let said = load(broken).diagnostics.map(\.description)
        // Line 19 of the file is the `when:` in the rbsh block, its value at column 11.
        #expect(said.contains { $0.hasPrefix("guide.md:19:") }, "\(said)")
        #expect(said.contains { $0.hasPrefix("guide.md:23:") && $0.contains("lats") }, "\(said)")
        #expect(!said.contains { !$0.hasPrefix("guide.md:") })
    }

    /// Runme's own cases (pkg/document/attributes_test.go), then ours.
    @Test func runmesAttributeFormsAreRead() {
        #expect(FenceAttributes("sh {}").values == [:])
        #expect(FenceAttributes("sh { hello=world key=value val=20 }").values == ["hello": "world", "key": "value", "val": "20"])
        #expect(FenceAttributes("sh { hello=world val=20 empty }").values == ["hello": "world", "val": "20", "empty": ""])
        #expect(
            FenceAttributes(#"sh {"hello":"world","key":"value","val":"20"}"#).values == ["hello": "world", "key": "value", "val": "20"])
        #expect(FenceAttributes(#"sh {"nested":{"hello":"world"}}"#).values == ["nested": #"{"hello":"world"}"#])
        #expect(FenceAttributes("sh { name=check-port interactive=false }").values == ["name": "check-port", "interactive": "false"])
        #expect(
            FenceAttributes(#"sh {"name":"check-port","interactive":false,"timeout":5}"#).values == [
                "name": "check-port", "interactive": "false", "timeout": "5",
            ])
        #expect(FenceAttributes(#"bash { name="two words" background }"#).values == ["name": "two words", "background": ""])
        #expect(FenceAttributes("SQL").language == "sql")
        #expect(FenceAttributes("sh { name=x").problem != nil)
        #expect(FenceAttributes(#"sh {"name": }"#).problem != nil)
    }

    @Test func commonMarkEdgesAreCommonMarks() throws {
        let body = """
            ---
            id: edges
            title: Edges
            category: tool
            ---

            1. In a list:

               ```sh { name=listed }
               echo listed
               ```

            > ```sh { name=quoted }
            > echo quoted
            > ```

                indented code is prose, not a step

            ```text
            not a language rbsh runs
            ```

            ```sh { name=never-closed }
            echo open
            """
        let rb = try #require(load(body).runbook, "\(load(body).diagnostics)")
        #expect(rb.steps.map(\.id) == ["listed", "quoted", "never-closed"])
        #expect(
            rb.steps.map(\.action) == [
                .shell(ShellAction(command: "echo listed")), .shell(ShellAction(command: "echo quoted")),
                .shell(ShellAction(command: "echo open")),
            ])
        let crlf = try #require(load(body.replacingOccurrences(of: "\n", with: "\r\n")).runbook)
        #expect(crlf.steps.map(\.action) == rb.steps.map(\.action))
        #expect(crlf.steps.map(\.location) == rb.steps.map(\.location))
    }

    @Test func aMarkdownFileWithoutFrontmatterIsNotARunbook() throws {
        let said = load("# Notes\n\n```sh\necho hi\n```\n").diagnostics.map(\.description)
        #expect(said == ["guide.md:1:1: not a Markdown runbook: one opens with frontmatter (---, id:, title:, category:, ---)"])
        let dir = NSTemporaryDirectory() + "rbsh-md-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "# About these runbooks\n".write(toFile: dir + "/README.md", atomically: true, encoding: .utf8)
        try Self.sample.write(toFile: dir + "/sample.md", atomically: true, encoding: .utf8)
        let catalogue = RunbookCatalogue(directories: [dir], includeBuiltins: false)
        #expect(catalogue.entries.map(\.id) == ["sample"], "a README beside the runbooks is not one")
        #expect(try catalogue.resolve("sample").source?.path.hasSuffix("/sample.md") == true)
    }

    /// Runme's frontmatter example (examples/frontmatter/shells/BASH.md) with rbsh's keys beside its own.
    @Test func runmesFrontmatterAndCellIdsAreLeftToRunme() throws {
        let text = """
            ---
            runme:
              id: 01HF7BT3HCDS1X1WJJHQFDR04W
              version: v3
            shell: bash
            id: shells
            title: Shells
            category: tool
            ---

            ```sh {"id":"01HF7BT3HCDS1X1WJJHMJ3M58G"}
            echo $0
            ```
            """
        let outcome = load(text)
        let rb = try #require(outcome.runbook, "\(outcome.diagnostics)")
        #expect(rb.steps.map(\.id) == ["step"], "Runme's cell id is not a step's name")
        #expect(rb.steps.first?.location?.line == 11)
    }

    /// Kinds no language stands for are written as a named `rbsh` block holding the whole step.
    @Test func aNamedRbshBlockIsAWholeStep() throws {
        let text = """
            ---
            id: whole
            title: Whole
            category: tool
            ---

            ## Is the port open

            The guide's first question.

            ```rbsh { name=port }
            tcp: 127.0.0.1:1
            timeout: 2s
            findings:
              - {id: closed, when: not connected and not timed_out, severity: warning, message: closed}
            ```

            ## Open it

            ```rbsh { name=open fixes=closed risk=safe }
            manual: open the port
            ```
            """
        let outcome = load(text)
        let rb = try #require(outcome.runbook, "\(outcome.diagnostics)")
        #expect(rb.steps.map(\.id) == ["port"])
        #expect(rb.steps[0].title == "Is the port open" && rb.steps[0].description == "The guide's first question.")
        #expect(rb.steps[0].timeout == 2 && rb.steps[0].findings.map(\.id) == ["closed"])
        guard case .tcp = rb.steps[0].action else {
            Issue.record("not a tcp step: \(rb.steps[0].action)")
            return
        }
        #expect(rb.remediations.map(\.id) == ["open"] && rb.remediations[0].fixes == ["closed"])
    }

    /// `find` reads a Markdown runbook's summary from its frontmatter, never from its prose.
    @Test func theSummaryIsTheFrontmattersNotTheProses() throws {
        let path = NSTemporaryDirectory() + "rbsh-summary-\(UUID().uuidString).md"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "---\nid: right\ntitle: Right\ncategory: tool\n---\n\ndescription: a line of prose that looks like a key\n\n```sh\necho\n```\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try #require(RunbookSummary.read(path: path))
        #expect(summary.id == "right" && summary.title == "Right" && summary.description.isEmpty, "\(summary)")
    }
}
