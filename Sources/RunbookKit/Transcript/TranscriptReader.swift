import Foundation

/// A transcript read back: its header, its events, and what could not be read.
public struct Transcript: Sendable {
    public var path: String
    public var header: TranscriptHeader
    public var entries: [TranscriptEntry]
    /// A last line cut short (the shell was killed while writing it): its size.
    public var truncatedBytes: Int
    /// Lines in the middle that were not events, by line number.
    public var unreadableLines: [Int]

    /// It ends in a seal (whether the seal holds is `TranscriptVerification`'s to say).
    public var sealed = false

    /// The transcripts this one continues, oldest first, when read as a chain.
    public var earlier: [String] = []

    /// The events alone, in order.
    public var events: [TranscriptEvent] { entries.map(\.event) }

    /// Reads a transcript; a truncated last line is dropped and counted, not an error.
    public static func read(path: String) throws(TranscriptError) -> Transcript {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TranscriptError("cannot read \(path)")
        }
        return try parse(data, path: path)
    }

    /// Reads a transcript and every one it continues (`rbsh resume`), as one
    /// session: the first one's header, all their events in order.
    public static func readChain(path: String) throws(TranscriptError) -> Transcript {
        var latest = try read(path: path)
        var seen: Set<String> = [path]
        var current = latest
        while let previous = current.header.continues, seen.insert(previous).inserted, seen.count <= 100 {
            guard let older = try? read(path: previous) else {
                latest.earlier.insert(previous + " (cannot be read)", at: 0)
                break
            }
            latest.entries = older.entries + latest.entries
            latest.earlier.insert(previous, at: 0)
            latest.header = older.header
            current = older
        }
        return latest
    }

    public static func parse(_ data: Data, path: String) throws(TranscriptError) -> Transcript {
        let decoder = JSONDecoder()
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        var truncated = 0
        // A file that does not end in a newline was cut while writing its last line.
        if let last = lines.last {
            if last.isEmpty { lines.removeLast() } else { truncated = last.count; lines.removeLast() }
        }
        guard let first = lines.first else {
            // One line with no end: a header cut short says what it is before it stops; anything else is another file.
            let cut = truncated > 0 && String(decoding: data, as: UTF8.self).contains("\"format\":\"\(TranscriptHeader.format)\"")
            if truncated > 0, !cut { throw TranscriptError("\(path): the first line is not an rbsh transcript header") }
            throw TranscriptError(cut ? "\(path): the header was cut short; nothing to read" : "\(path) is empty")
        }
        let header: TranscriptHeader
        do { header = try decoder.decode(TranscriptHeader.self, from: Data(first)) } catch {
            throw TranscriptError("\(path): the first line is not an rbsh transcript header")
        }
        guard header.format == TranscriptHeader.format else { throw TranscriptError("\(path) is not an rbsh transcript") }
        guard header.version <= TranscriptHeader.version else {
            throw TranscriptError("\(path) is transcript version \(header.version); this rbsh reads up to \(TranscriptHeader.version)")
        }
        var entries: [TranscriptEntry] = []
        entries.reserveCapacity(lines.count)
        var unreadable: [Int] = []
        var sealed = false
        for (n, line) in lines.enumerated().dropFirst() {
            do {
                let entry = try decoder.decode(TranscriptEntry.self, from: Data(line))
                // The seal closes the chain; it is no event of the session.
                if case .unrecognized("seal") = entry.event { sealed = true } else { entries.append(entry) }
            } catch { unreadable.append(n + 1) }
        }
        var transcript = Transcript(
            path: path, header: header, entries: entries, truncatedBytes: truncated, unreadableLines: unreadable, earlier: [])
        transcript.sealed = sealed
        return transcript
    }
}
