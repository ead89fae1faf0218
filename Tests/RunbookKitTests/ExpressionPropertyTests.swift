import PropertyBased
import Testing
@testable import RunbookKit

/// No input crashes the expression parser, the evaluator or the loader.
@Suite struct ExpressionPropertyTests {
    static let vocabulary = [
        "a", "idle", "steps.c.idle", "vars.x", "targets.api", "status", "output", "not", "and", "or", "true", "false", "null",
        "==", "!=", "<", "<=", ">", ">=", "=~", "!~", "matches", "(", ")", "((", "))",
        "0", "1", "-1", "2.5", "250ms", "2s", "1h", "90%", "512MB", "7KB", "1e9", "..", ".5", "5.",
        "\"x\"", "'y'", "\"(unclosed", "\"[\"", "\"a|b\"", "'\\''", "=", "!", "$", "#", "&&", "||", "é", "数据", "\u{0}",
    ]

    static let tokens = Gen.element(of: vocabulary).map { $0 ?? "" }.array(of: 0...12).map { $0.joined(separator: " ") }

    static let scope = DictionaryScope([
        "a": .number(1), "idle": .number(80), "steps.c.idle": .number(3), "vars.x": .string("x"),
        "status": .string("ok"), "output": .string("FATAL: x"), "targets.api": .string("http://h"),
    ])

    @Test func tokenSoupNeverCrashesAndRoundTrips() async {
        await propertyCheck(count: 3000, input: Self.tokens) { text in
            guard let e = try? ExpressionParser.parse(text) else { return }
            let value = e.evaluate(in: Self.scope)
            let again = try? ExpressionParser.parse(e.description)
            #expect(again != nil, "`\(text)` printed as `\(e.description)`, which does not parse")
            #expect(again?.evaluate(in: Self.scope) == value, "`\(text)` and `\(e.description)` disagree")
        }
    }

    @Test func arbitraryTextNeverCrashesTheParser() async {
        let text = Gen.unicodeScalar(in: "\u{0}"..."\u{2FF}").array(of: 0...40).map { String(String.UnicodeScalarView($0)) }
        await propertyCheck(count: 3000, input: text) { s in
            do throws(ExpressionError) {
                let e = try ExpressionParser.parse(s)
                _ = e.evaluate(in: Self.scope)
            } catch {
                #expect(error.column >= 1 && error.column <= s.unicodeScalars.count + 1, "column \(error.column) outside `\(s)`")
            }
        }
    }

    @Test func arbitraryYAMLNeverCrashesTheLoader() async {
        let pieces = [
            "id: x\n", "title: T\n", "category: data\n", "steps:\n", "  - id: a\n", "    shell: echo\n", "    postgres: SELECT $1\n",
            "    next: b\n", "    findings:\n", "      - id: f\n", "        when: a >\n", "        severity: warning\n",
            "remediations:\n", "  - fixes: [f]\n", "    risk: destructive\n", "- \n", ": :\n", "  [\n", "'\n", "\t\n", "&a *a\n",
            "    timeout: -1s\n", "    runbook: x\n", "inputs: 5\n", "steps: {}\n", "    ask: q\n", "    choices: [a, b]\n",
        ]
        let docs = Gen.element(of: pieces).map { $0 ?? "" }.array(of: 0...20).map { $0.joined() }
        await propertyCheck(count: 2000, input: docs) { yaml in
            let outcome = RunbookLoader.load(yaml: yaml, file: "p.yaml")
            if outcome.runbook == nil { #expect(!outcome.errors.isEmpty, "rejected without saying why:\n\(yaml)") }
            for d in outcome.diagnostics { #expect(d.location.line >= 1 && d.location.column >= 1) }
        }
    }
}
