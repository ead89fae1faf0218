// embed-files NAME OUTPUT [--summaries] FILE...: writes OUTPUT, a Swift
// source declaring `enum NAME { static let files: [(name: String, text: String)] }`
// with each FILE's base name and text, as raw string literals. With
// --summaries (runbooks), also `NAME.summaries: [RunbookSummary]`: each
// runbook's id, title, category, aliases, symptoms and description, read
// here so that `rbsh find` answers without parsing every runbook. Run by the
// EmbedFiles build-tool plugin.
import Foundation
import Yams

let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: embed-files NAME OUTPUT FILE...\n".utf8))
    exit(64)
}
let (name, output) = (args[0], args[1])
let summaries = args.dropFirst(2).first == "--summaries"
let files = args.dropFirst(summaries ? 3 : 2)

/// An ordinary string literal for one line of text or several.
func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if scalar.value < 0x20 { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out + "\""
}

/// The summary of one runbook file, as Swift source; nil when it has no id.
func summary(of text: String) -> String? {
    guard let node = try? Yams.compose(yaml: text), let id = node["id"]?.string else { return nil }
    func strings(_ key: String) -> String {
        let items = node[key]?.sequence?.compactMap(\.string) ?? node[key]?.string.map { [$0] } ?? []
        return "[" + items.map(quoted).joined(separator: ", ") + "]"
    }
    let fields = [
        "id: \(quoted(id))", "title: \(quoted(node["title"]?.string ?? ""))", "category: \(quoted(node["category"]?.string ?? "tool"))",
        "aliases: \(strings("aliases"))", "symptoms: \(strings("symptoms"))", "description: \(quoted(node["description"]?.string ?? ""))",
    ]
    return "RunbookSummary(" + fields.joined(separator: ", ") + ")"
}

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
var summaryLines: [String] = []
for path in files {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        FileHandle.standardError.write(Data("embed-files: cannot read \(path)\n".utf8))
        exit(1)
    }
    source += "        (\"\((path as NSString).lastPathComponent)\", \(literal(text))),\n"
    if summaries, let line = summary(of: text) { summaryLines.append("        " + line + ",") }
}
source += "    ]\n"
if summaries {
    source += "\n    static let summaries: [RunbookSummary] = [\n" + summaryLines.map { $0 + "\n" }.joined() + "    ]\n"
}
source += "}\n"
do {
    // Written only when it changes, so an unchanged file recompiles nothing.
    if (try? String(contentsOfFile: output, encoding: .utf8)) != source {
        try source.write(toFile: output, atomically: true, encoding: .utf8)
    }
} catch {
    FileHandle.standardError.write(Data("embed-files: cannot write \(output): \(error)\n".utf8))
    exit(1)
}
