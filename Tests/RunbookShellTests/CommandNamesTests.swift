import ArgumentParser
import Testing

@testable import RunbookShell

/// Every command names itself. A command without a `commandName` is named at
/// every start by reflecting on its type (`String(describing:)`), a dynamic
/// cast that scans the binary's protocol conformances: about 3 ms of every
/// `rbsh` invocation, `--version` included (docs/benchmarks.md).
@Suite struct CommandNamesTests {
    static func unnamed(_ command: any ParsableCommand.Type, path: String = "") -> [String] {
        let configuration = command.configuration
        let here = path + (configuration.commandName ?? "?\(command)")
        let own = configuration.commandName == nil ? [here] : []
        return own + configuration.subcommands.flatMap { unnamed($0, path: here + " ") }
    }

    @Test func everyCommandNamesItself() {
        #expect(Self.unnamed(RbshCommand.self) == [])
        #expect(RbshCommand.configuration.subcommands.count > 10, "the tree was walked")
    }
}
