import Foundation

/// A runbook: one case or tool of the guide, as steps the shell walks.
public struct Runbook: Sendable {
    public enum Category: String, Sendable, CaseIterable, Codable {
        case serviceDown = "service-down"
        case performance, functional, data, tool
    }

    public var id: String
    public var title: String
    /// The guide's own headings for this case (the Chinese ones among them),
    /// so an operator who knows the guide finds its section.
    public var aliases: [String]
    public var category: Category
    public var symptoms: [String]
    /// A paragraph on what it is for; `rbsh find` reads it too.
    public var description: String
    public var inputs: [Input]
    public var steps: [Step]
    public var remediations: [Remediation]
    /// Where it was loaded from: a path, or `built-in`.
    public var origin: String
    /// Where its `aliases` are written, for lint.
    public var aliasesLocation: FilePosition?
    /// The file it was read from; nil for a built-in one or one made in memory.
    public var source: RunbookSource?

    public init(
        id: String, title: String, aliases: [String] = [], category: Category,
        symptoms: [String] = [], description: String = "", inputs: [Input] = [], steps: [Step],
        remediations: [Remediation] = [], origin: String = "memory", aliasesLocation: FilePosition? = nil
    ) {
        self.id = id
        self.title = title
        self.aliases = aliases
        self.category = category
        self.symptoms = symptoms
        self.description = description
        self.inputs = inputs
        self.steps = steps
        self.remediations = remediations
        self.origin = origin
        self.aliasesLocation = aliasesLocation
    }

    public func step(_ id: String) -> Step? { steps.first { $0.id == id } }
    public func stepIndex(_ id: String) -> Int? { steps.firstIndex { $0.id == id } }
    public func remediation(_ id: String) -> Remediation? { remediations.first { $0.id == id } }

    /// The remediations that fix a finding, in the runbook's order.
    public func remediations(fixing findingID: String) -> [Remediation] {
        remediations.filter { $0.fixes.contains(findingID) }
    }
}

/// A value the runbook needs from the operator, an answers file or `--answer`.
public struct Input: Sendable, Hashable {
    public var id: String
    public var prompt: String
    public var choices: [String]
    public var defaultValue: String?

    public init(id: String, prompt: String, choices: [String] = [], defaultValue: String? = nil) {
        self.id = id
        self.prompt = prompt
        self.choices = choices
        self.defaultValue = defaultValue
    }
}

/// Severity of a finding, ordered.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case info, warning, critical

    private var rank: Int {
        switch self {
        case .info: return 0
        case .warning: return 1
        case .critical: return 2
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// How much a remediation may change, ordered.
public enum Risk: String, Sendable, Codable, CaseIterable, Comparable {
    /// Read-only or reversible.
    case safe
    /// Restarts, kills sessions, changes settings.
    case changes
    /// Loses data.
    case destructive

    private var rank: Int {
        switch self {
        case .safe: return 0
        case .changes: return 1
        case .destructive: return 2
        }
    }

    public static func < (a: Risk, b: Risk) -> Bool { a.rank < b.rank }
}
