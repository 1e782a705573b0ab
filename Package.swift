// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Lake",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lake", targets: ["lake"]),
        .library(name: "LakeKit", targets: ["LakeKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // Pipeline files are YAML: what these users already write for their configs.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // CSV files become query tables through a tested RFC 4180 reader, and CSV output is
        // written by the same library.
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        // SHA-256 from the system's OpenSSL libcrypto: it uses the CPU's SHA instructions and
        // costs nothing to build (swift-crypto would add minutes to every clean build).
        .systemLibrary(name: "CCrypto", providers: [.apt(["libssl-dev"])]),
        // Archives are tar streams compressed in-process with the system's libzstd, which also
        // reads .zst tables.
        .systemLibrary(name: "CZstd", providers: [.apt(["libzstd-dev"])]),
        // XXH3 from the system's libxxhash (libxxhash-dev): the seal that lets a checkout check
        // a large object at memory speed instead of re-hashing it with SHA-256 (Seal.swift).
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        // Linux calls Swift cannot reach directly (syncfs, sync_file_range, FICLONE, O_PATH).
        .target(name: "CLakeSys"),
        .target(name: "LakeCore", dependencies: ["CCrypto"]),
        // Tabular files compressed as .gz or .zst are profiled as they are committed.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "LakeStore", dependencies: ["LakeCore", "CLakeSys", "CXXHash", "CZlib", "CZstd"]),
        // The one SQLite setting GRDB has no call for (sqlite3_db_config is variadic): commands
        // leave the WAL to `Catalog.settleWAL` instead of checkpointing it at every close.
        .target(name: "CCatalogSQLite", dependencies: [.product(name: "GRDBSQLite", package: "GRDB.swift")]),
        .target(name: "LakeCatalog", dependencies: [
            "LakeCore", "LakeStore", "CCatalogSQLite", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        .target(name: "LakeRetention", dependencies: ["LakeCore", "LakeStore", "CZstd", .product(name: "Yams", package: "Yams")]),
        .target(name: "LakeKit", dependencies: ["LakeCore", "LakeStore", "LakeCatalog", "LakeRetention", .product(name: "Yams", package: "Yams")]),
        .target(name: "LakeTransforms", dependencies: ["LakeKit", "LakeQuery", .product(name: "Yams", package: "Yams")]),
        .target(name: "LakeQuery", dependencies: [
            "LakeKit", .product(name: "CSV", package: "CSV.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // Remotes speak S3 through the system's libcurl (libcurl4-openssl-dev), which signs
        // requests with SigV4 itself. CCurl loads it when a command first needs a remote: linked,
        // it would add 6 ms to the start of every command (Sources/CCurl/include/CCurl.h).
        .target(name: "CCurl"),
        .target(name: "LakeRemote", dependencies: ["LakeKit", "CCurl"]),
        .target(name: "LakeCLI", dependencies: [
            "LakeKit", "LakeRemote", "LakeTransforms", "LakeQuery", .product(name: "CSV", package: "CSV.swift"), .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // swiftc links a --static-swift-stdlib executable with -export-dynamic, which put 11,000
        // of Lake's symbols in the dynamic symbol table: the loader resolved them one by one at
        // every start, and the runtime's own dladdr walked them all. Without: 1 to 1.5 ms less
        // per command; crash backtraces still name functions (they read .symtab and DWARF).
        .executableTarget(name: "lake", dependencies: ["LakeCLI"], linkerSettings: [.unsafeFlags(["-Xlinker", "--no-export-dynamic"])]),
        // bench/suite.sh runs it: promote, log, lineage and query latencies from 10k to 1M versions.
        .executableTarget(name: "lake-catalog-bench", dependencies: ["LakeKit", "LakeQuery", "CLakeSys"], path: "bench/CatalogScale"),
        .target(name: "LakeTestSupport", dependencies: [
            "LakeKit", .product(name: "GRDB", package: "GRDB.swift"),
        ], path: "Tests/LakeTestSupport"),
        .testTarget(name: "LakeCoreTests", dependencies: ["LakeCore", "LakeTestSupport"]),
        .testTarget(name: "LakeRetentionTests", dependencies: ["LakeRetention", "LakeTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "LakeStoreTests", dependencies: ["LakeStore", "LakeTestSupport"]),
        .testTarget(name: "LakeCatalogTests", dependencies: ["LakeCatalog", "LakeTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "LakeKitTests", dependencies: ["LakeKit", "LakeTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "LakeTransformsTests", dependencies: ["LakeTransforms", "LakeTestSupport"]),
        .testTarget(name: "LakeRemoteTests", dependencies: ["LakeRemote", "LakeTestSupport"]),
        .testTarget(name: "LakeCLITests", dependencies: ["LakeKit", "LakeTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
