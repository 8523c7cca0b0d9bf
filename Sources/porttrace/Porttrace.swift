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

enum PorttraceVersion {
    static let string = "0.1.0"
}
