import Fleet
import Foundation
import LineEditing
import RunbookKit

/// What the shell shows on request: help, runbooks, steps, findings, the
/// transcript so far; and Tab completion.
extension ShellSession {
    func toggleExpanded(_ rest: String) {
        if let mode = TextPresenter.Expanded(rawValue: rest.lowercased()) {
            presenter.expanded = mode
        } else if rest.isEmpty {
            presenter.expanded = presenter.expanded == .on ? .off : .on
        } else {
            return fail("\\x [on|off|auto]")
        }
        console.line("expanded display is \(presenter.expanded.rawValue)")
    }

    /// `transcript` prints the path; `transcript export markdown|json [FILE]` writes the session so far.
    func exportTranscript(_ rest: String) {
        let words = rest.split(separator: " ").map(String.init)
        guard let verb = words.first else {
            console.line(transcriptPath)
            return
        }
        guard verb == "export" else { return fail("transcript [export markdown|json [FILE]]") }
        let format = words.count > 1 ? words[1] : "markdown"
        guard format == "markdown" || format == "json" else { return fail("export as markdown or json") }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: transcriptPath))
            let t = try Transcript.parse(data, path: transcriptPath)
            let text = format == "markdown" ? TranscriptRendering.markdown(t) : TranscriptRendering.json(t, raw: data)
            if words.count > 2 {
                try text.write(toFile: words[2], atomically: true, encoding: .utf8)
                console.line("written to \(words[2])")
            } else {
                console.out(text)
            }
        } catch {
            fail("cannot export \(transcriptPath): \(error)")
        }
    }

    func help(_ rest: String) {
        if !rest.isEmpty {
            guard let e = ShellCommandTable.entry(rest) else { return fail("no command `\(rest)`") }
            console.line("\(e.usage)\n  \(e.summary)\n  example: \(e.example)")
            return
        }
        console.out(ShellCommandTable.help(width: Int(Spinner.terminalColumns())))
        console.line("Ctrl-C stops a running step; at the prompt it clears the line.")
    }

    func listRunbooks() {
        for e in catalogue.entries {
            console.line(
                "  \(e.id.padding(toLength: 26, withPad: " ", startingAt: 0)) \(e.runbook?.title ?? "BROKEN: rbsh lint \(e.path)")")
        }
    }

    func showSteps() {
        guard let s = session else { return fail("no runbook started") }
        if s.currentRunbook.id != s.runbook.id { console.line(style.dim("in \(s.currentRunbook.id), included by \(s.runbook.id)")) }
        for (i, step) in s.currentRunbook.steps.enumerated() {
            let here = s.currentStepIndex == i ? style.bold("→") : " "
            let status = s.results[s.currentPrefix + step.id].map { style.status($0.status) } ?? style.dim("not run")
            console.line("\(here) \(i + 1). \(step.id.padding(toLength: 18, withPad: " ", startingAt: 0)) \(status)  \(step.title)")
        }
    }

    func showFindings() {
        guard let s = session else { return fail("no runbook started") }
        guard !s.findings.isEmpty else {
            console.line("no findings")
            return
        }
        let seen = recallLines(s)
        for f in s.findings.sorted(by: { $0.severity > $1.severity }) {
            let state = f.state == .open ? "" : style.dim(" [\(f.state.rawValue)]")
            console.line(lines.finding(f, qualifier: state))
            if let line = seen[f.id] { console.line("    " + line) }
            let fixes = s.allRemediations.filter { $0.fixes.contains(f.id) }.map { "\($0.id) [\($0.risk.rawValue)]" }
            if f.state == .open, !fixes.isEmpty { console.line(style.dim("    fix: " + fixes.joined(separator: ", "))) }
        }
    }

    // MARK: - Completion

    func completions(forLine line: String) -> [String] {
        let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if words.count <= 1 { return ShellCommandTable.names }
        switch words[0] {
        case "start": return catalogue.names.map(\.name)
        case "goto": return session?.currentRunbook.steps.map(\.id) ?? []
        case "fix": return session?.allRemediations.map(\.id) ?? []
        case "help": return ShellCommandTable.names
        case "target": return words.count == 2 ? ["postgres", "redis", "api"] : []
        case "transcript": return words.count == 2 ? ["export"] : (words.count == 3 ? ["markdown", "json"] : files(words.last ?? ""))
        case "\\x", "expanded": return ["on", "off", "auto"]
        case "sh": return files(words.last ?? "")
        // An inventory file, or `none`; then the groups and hosts it names, for the pattern.
        case "hosts":
            if words.count == 2 { return ["none"] + files(words.last ?? "") }
            // Never by running an executable inventory: Tab runs nothing.
            let path = (words[1] as NSString).expandingTildeInPath
            guard words.count == 3, !FileManager.default.isExecutableFile(atPath: path) || path.contains(","),
                let inv = try? Inventory.load(path)
            else { return [] }
            return inv.groups.keys.sorted() + inv.hosts
        case "check": return words.count == 2 ? ["system", "tcp", "listen", "tls", "ws"] : []
        default: return []
        }
    }

    /// File names for a partial path, folders with a trailing slash.
    private func files(_ partial: String) -> [String] {
        let dir = partial.contains("/") ? String(partial[...(partial.lastIndex(of: "/") ?? partial.startIndex)]) : ""
        let listing = (try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir)) ?? []
        return listing.filter { !$0.hasPrefix(".") }.sorted().map { name in
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: dir + name, isDirectory: &isDir)
            return dir + name + (isDir.boolValue ? "/" : "")
        }
    }
}
