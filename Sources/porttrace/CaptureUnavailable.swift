#if !(os(Linux) && KVMCapture)
import ArgumentParser

// Built without capture (not Linux, or `--disable-default-traits`): `run` and `record` exist,
// so scripts and help read the same everywhere, and say what they need.

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Boot a guest under KVM and record it (needs Linux with KVM).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
    func run() throws { throw CLIFailure.cannot(captureUnavailable("run")) }
}

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record", abstract: "Record a VMM through tracefs (needs Linux with tracefs).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
    func run() throws { throw CLIFailure.cannot(captureUnavailable("record")) }
}

func captureUnavailable(_ command: String) -> String {
    "\(command) needs Linux with KVM; this porttrace was built without capture (replay, info, dump, import and verify work)"
}
#endif
