import Foundation

/// What `find` reads of a runbook: its names and what it is for. The
/// built-in runbooks' summaries are written at build time (so `rbsh find`
/// need not parse every runbook); a folder's come from loading it.
public struct RunbookSummary: Sendable, Hashable {
    public var id: String
    public var title: String
    public var category: String
    public var aliases: [String]
    public var symptoms: [String]
    public var description: String

    public init(id: String, title: String, category: String, aliases: [String], symptoms: [String], description: String) {
        self.id = id
        self.title = title
        self.category = category
        self.aliases = aliases
        self.symptoms = symptoms
        self.description = description
    }

    public init(_ runbook: Runbook) {
        self.init(
            id: runbook.id, title: runbook.title, category: runbook.category.rawValue, aliases: runbook.aliases,
            symptoms: runbook.symptoms, description: runbook.description)
    }
}
