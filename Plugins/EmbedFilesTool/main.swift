// embed-files NAME OUTPUT FILE...: writes OUTPUT, a Swift source declaring
// `enum NAME { static let files: [(name: String, text: String)] }` with each
// FILE's base name and text, as raw string literals. Run by the EmbedFiles
// build-tool plugin.
import Foundation

let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: embed-files NAME OUTPUT FILE...\n".utf8))
    exit(64)
}
let (name, output, files) = (args[0], args[1], args.dropFirst(2))

/// A raw string literal that holds `text` exactly: enough `#`s that nothing
/// in the text closes it or interpolates.
func literal(_ text: String) -> String {
    var hashes = "#"
    while text.contains("\"\"\"" + hashes) || text.contains("\\" + hashes) { hashes += "#" }
    let body = text.hasSuffix("\n") ? text : text + "\n"
    return hashes + "\"\"\"\n" + body + "\"\"\"" + hashes
}

var source = "// Generated at build time by the EmbedFiles plugin from the files it names.\n"
source += "enum \(name) {\n    static let files: [(name: String, text: String)] = [\n"
for path in files {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        FileHandle.standardError.write(Data("embed-files: cannot read \(path)\n".utf8))
        exit(1)
    }
    source += "        (\"\((path as NSString).lastPathComponent)\", \(literal(text))),\n"
}
source += "    ]\n}\n"
do {
    // Written only when it changes, so an unchanged file recompiles nothing.
    if (try? String(contentsOfFile: output, encoding: .utf8)) != source {
        try source.write(toFile: output, atomically: true, encoding: .utf8)
    }
} catch {
    FileHandle.standardError.write(Data("embed-files: cannot write \(output): \(error)\n".utf8))
    exit(1)
}
