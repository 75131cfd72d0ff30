// swift-tools-version:6.0
// skresults: stream SafetyKit result files through strict decoding into label counts,
// archives, joins and dead-letter files. No outside Swift packages and no unsafe flags,
// so any package can depend on `ResultPipeline`.
import PackageDescription

let package = Package(
    name: "skresults",
    products: [
        .library(name: "ResultPipeline", targets: ["ResultPipeline"]),
        .library(name: "SafetyKitAPI", targets: ["SafetyKitAPI"]),
        .executable(name: "skresults", targets: ["skresults"]),
        .executable(name: "skresults-bench", targets: ["skresults-bench"]),
    ],
    targets: [
        .systemLibrary(
            name: "CZstd",
            path: "Sources/CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "CPrefetch",
            path: "Sources/CPrefetch"
        ),
        .target(
            name: "ResultPipeline",
            dependencies: ["CZstd", "CZlib", "CPrefetch"],
            path: "Sources/ResultPipeline"
        ),
        .target(
            name: "SafetyKitAPI",
            dependencies: ["ResultPipeline"],
            path: "Sources/SafetyKitAPI"
        ),
        .executableTarget(
            name: "skresults",
            dependencies: ["ResultPipeline", "SafetyKitAPI"],
            path: "Sources/skresults"
        ),
        .target(
            name: "CAllocCounter",
            path: "Benchmarks/CAllocCounter"
        ),
        .executableTarget(
            name: "skresults-bench",
            dependencies: ["ResultPipeline", "CAllocCounter"],
            path: "Benchmarks/skresults-bench"
        ),
        .testTarget(
            name: "ResultPipelineTests",
            dependencies: ["ResultPipeline", "CZstd"],
            path: "Tests/ResultPipelineTests"
        ),
        .target(
            name: "FakeSafetyKit",
            path: "Tests/FakeSafetyKit"
        ),
        .testTarget(
            name: "SafetyKitAPITests",
            dependencies: ["SafetyKitAPI", "ResultPipeline", "FakeSafetyKit"],
            path: "Tests/SafetyKitAPITests"
        ),
        .testTarget(
            name: "skresultsTests",
            dependencies: ["ResultPipeline", "skresults", "FakeSafetyKit"],
            path: "Tests/skresultsTests"
        ),
    ]
)
