// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "rbsh",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rbsh", targets: ["rbsh"]),
        .executable(name: "rbsh-serve", targets: ["rbsh-serve"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CLibEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMark", pkgConfig: "libcmark", providers: [.apt(["libcmark-dev"])]),

        // rbsh; through a link named rbsh-serve (the package's), the receiver: one binary to ship.
        .executableTarget(name: "rbsh", dependencies: ["RunbookShell", "AlertServing"], swiftSettings: strict),
        // `rbsh serve`'s receiver as a program of its own, built from the receiver alone.
        .executableTarget(name: "rbsh-serve", dependencies: ["AlertServing"], swiftSettings: strict),
        // Alertmanager's webhook receiver (Hummingbird) over the run services.
        // No terminal, no lab, no line editing: the run services and the options it shares with rbsh.
        .target(
            name: "AlertServing",
            dependencies: [
                "Runs", "CommandOptions", "RunbookKit", "AlertReceiving", "Clients", "IncidentMemory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // The command line and the REPL: argument parsing, the terminal, the lab's commands.
        .target(
            name: "RunbookShell",
            dependencies: [
                "Runs", "CommandOptions", "RunbookKit", "Probes", "Clients", "LineEditing", "Lab", "AlertReceiving", "Fleet",
                "IncidentMemory", .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Run services, for the CLI and rbsh serve alike: a session's set-up, targets and config, answers,
        // resuming, runs over hosts and their report, the run report, the alert → run path, and recall.
        .target(
            name: "Runs",
            dependencies: [
                "RunbookKit", "Probes", "Clients", "Fleet", "AlertReceiving", "IncidentMemory", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        // The options rbsh and rbsh-serve both take (argument-parser), over the run services.
        .target(
            name: "CommandOptions",
            dependencies: ["Runs", "RunbookKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),
        .target(
            name: "RunbookKit",
            dependencies: [
                "OutputCapture", "Clients", "CMark",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict,
            plugins: ["EmbedFiles"]
        ),
        // Alertmanager's notifications, the rules that map them to runbooks, and the queue of runs they start.
        .target(
            name: "AlertReceiving",
            dependencies: ["RunbookKit", .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // Incident memory: past sessions' causes and fixes, in SQLite (GRDB), and what they say of a diagnosis.
        .target(
            name: "IncidentMemory",
            dependencies: ["RunbookKit", "Clients", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        // Ansible inventories (INI, YAML, dynamic, comma lists) and host patterns, read as Ansible reads them.
        .target(name: "Fleet", dependencies: ["Clients", .product(name: "Yams", package: "Yams")], swiftSettings: strict),
        // Head-and-tail capture of a step's output, for the clients and the transcript alike.
        .target(name: "OutputCapture", swiftSettings: strict),
        // Connection clients: PostgreSQL, Redis, sockets, TLS, HTTP, WebSocket, processes, /proc. No runbook model.
        .target(name: "Clients", dependencies: ["OutputCapture", "CLibPQ", "CHiredis", "COpenSSL"], swiftSettings: strict),
        // One adapter per step kind: a client's answer or error as a StepResult.
        .target(name: "Probes", dependencies: ["RunbookKit", "Clients", "OutputCapture", "Fleet"], swiftSettings: strict),
        .target(name: "LineEditing", dependencies: ["CLibEdit"], swiftSettings: strict),
        .target(
            name: "Lab",
            dependencies: ["RunbookKit", "Clients", "OutputCapture", "COpenSSL"],
            swiftSettings: strict,
            plugins: ["EmbedFiles"]
        ),

        // The runbooks and the lab's SQL, built into the binary at build time.
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"]),
        .executableTarget(
            name: "embed-files", dependencies: [.product(name: "Yams", package: "Yams")], path: "Plugins/EmbedFilesTool",
            swiftSettings: strict),

        .executableTarget(
            name: "rbsh-bench", dependencies: ["Lab", "Probes", "Clients", "RunbookKit", "OutputCapture", "IncidentMemory"],
            path: "bench/rbsh-bench",
            swiftSettings: strict),
        .target(
            name: "TestSupport", dependencies: ["Lab", "RunbookKit", "Probes", "Clients"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(
            name: "RunbookKitTests",
            dependencies: ["RunbookKit", "OutputCapture", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")],
            exclude: ["Corpus", "Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(name: "ProbesTests", dependencies: ["Probes", "Clients", "OutputCapture", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "RunbookShellTests", dependencies: ["RunbookShell", "Runs", "LineEditing", "Clients", "TestSupport"],
            swiftSettings: strict),
        .testTarget(name: "LabTests", dependencies: ["Lab", "Clients", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "FleetTests", dependencies: ["Fleet", "TestSupport", "Clients"], swiftSettings: strict),
        .testTarget(name: "IncidentMemoryTests", dependencies: ["IncidentMemory", "RunbookKit"], swiftSettings: strict),
        .testTarget(
            name: "AlertReceivingTests", dependencies: ["AlertReceiving", "RunbookKit", "TestSupport", "Clients"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
