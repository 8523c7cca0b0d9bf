import Testing

/// A build without capture (a Mac, or `--disable-default-traits`): run and record say what they
/// need and exit 2; everything that reads traces works.
@Suite(.enabled(if: !captureBuilt, "this build has capture; the build without it is tested by scripts/test"))
struct WithoutCaptureTests {
    @Test(arguments: [["run", "Guests/build/boot-demo.bin", "-o", "/tmp/x.pt"], ["record", "-o", "/tmp/x.pt", "--", "true"]])
    func captureCommandsSayTheyNeedLinux(args: [String]) throws {
        let r = try porttrace(args)
        #expect(r.status == 2)
        #expect(
            r.stderr
                == "porttrace: \(args[0]) needs Linux with KVM; this porttrace was built without capture (replay, info, dump, import and verify work)\n"
        )
        #expect(r.out.isEmpty)
    }

    @Test func replayWorks() throws {
        let r = try porttrace(["replay", "traces/boot-demo.pt", "--log-file", scratchOutput()])
        #expect(r.status == 0)
        #expect(r.out.contains("kernel: booting"))
    }
}
