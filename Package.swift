// swift-tools-version: 6.1
import PackageDescription

// Dependencies, each for a reason:
// - swift-argument-parser: the CLI's subcommands, flags and help text.
// - swift-system: typed file descriptors and errno for the one system-call layer (Sources/SystemCalls).
// Nothing else: the trace format, device models and KVM layer need only the standard library,
// Foundation and C libraries from Debian (libzstd, libtracefs) reached through small
// system-library targets.
//
// No unsafe build flags anywhere: another package must be able to depend on a version tag
// of porttrace and use the TraceFormat and Devices libraries (Examples/ proves it in the tests).

/// Capture (`porttrace run` and `record`) needs Linux: KVM and tracefs. The trait is on by
/// default; `swift build --disable-default-traits` builds what a Mac builds (replay, info, dump,
/// import, verify) and is how that build is proven on Linux.
let captureTrait = "KVMCapture"
let onLinuxWithCapture: TargetDependencyCondition? = .when(platforms: [.linux], traits: [captureTrait])

#if os(Linux)
let re2PkgConfig: String? = nil
#else
let re2PkgConfig: String? = "re2"
#endif

let package = Package(
    name: "porttrace",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "porttrace", targets: ["porttrace"]),
        .library(name: "TraceFormat", targets: ["TraceFormat"]),
        .library(name: "Devices", targets: ["Devices"]),
        .library(name: "Analysis", targets: ["Analysis"]),
    ],
    traits: [
        .trait(name: captureTrait, description: "porttrace run (KVM) and record (tracefs); Linux only."),
        .default(enabledTraits: [captureTrait]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        // C at the edge. CKVM and CTraceFS are Linux-only: CKVM's C is inside `#ifdef __linux__`
        // and CTraceFS is imported only inside `#if os(Linux) && KVMCapture`.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .target(name: "CKVM"),
        .systemLibrary(name: "CTraceFS", pkgConfig: "libtracefs", providers: [.apt(["libtracefs-dev", "libtraceevent-dev"])]),
        // RE2, the linear-time matcher behind every user pattern. CRE2Shim is a small C++ file
        // giving it a C interface that Swift imports (only the Patterns module does). CRE2 exists for
        // RE2's pkg-config entry, which gives the shim the include and library paths where they are
        // not the compiler's own: Homebrew's on a Mac (`brew install re2 pkg-config`, as for zstd).
        // Debian's libre2-dev is in the default paths and its re2.pc asks for -pthread, which SwiftPM
        // refuses with a warning on every build, so Linux does without the pkg-config entry.
        .systemLibrary(name: "CRE2", pkgConfig: re2PkgConfig, providers: [.apt(["libre2-dev"]), .brew(["re2"])]),
        .target(name: "CRE2Shim", dependencies: ["CRE2"], linkerSettings: [.linkedLibrary("re2")]),

        // The one system-call layer (files, descriptors, errno), on swift-system.
        .target(name: "SystemCalls", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),

        // Pure Swift cores: no kernel needed, build on any platform.
        .target(name: "TraceFormat", dependencies: ["CZstd", "SystemCalls"]),
        .target(name: "Devices", dependencies: ["TraceFormat", "SystemCalls", .product(name: "SystemPackage", package: "swift-system")]),
        // Every user pattern (--mark, masks, phases) compiled once and matched in linear time.
        .target(name: "Patterns", dependencies: ["CRE2Shim"]),
        // The compare half (timeline, diff, stats, export): streams traces through the device models.
        .target(name: "Analysis", dependencies: ["TraceFormat", "Devices", "SystemCalls", "Patterns"]),

        // Kernel edges: Linux only, and only with the capture trait.
        .target(name: "KVM", dependencies: [.target(name: "CKVM", condition: onLinuxWithCapture), "SystemCalls"]),
        .target(
            name: "Capture",
            dependencies: [
                .target(name: "KVM", condition: onLinuxWithCapture),
                .target(name: "CTraceFS", condition: onLinuxWithCapture),
                "TraceFormat", "Devices", "SystemCalls",
            ]
        ),

        // Every parser of outside input as one libFuzzer entry each (scripts/fuzz, Fuzz/).
        .target(
            name: "FuzzTargets",
            dependencies: ["TraceFormat", "Devices", "Analysis", .target(name: "Capture", condition: onLinuxWithCapture)]
        ),

        // The thin executable.
        .executableTarget(
            name: "porttrace",
            dependencies: [
                "TraceFormat", "Devices", "Analysis", "SystemCalls",
                .target(name: "Capture", condition: onLinuxWithCapture),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Release-build benchmarks (not timed tests).
        .executableTarget(
            name: "PorttraceBench",
            dependencies: [
                "TraceFormat", "Devices", "SystemCalls", "Patterns", "FuzzTargets",
                .target(name: "Capture", condition: onLinuxWithCapture), .target(name: "KVM", condition: onLinuxWithCapture),
            ],
            path: "Benchmarks/PorttraceBench"
        ),

        .testTarget(name: "TraceFormatTests", dependencies: ["TraceFormat", "SystemCalls"]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "TraceFormat"]),
        .testTarget(name: "PatternsTests", dependencies: ["Patterns"]),
        .testTarget(
            name: "AnalysisTests", dependencies: ["Analysis", "Devices", "TraceFormat"],
            exclude: ["stats_reference.py", "label_ink.py"]),
        .testTarget(
            name: "CaptureTests",
            dependencies: [
                .target(name: "Capture", condition: onLinuxWithCapture), .target(name: "KVM", condition: onLinuxWithCapture),
                "TraceFormat", "Devices",
            ]
        ),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"]),
        .testTarget(name: "CLITests", dependencies: ["TraceFormat"], exclude: ["Golden", "png_colours.py"]),
    ],
    swiftLanguageModes: [.v6],
    // CRE2Shim's C++: recent RE2 releases (Homebrew's, built on abseil) need C++17.
    cxxLanguageStandard: .cxx17
)
