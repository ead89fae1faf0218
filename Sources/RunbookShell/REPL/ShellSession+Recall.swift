import Foundation
import IncidentMemory
import RunbookKit
import Runs

/// `recall`: what past sessions say of this one's causes, and the postmortem of the last one like it.
extension ShellSession {
    /// `recall`: the postmortem of the last past session that found this
    /// walk's first cause seen before; `recall TEXT`: past sessions like
    /// TEXT (a finding, a runbook, a symptom), best first.
    func recallPast(_ rest: String) {
        guard let memory else { return fail("the incident memory is off (memory.recall in the config)") }
        guard rest.isEmpty else { return listPast(rest, memory: memory) }
        guard let s = session else { return fail("no runbook started; `recall TEXT` searches past sessions") }
        let causes = SessionMemory.causes(of: s).map(\.name)
        guard !causes.isEmpty else { return fail("nothing found yet to recall; `recall TEXT` searches past sessions") }
        let said = recall(causes)
        if let problem = memory.problem { return fail(problem) }
        guard let cause = causes.first(where: { said[$0]?.last != nil }), let r = said[cause], let last = r.last else {
            return console.line(style.dim("new here: no past session found \(causes.joined(separator: ", "))"))
        }
        console.line(style.bold(cause) + " — " + r.line)
        console.line(style.dim("the last time: \(last.transcript)"))
        do {
            let past = try Transcript.readChain(path: last.transcript)
            console.out(TranscriptRendering.markdown(past, seenBefore: memory.seenBefore(past)))
        } catch {
            fail("\(error)")
        }
    }

    private func listPast(_ text: String, memory: SessionMemory) {
        do {
            let matches = try memory.search(text, runbooks: { self.catalogue.summaries }, since: nil, excluding: [transcriptPath])
            guard !matches.isEmpty else { return console.line(style.dim("no past session like `\(text)`")) }
            for m in matches { console.line(RecallListing.line(m, style: style)) }
        } catch {
            fail("\(error)")
        }
    }

    /// The recall line of each cause among `findings`, by finding id.
    func recallLines(_ s: RunbookSession) -> [String: String] {
        guard memory != nil else { return [:] }
        let causes = SessionMemory.causes(of: s)
        let said = recall(causes.map(\.name))
        var out: [String: String] = [:]
        for c in causes { if let id = c.finding?.id, let r = said[c.name] { out[id] = lines.recall(r) } }
        return out
    }
}

/// A past session on one line, as `recall TEXT` and `rbsh recall` list them.
enum RecallListing {
    static func line(_ m: MemoryIndex.Match, style: Style) -> String {
        var text = "\(m.started.prefix(16).replacingOccurrences(of: "T", with: " "))  \(m.user ?? "?")@\(m.host ?? "?")  "
        text += m.causes.isEmpty ? style.dim("nothing found") : m.causes.joined(separator: ", ")
        text += m.fixedBy.isEmpty ? "" : style.green("  fixed by " + m.fixedBy.joined(separator: ", "))
        text += style.dim(String(format: "  (%.2f)  ", m.score) + m.transcript + (m.gone ? " (gone)" : ""))
        return text
    }
}
