import Clients
import Foundation
import Testing

/// rbsh's SHA-256 (transcript chains, runbook sources) agrees with coreutils' sha256sum.
@Suite struct FileDigestTests {
    @Test func sha256IsWhatSha256sumSays() throws {
        let dir = NSTemporaryDirectory() + "rbsh-digest-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inputs: [Data] = [
            Data(), Data("abc".utf8), Data(repeating: 0x61, count: 55), Data(repeating: 0x62, count: 64),
            Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }),
        ]
        for (i, data) in inputs.enumerated() {
            let path = "\(dir)/\(i)"
            try data.write(to: URL(fileURLWithPath: path))
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            p.arguments = [path]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            let expected = try #require(text.split(separator: " ").first.map(String.init))
            #expect(FileDigest.sha256(data) == expected, "input \(i), \(data.count) bytes")
            #expect(FileDigest.sha256(path: path) == expected)
        }
    }
}
