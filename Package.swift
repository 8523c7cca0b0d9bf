// swift-tools-version: 6.0
import PackageDescription

// Dependencies, each for a reason:
// - swift-argument-parser: the CLI's subcommands, flags and help text.
// Nothing else: the trace format, device models and KVM layer need only the
// standard library, Foundation and C libraries from Debian (libzstd, libtracefs)
// reached through small system-library targets.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "porttrace",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "porttrace", targets: ["porttrace"]),
        .library(name: "TraceFormat", targets: ["TraceFormat"]),
        .library(name: "Devices", targets: ["Devices"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C at the edge.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(name: "CKVM"),
        .systemLibrary(name: "CTraceFS", pkgConfig: "libtracefs", providers: [.apt(["libtracefs-dev", "libtraceevent-dev"])]),

        // Pure Swift cores: no kernel needed.
        // Hot paths (per-event encode, decode and device dispatch): no dynamic exclusivity
        // checks in release builds, where they cost about a third of replay time (measured).
        .target(name: "TraceFormat", dependencies: ["CZstd"], swiftSettings: hotPath),
        .target(name: "Devices", dependencies: ["TraceFormat"], swiftSettings: hotPath),

        // Kernel edges.
        .target(name: "KVM", dependencies: ["CKVM"]),
        .target(name: "Capture", dependencies: ["KVM", "TraceFormat", "Devices", "CTraceFS"]),

        // The thin executable.
        .executableTarget(
            name: "porttrace",
            dependencies: [
                "TraceFormat", "Devices", "Capture",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Release-build benchmarks (not timed tests).
        .executableTarget(
            name: "PorttraceBench",
            dependencies: ["TraceFormat", "Devices", "Capture", "KVM"],
            path: "Benchmarks/PorttraceBench"
        ),

        .testTarget(name: "TraceFormatTests", dependencies: ["TraceFormat"]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "TraceFormat"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "KVM", "TraceFormat", "Devices"]),
        .testTarget(name: "CLITests", dependencies: ["TraceFormat"], exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v6]
)
