import Foundation
import SystemCalls

/// What a terminal may be sent, decided in one place for every command:
/// - colour: `--color always` always; `never` never; `auto` only when the output is a terminal,
///   `NO_COLOR` is unset or empty (no-color.org) and `TERM` is not `dumb`;
/// - cursor control (a progress line redrawn in place): only when stderr is a terminal and
///   `TERM` is not `dumb`.
public enum TerminalStyle {
    public enum ColorChoice: String, Sendable, CaseIterable { case auto, always, never }

    /// Whether to colour what goes to `descriptor` (1 for stdout; nil for a file).
    public static func color(
        _ choice: ColorChoice, descriptor: Int32?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Bool {
        switch choice {
        case .always: return true
        case .never: return false
        case .auto:
            guard let descriptor, Descriptor.isTerminal(.init(rawValue: descriptor)) else { return false }
            if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
            return environment["TERM"] != "dumb"
        }
    }

    /// Whether stderr may take a progress line that is redrawn and erased in place.
    public static func cursorControl(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        Descriptor.isTerminal(Descriptor.standardError) && environment["TERM"] != "dumb"
    }
}
