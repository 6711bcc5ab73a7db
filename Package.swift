// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "cognate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cognate", targets: ["cognate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.0"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/leaf.git", from: "4.5.0"),
        .package(url: "https://github.com/vapor/leaf-kit.git", from: "1.14.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // OTLP over HTTP only: the gRPC exporter's packages are not built
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libcrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CXMLSec", pkgConfig: "xmlsec1-openssl", providers: [.apt(["libxmlsec1-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CognateModel", swiftSettings: strict),
        .target(name: "CognateSAML", dependencies: ["CXMLSec", "CZlib", "CLibCrypto"], swiftSettings: strict),
        .target(name: "CognateMemoryStore", dependencies: ["CognateModel"], swiftSettings: strict),
        .target(
            name: "CognateCore",
            dependencies: [
                "CognateModel", "CognateSAML", "CArgon2", "CCrypt", "CLibCrypto", "CQREncode",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CognateStore",
            dependencies: [
                "CognateModel",
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CognateCognitoAPI",
            dependencies: [
                "CognateModel", "CognateCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/cognito-idp-model.json"), .copy("Resources/cognito-identity-model.json")],
            swiftSettings: strict
        ),
        .target(
            name: "CognateMail",
            dependencies: [
                "CognateModel", "CognateCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CognateWeb",
            dependencies: [
                "CognateModel", "CognateCore", "CognateStore", "CognateCognitoAPI", "CognateMail",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "LeafKit", package: "leaf-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "cognate", dependencies: ["CognateWeb"], swiftSettings: strict),
        .target(
            name: "StoreConformance",
            dependencies: ["CognateModel"],
            path: "Tests/StoreConformance",
            swiftSettings: strict
        ),
        .testTarget(name: "CognateMemoryStoreTests", dependencies: ["CognateMemoryStore", "StoreConformance"], swiftSettings: strict),
        .testTarget(name: "CognateCoreTests", dependencies: ["CognateCore", "CognateSAML", "CognateMemoryStore", .product(name: "CryptoExtras", package: "swift-crypto")], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(
            name: "CognateStoreTests",
            dependencies: [
                "CognateStore", "StoreConformance",
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "CognateSAMLTests", dependencies: ["CognateSAML", .product(name: "CryptoExtras", package: "swift-crypto")], swiftSettings: strict),
        .testTarget(name: "CognateMailTests", dependencies: ["CognateMail"], swiftSettings: strict),
        .testTarget(name: "CognateCognitoAPITests", dependencies: ["CognateCognitoAPI"], swiftSettings: strict),
        .testTarget(
            name: "CognateWebTests",
            dependencies: ["CognateWeb", "CognateCognitoAPI", .product(name: "VaporTesting", package: "vapor")],
            swiftSettings: strict
        ),
    ]
)
