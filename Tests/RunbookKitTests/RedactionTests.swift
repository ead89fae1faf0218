import Foundation
import Testing
@testable import RunbookKit

@Suite struct RedactionTests {
    @Test func masksPasswordsInURLsAndConnectionStrings() {
        let r = Redactor()
        let url = r.redact("postgres://app:s3cr3t-pw@db:5432/network_probe")
        #expect(!url.contains("s3cr3t-pw"))
        #expect(url.hasPrefix("postgres://app:"))
        #expect(!r.redact("host=db user=app password=hunter22 dbname=x").contains("hunter22"))
        #expect(Redaction.redactURL("redis://:pw123@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0")
    }

    @Test func masksHeadersEnvironmentAndPairs() {
        let r = Redactor()
        let text = """
            Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc
            PGPASSWORD=pgpass-value
            {"api_key": "key-12345", "token": "tok-999"}
            requirepass redis-pass-1
            AUTH default redis-pass-2
            """
        let out = r.redact(text)
        for secret in ["eyJhbGciOiJIUzI1NiJ9.abc", "pgpass-value", "key-12345", "tok-999", "redis-pass-1", "redis-pass-2"] {
            #expect(!out.contains(secret), "\(secret) leaked: \(out)")
        }
    }

    /// The targets' passwords, read as libpq and a URL say them, are the redactor's secrets.
    @Test func everyTargetsPasswordIsASecret() {
        let t = Targets(
            postgres: #"host=db user=app password='a b\'c' dbname=network_probe"#, redis: "redis://:p%40ss@127.0.0.1:6379/0",
            api: "http://127.0.0.1:8000")
        #expect(t.secrets == [#"a b'c"#, "p@ss"])
        #expect(Targets(postgres: "host=db password=bare-pw").secrets == ["bare-pw"])
        #expect(Targets(postgres: "postgresql://app@db/x?password=query-pw&sslmode=disable").secrets == ["query-pw"])
        #expect(Targets(postgres: "host=db user=app").secrets.isEmpty)
    }

    @Test func theSameSecretGetsTheSamePlaceholderEverywhere() {
        let r = Redactor(secrets: ["lab-password-xyz"])
        let a = r.redact("postgres://u:lab-password-xyz@h/db")
        let b = r.redact("the password is lab-password-xyz")
        let placeholder = try? #require(a.firstRange(of: "«secret-").map { String(a[$0.lowerBound...].prefix(10)) })
        #expect(placeholder != nil)
        #expect(b.contains(placeholder ?? "?"))
        #expect(!b.contains("lab-password-xyz"))
    }

    @Test func leavesOrdinaryTextAlone() {
        let r = Redactor()
        let text = "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle'"
        #expect(r.redact(text) == text)
    }

    @Test func redisAuthArgumentsAreAlwaysMasked() {
        let r = Redactor()
        #expect(r.redact(argv: ["AUTH", "pw-abc"]).last != "pw-abc")
        #expect(r.redact(argv: ["CONFIG", "SET", "requirepass", "new-pass"]).last != "new-pass")
        #expect(r.redact(argv: ["GET", "key"]) == ["GET", "key"])
    }
}
