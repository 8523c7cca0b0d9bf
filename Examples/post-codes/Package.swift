// swift-tools-version: 6.0
import PackageDescription

// An example of depending on porttrace's libraries by version, as another project would.
// PORTTRACE_URL points it at a clone (the test suite uses a local tagged clone named
// `porttrace`, since SwiftPM names a URL dependency after its last path component).
let porttrace = Context.environment["PORTTRACE_URL"] ?? "https://github.com/porttrace/porttrace"

let package = Package(
    name: "post-codes",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: porttrace, from: "0.2.0")
    ],
    targets: [
        .executableTarget(
            name: "post-codes",
            dependencies: [
                .product(name: "TraceFormat", package: "porttrace"),
                .product(name: "Devices", package: "porttrace"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
