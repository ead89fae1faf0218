import Foundation
import Testing
@testable import RunbookKit

/// Runbooks are found by id, alias (any case or width) or unique prefix.
@Suite struct RunbookNamesTests {
    static let catalogue = RunbookCatalogue(directories: [], includeBuiltins: true)

    static var everyAlias: [(alias: String, id: String)] {
        catalogue.entries.flatMap { e in (e.runbook?.aliases ?? []).map { ($0, e.id) } }
    }

    @Test func everyAliasOfEveryRunbookNamesIt() throws {
        #expect(Self.everyAlias.count >= 30)
        for (alias, id) in Self.everyAlias {
            #expect(try Self.catalogue.resolve(alias).id == id, "\(alias)")
            // Case and full-width letters do not matter.
            let fullWidth = String(
                String.UnicodeScalarView(
                    alias.uppercased().unicodeScalars.map { s in
                        (0x21...0x7E).contains(s.value) ? Unicode.Scalar(s.value + 0xFEE0) ?? s : s
                    }))
            #expect(try Self.catalogue.resolve(fullWidth).id == id, "\(fullWidth)")
        }
    }

    @Test func aUniquePrefixNamesItAndASharedOneSaysWhichItCouldBe() throws {
        #expect(try Self.catalogue.resolve("db-conn").id == "db-connection-failure")
        #expect(try Self.catalogue.resolve("数据库").id == "db-connection-failure")
        #expect(try Self.catalogue.resolve("websocket").id == "websocket-failure")
        #expect(
            Self.catalogue.match("数据")
                == .ambiguous([
                    .init(id: "data-inconsistency", name: "数据不一致"), .init(id: "db-connection-failure", name: "数据库连接失败"),
                ]))
        #expect(throws: CatalogueError.self) { try Self.catalogue.resolve("d") }
        do {
            _ = try Self.catalogue.resolve("d")
        } catch {
            #expect(error.description == "`d` could name `data-inconsistency`, `db-connection-failure`; give more of the name")
        }
    }

    @Test func anUnknownNameGetsTheClosestIdOrAlias() {
        func message(_ name: String) -> String {
            do { _ = try Self.catalogue.resolve(name) } catch { return error.description }
            return "resolved"
        }
        #expect(message("trage") == "no runbook `trage`; did you mean `triage`?")
        #expect(message("dbconection") == "no runbook `dbconection`; did you mean `db-connection-failure`?")
        #expect(message("数据酷连接失败") == "no runbook `数据酷连接失败`; did you mean `数据库连接失败` (db-connection-failure)?")
        #expect(message("xyzzy") == "no runbook `xyzzy`; `rbsh list` shows them, `rbsh find SYMPTOM` searches them")
    }

    @Test func includesMayNameARunbookByAlias() throws {
        let rb = try #require(
            RunbookLoader.load(
                yaml: """
                    id: outer
                    title: Outer
                    category: tool
                    steps:
                      - id: memory
                        runbook: 内存使用过高
                    """, file: "o.yaml"
            ).runbook)
        var known: [String: Runbook] = [:]
        for e in Self.catalogue.entries { if let r = e.runbook { known[r.id] = r } }
        #expect(CatalogueChecker.check([rb], known: known).isEmpty)
        var s = RunbookSession(runbook: rb, policy: .person, resolve: { try? Self.catalogue.resolve($0) })
        guard case .run(let first) = s.start() else {
            Issue.record("the included runbook did not start")
            return
        }
        #expect(first.step.id.hasPrefix("memory/"))
        #expect(s.currentRunbook.id == "high-memory")
    }
}

/// `find`: the guide's cases from their symptoms, in both languages.
@Suite struct RunbookFinderTests {
    static let finder = RunbookFinder(RunbookNamesTests.catalogue.summaries)

    /// Each of the guide's cases, each symptom it lists, in English, in Chinese and as written.
    static var symptoms: [(id: String, query: String)] {
        var out: [(String, String)] = []
        for e in RunbookNamesTests.catalogue.entries {
            guard let rb = e.runbook, rb.category != .tool else { continue }
            for symptom in rb.symptoms { for variant in RunbookFinder.variants(of: symptom) { out.append((rb.id, variant)) } }
        }
        return out
    }

    @Test func everySymptomOfEveryCaseFindsItFirst() {
        #expect(Self.symptoms.count >= 36, "six cases, three symptoms each, three forms each")
        for (id, query) in Self.symptoms {
            let hits = Self.finder.find(query)
            guard let first = hits.first else {
                Issue.record("`\(query)` found nothing")
                continue
            }
            // The guide lists 认证失败 under two cases: both come first, tied.
            let mine = hits.first { $0.id == id }
            #expect(first.id == id || mine?.score == first.score, "`\(query)` found \(hits.map(\.id)) first, not \(id)")
        }
    }

    @Test func whatAnOperatorTypesFindsTheCase() {
        #expect(Self.finder.find("API接口无响应").first?.id == "management-platform-down")
        #expect(Self.finder.find("connection timed out").first?.id == "db-connection-failure")
        #expect(Self.finder.find("agents keep disconnecting").first?.id == "websocket-failure")
        #expect(Self.finder.find("OOM").first?.id == "high-memory")
        #expect(Self.finder.find("重复数据").first?.matched == "duplicate data (重复数据)")
        #expect(Self.finder.find("qwertyuiop").isEmpty)
    }

    @Test func theBuiltInSummariesWrittenAtBuildTimeAreTheRunbooks() {
        #expect(BuiltinRunbookFiles.summaries == RunbookNamesTests.catalogue.summaries)
        #expect(RunbookCatalogue.summaries(directories: []) == BuiltinRunbookFiles.summaries)
    }

    /// `find` reads a folder's runbooks for their summaries only: the same
    /// summaries as loading each whole, whatever order the keys are in.
    @Test func aFoldersSummariesReadFromTheHeadAreTheRunbooksLoadedWhole() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("runbooks").path
        let whole = RunbookCatalogue(directories: [folder], includeBuiltins: false).summaries
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }
        #expect(whole.count == files.count && !whole.isEmpty)
        #expect(RunbookCatalogue.summaries(directories: [folder]).prefix(whole.count) == whole[...])

        let dir = NSTemporaryDirectory() + "rbsh-summary-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reordered = """
            # keys in another order, a sequence at the key's own indentation
            steps:
              - id: one
                shell: "echo id: not-this"
            symptoms:
            - slow pages
            - 页面很慢
            id: reordered
            description: |
              title: not a key, part of the text
            category: performance
            title: Keys out of order
            """
        try reordered.write(toFile: dir + "/reordered.yaml", atomically: true, encoding: .utf8)
        let loaded = try #require(RunbookLoader.load(path: dir + "/reordered.yaml").runbook)
        #expect(RunbookSummary.read(path: dir + "/reordered.yaml") == RunbookSummary(loaded))
        #expect(RunbookSummary.read(path: dir + "/reordered.yaml")?.symptoms == ["slow pages", "页面很慢"])
        try "steps: [\n".write(toFile: dir + "/broken.yaml", atomically: true, encoding: .utf8)
        #expect(RunbookSummary.read(path: dir + "/broken.yaml") == nil)
    }

    /// The summaries kept between runs follow the files: a changed file is
    /// read again, a broken cache is read around.
    @Test func keptSummariesFollowTheFiles() throws {
        let dir = NSTemporaryDirectory() + "rbsh-summary-cache-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["XDG_CACHE_HOME": dir + "/cache"]
        func write(_ title: String) throws {
            try "id: mine\ntitle: \(title)\ncategory: tool\nsteps:\n  - id: a\n    shell: \"true\"\n".write(
                toFile: dir + "/runbooks/mine.yaml", atomically: true, encoding: .utf8)
        }
        func title() -> String? {
            RunbookCatalogue.summaries(directories: [dir + "/runbooks"], environment: env).first { $0.id == "mine" }?.title
        }
        try write("First")
        #expect(title() == "First")
        #expect(FileManager.default.fileExists(atPath: dir + "/cache/rbsh/summaries.json"))
        // A file unchanged since is not read again: what the cache says is the answer.
        let cachePath = dir + "/cache/rbsh/summaries.json"
        let kept = try String(contentsOfFile: cachePath, encoding: .utf8)
        try kept.replacingOccurrences(of: "\"First\"", with: "\"Kept\"").write(toFile: cachePath, atomically: true, encoding: .utf8)
        #expect(title() == "Kept", "from the cache")
        try write("Second, longer")
        #expect(title() == "Second, longer", "a changed file is read again")
        try "not json".write(toFile: dir + "/cache/rbsh/summaries.json", atomically: true, encoding: .utf8)
        #expect(title() == "Second, longer", "a broken cache is read around")
    }
}
