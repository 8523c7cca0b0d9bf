import ArgumentParser

struct Porttrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "porttrace",
        abstract: "Record every port-I/O exit of a VM into a compressed trace; replay it through cloud-hypervisor's debug devices.",
        discussion: """
            Exit status: 0 ok; 1 a difference or damage was found; 2 the job could not be done \
            (bad flag, missing or unreadable file, not a trace).
            """,
        version: PorttraceVersion.string,
        subcommands: [
            InfoCommand.self, DumpCommand.self, ImportCommand.self, VerifyCommand.self,
            RunCommand.self, RecordCommand.self, ReplayCommand.self, ProfilesCommand.self, TimelineCommand.self, DiffCommand.self,
            StatsCommand.self, ReportCommand.self, ExportCommand.self,
        ]
    )
}

/// porttrace's version: the one place it is written. `--version` prints it, recorders store it
/// in every trace's metadata, the test suite tags a clone of the tree with it, and the CHANGELOG's
/// first section names it (a test checks both). 0.2.0 is the next release: trace format 2 and
/// the compare half.
enum PorttraceVersion {
    static let string = "0.2.0"
}
