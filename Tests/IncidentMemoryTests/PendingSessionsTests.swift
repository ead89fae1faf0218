import Foundation
@testable import IncidentMemory
import Testing

/// Sessions whose end only appended their transcript's path beside the
/// index: every read of the index adds them first, none twice, none lost.
@Suite struct PendingSessionsTests {
    let sessions = MemoryIndexTests()
    var indexPath: String { sessions.indexPath }
    var pending: String { indexPath + ".pending" }

    @Test func aSessionsEndWaitsBesideTheIndexUntilTheNextRead() throws {
        defer { try? FileManager.default.removeItem(atPath: sessions.dir) }
        let a = try sessions.transcript("a.jsonl", started: sessions.daysAgo(2))
        let b = try sessions.transcript("b.jsonl", started: sessions.daysAgo(1), host: "db-2")
        // Kept as the index stores it (absolute, standardized), for a reader in another folder.
        try PendingSessions.append(sessions.dir + "/transcripts/./a.jsonl", beside: indexPath)
        try PendingSessions.append(b, beside: indexPath)
        #expect(!FileManager.default.fileExists(atPath: indexPath), "appending opened the index")
        #expect(try String(contentsOfFile: pending, encoding: .utf8) == a + "\n" + b + "\n")

        let said = try MemoryIndex(path: indexPath).recall(["db-connection-failure/postgres-unreachable"])
        #expect(said["db-connection-failure/postgres-unreachable"]?.seenEver == 2)
        #expect(try String(contentsOfFile: pending, encoding: .utf8).isEmpty)
        #expect(try MemoryIndex(path: indexPath).count() == 2)
    }

    @Test func aTranscriptGoneBeforeTheReadIsDropped() throws {
        defer { try? FileManager.default.removeItem(atPath: sessions.dir) }
        let a = try sessions.transcript("a.jsonl", started: sessions.daysAgo(1))
        try PendingSessions.append(a, beside: indexPath)
        try FileManager.default.removeItem(atPath: a)
        #expect(try MemoryIndex(path: indexPath).count() == 0)
        #expect(try String(contentsOfFile: pending, encoding: .utf8).isEmpty)
    }

    @Test func appendsWhileOthersReadAreAllAddedOnce() async throws {
        defer { try? FileManager.default.removeItem(atPath: sessions.dir) }
        let paths = try (0..<24).map { try sessions.transcript("s\($0).jsonl", started: sessions.daysAgo(1), host: "db-\($0)") }
        let index = indexPath
        _ = try MemoryIndex(path: index)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for path in paths { group.addTask { try PendingSessions.append(path, beside: index) } }
            for _ in 0..<4 { group.addTask { for _ in 0..<5 { _ = try MemoryIndex(path: index).count() } } }
            try await group.waitForAll()
        }
        #expect(try MemoryIndex(path: index).count() == paths.count)
        #expect(try String(contentsOfFile: pending, encoding: .utf8).isEmpty)
    }
}
