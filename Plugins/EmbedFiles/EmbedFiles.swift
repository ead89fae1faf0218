import Foundation
import PackagePlugin

/// Builds the runbooks (into RunbookKit) and the lab's SQL (into Lab) into
/// the binary, so an installed rbsh works from any folder, without a
/// generated copy in the repository: the Swift source is written at build
/// time, and again only when a file changes.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let root = context.package.directoryURL
        let name: String
        let files: [URL]
        var options: [String] = []
        switch target.name {
        case "RunbookKit":
            name = "BuiltinRunbookFiles"
            options = ["--summaries"]
            let folder = root.appendingPathComponent("runbooks")
            files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { $0.hasSuffix(".yaml") }.sorted().map { folder.appendingPathComponent($0) }
        case "Lab":
            name = "LabFiles"
            files = ["schema.sql", "indexes.sql", "data.sql"].map { root.appendingPathComponent("lab").appendingPathComponent($0) }
        default:
            return []
        }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("\(name).swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) files as \(name)",
                executable: try context.tool(named: "embed-files").url,
                arguments: [name, output.path] + options + files.map(\.path),
                inputFiles: files,
                outputFiles: [output])
        ]
    }
}
