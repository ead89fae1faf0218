import Testing
@testable import RunbookKit

@Suite struct ExpressionTests {
    func eval(_ text: String, _ values: [String: Value] = [:]) throws -> Evaluation {
        try ExpressionParser.parse(text).evaluate(in: DictionaryScope(values))
    }

    @Test func comparesNumbersWithUnits() throws {
        #expect(try eval("duration > 2s", ["duration": .number(2500)]).holds)
        #expect(try !eval("duration > 2s", ["duration": .number(1500)]).holds)
        #expect(try eval("used >= 512MB", ["used": .number(536_870_912)]).holds)
        #expect(try eval("pct < 95%", ["pct": .number(94.9)]).holds)
        #expect(try eval("age >= 1h", ["age": .number(3_600_000)]).holds)
    }

    @Test func combinesWithAndOrNotAndParentheses() throws {
        let v: [String: Value] = ["a": .number(1), "b": .number(2)]
        #expect(try eval("a == 1 and b == 2", v).holds)
        #expect(try eval("a == 2 or b == 2", v).holds)
        #expect(try !eval("not (a == 1 or b == 3)", v).holds)
        #expect(try eval("not a == 2 and (b > 1)", v).holds)
    }

    @Test func matchesRegularExpressionsAndStrings() throws {
        let v: [String: Value] = ["output": .string("FATAL: too many connections"), "state": .string("idle")]
        #expect(try eval(#"output =~ "FATAL|PANIC""#, v).holds)
        #expect(try eval(#"output !~ "^ok""#, v).holds)
        #expect(try eval("state == 'idle'", v).holds)
        #expect(try eval(#"output matches "too many""#, v).holds)
    }

    @Test func aMissingNameIsUnknownNotACrash() throws {
        #expect(try eval("idle > 5") == .unknown(name: "idle"))
        // `and`/`or` that are already decided do not need the missing name.
        #expect(try eval("1 == 2 and idle > 5") == .value(.bool(false)))
        #expect(try eval("1 == 1 or idle > 5") == .value(.bool(true)))
        #expect(try eval("steps.connections.idle > 5") == .unknown(name: "steps.connections.idle"))
    }

    @Test(arguments: [
        ("idle >", 7, "expected a value"),
        ("idle = 5", 6, "`=` is not an operator"),
        ("(a == 1", 8, "missing `)`"),
        ("a == 'open", 6, "not closed"),
        ("a > 5 parsecs", 7, "unexpected name"),
        ("a > 5xb", 6, "unknown unit `xb`"),
        ("1 < a < 3", 7, "do not chain"),
        ("a $ b", 3, "unexpected character"),
    ])
    func reportsTheColumnOfTheFault(text: String, column: Int, message: String) {
        do {
            _ = try ExpressionParser.parse(text)
            Issue.record("`\(text)` parsed")
        } catch {
            #expect(error.column == column, "\(text): \(error)")
            #expect(error.message.contains(message), "\(text): \(error)")
        }
    }

    @Test func nullComparesOnlyEqualToNull() throws {
        #expect(try eval("x == null", ["x": .null]).holds)
        #expect(try !eval("x > 1", ["x": .null]).holds)
        #expect(try eval("x != null", ["x": .number(0)]).holds)
    }

    @Test func textFromProbesBecomesTypedValues() {
        #expect(Value(parsing: "42") == .number(42))
        #expect(Value(parsing: "t") == .bool(true))
        #expect(Value(parsing: "idle") == .string("idle"))
        #expect(Value(parsing: nil) == .null)
        #expect(Value(parsing: "-1.5") == .number(-1.5))
        #expect(Value(parsing: "00:00:01") == .string("00:00:01"))
    }
}

@Suite struct TemplateTests {
    @Test func fillsNamesAndReportsMissingOnes() {
        let scope = DictionaryScope(["total": .number(81), "targets.postgres.host": .string("127.0.0.1")])
        let out = Template.render("${total} on ${targets.postgres.host}, ${missing}", in: scope)
        #expect(out.text == "81 on 127.0.0.1, ${missing}")
        #expect(out.missing == ["missing"])
    }

    @Test func usesTheFallbackWhenANameHasNoValue() {
        let out = Template.render("log=${targets.postgres.log:-none} idle=${idle:-}", in: DictionaryScope([:]))
        #expect(out.text == "log=none idle=")
        #expect(out.missing.isEmpty)
        #expect(Template.names(in: "${a:-x} ${b}") == ["a", "b"])
    }

    @Test func aShellCommandIsNeverTemplated() {
        let action = StepAction.shell(ShellAction(command: "echo ${VALUE}", env: ["VALUE": "${vars.x}"]))
        let rendered = action.rendered(in: DictionaryScope(["vars.x": .string("; rm -rf /")]))
        guard case .shell(let s) = rendered.action else { Issue.record("not a shell action"); return }
        #expect(s.command == "echo ${VALUE}")
        #expect(s.env["VALUE"] == "; rm -rf /")
    }
}
