import Foundation
import Testing
@testable import Clients

@Suite struct ProtocolTests {
    @Test func sha1MatchesKnownDigests() {
        func hex(_ s: String) -> String { WebSocketHandshake.sha1(Array(s.utf8)).map { String(format: "%02x", $0) }.joined() }
        #expect(hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(String(repeating: "a", count: 1000)) == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }

    @Test func webSocketAcceptMatchesRFC6455() {
        #expect(WebSocketHandshake.accept(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func webSocketFramesRoundTrip() throws {
        for size in [0, 5, 125, 126, 70_000] {
            let payload = (0..<size).map { UInt8($0 & 0xFF) }
            let frame = WebSocketFrame.encode(opcode: 0x9, payload: payload, masked: true)
            let parsed = try #require(WebSocketFrame.parse(frame))
            #expect(parsed.opcode == 0x9)
            #expect(parsed.payload == payload)
            #expect(parsed.used == frame.count)
            #expect(WebSocketFrame.parse(Array(frame.dropLast())) == nil || size == 0)
        }
    }

    @Test func redisURLsParse() throws {
        let u = try RedisURL(parsing: "redis://:p%40ss@127.0.0.1:16379/2")
        #expect(u.host == "127.0.0.1" && u.port == 16379 && u.password == "p@ss" && u.database == 2 && u.username == nil)
        let d = try RedisURL(parsing: "redis://localhost")
        #expect(d.port == 6379 && d.database == 0 && d.password == nil)
        #expect(throws: RedisError.self) { try RedisURL(parsing: "http://x") }
        #expect(throws: RedisError.self) { try RedisURL(parsing: "redis://h/notanumber") }
    }

    @Test func redisInfoDerivesHitRateAndMemoryUse() {
        let info = RedisInfo(
            parsing:
                "# Memory\r\nused_memory:50\r\nmaxmemory:200\r\nmaxmemory_policy:allkeys-lru\r\n# Stats\r\nkeyspace_hits:90\r\nkeyspace_misses:10\r\n"
        )
        #expect(info.hitRatePercent == 90)
        #expect(info.memoryUsedPercent == 25)
        #expect(info.fields["maxmemory_policy"] == "allkeys-lru")
        #expect(info.sections["stats"]?["keyspace_hits"] == "90")
        #expect(RedisInfo(parsing: "maxmemory:0\r\nused_memory:5\r\n").memoryUsedPercent == nil)
    }

    @Test func httpResponsesParseWithChunkedBodies() throws {
        let raw = Array(
            "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n".utf8)
        let r = try HTTPClient.parse(raw, method: "GET")
        #expect(r.status == 503)
        #expect(r.headers["x-a"] == "b")
        #expect(r.bodyText == "Wikipedia")
        #expect(throws: NetworkError.self) { try HTTPClient.parse(Array("garbage\r\n\r\n".utf8), method: "GET") }
    }

    @Test func addressesSplit() throws {
        #expect(try TCPSocket.split("127.0.0.1:5432") == ("127.0.0.1", 5432))
        #expect(try TCPSocket.split("[::1]:6379") == ("::1", 6379))
        #expect(throws: NetworkError.self) { try TCPSocket.split("nohost") }
        #expect(throws: NetworkError.self) { try TCPSocket.split("h:99999") }
    }
}

@Suite struct SQLStatementTests {
    @Test func splitsAtSemicolonsOutsideQuotesAndComments() {
        let sql = """
            CREATE INDEX CONCURRENTLY a ON t (x);
            SELECT ';' AS "semi;colon" -- a comment; with a semicolon
            ;
            DO $body$ BEGIN PERFORM 1; END $body$;

            """
        #expect(
            SQLStatements.split(sql) == [
                "CREATE INDEX CONCURRENTLY a ON t (x)",
                #"SELECT ';' AS "semi;colon" -- a comment; with a semicolon"#,
                "DO $body$ BEGIN PERFORM 1; END $body$",
            ])
        #expect(SQLStatements.split("SELECT 'it''s; fine'") == ["SELECT 'it''s; fine'"])
    }
}
