import Foundation
import Testing
import TestSupport

/// One binary, the package's: run through a link named rbsh-serve, rbsh is the receiver.
@Suite struct ServeLinkTests {
    @Test func rbshRunAsRbshServeIsTheReceiver() throws {
        let dir = NSTemporaryDirectory() + "rbsh-serve-link-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/rbsh-serve", withDestinationPath: LabFixture.binary)
        try FileManager.default.createSymbolicLink(atPath: dir + "/rbsh", withDestinationPath: LabFixture.binary)
        for (name, usage) in [("rbsh-serve", "USAGE: rbsh serve"), ("rbsh", "USAGE: rbsh <subcommand>")] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: dir + "/" + name)
            p.arguments = ["--help"]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(text.contains(usage), "\(name) --help: \(text.prefix(300))")
        }
    }
}
