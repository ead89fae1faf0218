import Foundation
import RunbookKit

/// A runbook a transcript walked, found again for a resume or a replay: in
/// the file its `runbook_start` names while that file is there (from any
/// folder, with or without `--runbooks`), else in the search path.
public struct RecordedRunbook {
    public let book: Runbook
    /// One line when the file changed since it was recorded, or is gone and
    /// the search path's runbook of that id is used instead.
    public let note: String?

    public static func find(_ id: String, in events: [TranscriptEvent], catalogue: RunbookCatalogue) throws(CatalogueError)
        -> RecordedRunbook
    {
        let recorded = events.reversed().lazy.compactMap { event -> RunbookSource? in
            if case .runbookStarted(id, _, let source?) = event { source } else { nil }
        }.first
        guard let source = recorded else { return RecordedRunbook(book: try catalogue.resolve(id), note: nil) }
        guard FileManager.default.fileExists(atPath: source.path) else {
            guard let book = try? catalogue.resolve(id), book.id == id else {
                throw .notFound("no runbook `\(id)`: \(source.path), where it was read from, is gone and the search path has none")
            }
            return RecordedRunbook(book: book, note: "\(source.path), where \(id) was read from, is gone; using \(book.origin)")
        }
        let outcome = RunbookLoader.load(path: source.path)
        guard let book = outcome.runbook else { throw .invalid(outcome.errors) }
        guard book.id == id else { throw .notFound("\(source.path) now holds runbook `\(book.id)`, not `\(id)`") }
        let changed = source.sha256 != nil && book.source?.sha256 != source.sha256
        return RecordedRunbook(
            book: book, note: changed ? "\(source.path) changed since \(id) was recorded from it; using it as it is now" : nil)
    }
}
