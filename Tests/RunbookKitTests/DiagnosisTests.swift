import Foundation
import Testing
@testable import RunbookKit

/// Ranking what several runbooks found: causes before the symptoms they
/// explain, duplicates once. Pure logic.
@Suite struct DiagnosisTests {
    static func finding(_ id: String, _ severity: Severity = .warning, state: Finding.State = .open) -> Finding {
        let book = String(id.split(separator: "/").first ?? "")
        return Finding(id: id, severity: severity, message: id, step: book + "/step", state: state, runbook: book)
    }

    @Test func aCauseRanksBeforeWhatItExplainsEvenWhenFoundLater() {
        let found = [
            Self.finding("api/not-answering", .critical),
            Self.finding("ws/unreachable", .critical),
            Self.finding("api/port-taken", .critical),
        ]
        let (d, ranked) = Diagnosis.rank(found, explains: ["api/port-taken": ["api/not-answering", "ws/unreachable"]])
        #expect(d.startWith == "api")
        #expect(d.causes == [Diagnosis.Cause(finding: "api/port-taken", explains: ["api/not-answering", "ws/unreachable"])])
        #expect(ranked.map(\.id) == ["api/port-taken", "api/not-answering", "ws/unreachable"])
    }

    @Test func explanationsChainAndACauseListsAllItExplains() {
        let found = [Self.finding("slow/api-slow", .critical), Self.finding("db/near-limit"), Self.finding("db/idle")]
        let (d, _) = Diagnosis.rank(found, explains: ["db/idle": ["db/near-limit"], "db/near-limit": ["slow/api-slow"]])
        #expect(d.causes.map(\.finding) == ["db/idle"])
        #expect(d.causes.first?.explains == ["slow/api-slow", "db/near-limit"])
        #expect(d.startWith == "db")
    }

    @Test func independentFaultsAreEachACauseTheWorstFirst() {
        let found = [Self.finding("data/duplicates"), Self.finding("ws/no-upgrade", .critical), Self.finding("redis/full")]
        let (d, _) = Diagnosis.rank(found, explains: [:])
        #expect(d.causes.map(\.finding) == ["ws/no-upgrade", "data/duplicates", "redis/full"])
        #expect(d.startWith == "ws")
    }

    @Test func aWarningThatExplainsACriticalOutranksALoneCritical() {
        let found = [Self.finding("ws/no-upgrade", .critical), Self.finding("slow/api-slow", .critical), Self.finding("slow/lock-wait")]
        let (d, _) = Diagnosis.rank(found, explains: ["slow/lock-wait": ["slow/api-slow"]])
        // Both explain a critical; the lock wait explains more.
        #expect(d.causes.map(\.finding) == ["slow/lock-wait", "ws/no-upgrade"])
    }

    @Test func theSameFindingFromTwoRunbooksIsReportedOnce() {
        let found = [
            Self.finding("api/port-free", .critical), Self.finding("ws/port-free", .critical), Self.finding("ws/unreachable", .critical),
        ]
        let (d, ranked) = Diagnosis.rank(found, explains: ["ws/port-free": ["ws/unreachable"]])
        #expect(ranked.map(\.id) == ["api/port-free", "ws/unreachable"])
        // What the dropped one explained goes to the one kept.
        #expect(d.causes == [Diagnosis.Cause(finding: "api/port-free", explains: ["ws/unreachable"])])
    }

    @Test func infoAndUnknownAreNeverCausesAndComeLast() {
        let found = [
            Self.finding("api/no-docker", .info), Self.finding("api/db-failing", .critical, state: .unknown),
            Self.finding("data/stale"),
        ]
        let (d, ranked) = Diagnosis.rank(found, explains: [:])
        #expect(d.causes.map(\.finding) == ["data/stale"])
        #expect(ranked.map(\.id) == ["data/stale", "api/no-docker", "api/db-failing"])
    }

    @Test func aLoopOfExplanationsStillNamesACause() {
        let found = [Self.finding("a/x"), Self.finding("b/y")]
        let (d, _) = Diagnosis.rank(found, explains: ["a/x": ["b/y"], "b/y": ["a/x"]])
        #expect(d.causes.map(\.finding) == ["a/x"])
        #expect(d.causes.first?.explains == ["b/y"])
    }

    @Test func nothingFoundStartsNowhere() {
        let (d, ranked) = Diagnosis.rank([Self.finding("api/no-docker", .info)], explains: [:])
        #expect(d.startWith == nil)
        #expect(d.causes.isEmpty)
        #expect(ranked.count == 1)
        let json = String(decoding: (try? JSONEncoder().encode(d)) ?? Data(), as: UTF8.self)
        #expect(json.contains(#""start_with":null"#))
    }
}
