import Devices
import Patterns

/// A built-in set of console marks for a kind of guest, and the phases they make
/// (`--marks NAME`). Patterns are RE2's and match console lines with control sequences removed.
public struct MarkSet: Sendable {
    public struct PhaseMark: Sendable {
        /// The phase's name, as the component it stands for.
        public var name: String
        public var component: DebugPortComponent?
        /// The mark whose line opens it.
        public var mark: String
        public var pattern: String
    }

    public var name: String
    /// Phase marks in boot order.
    public var phases: [PhaseMark]
    /// The mark whose line ends the boot.
    public var endMark: String
    public var endPattern: String

    /// The marks to look for, compiled.
    public func marks() -> [TimelineOptions.Mark] {
        // The patterns are this file's own, checked by the tests: a failure here is a bug.
        (phases.map { ($0.mark, $0.pattern) } + [(endMark, endPattern)]).map { name, pattern in
            TimelineOptions.Mark(name: name, pattern: try! Pattern(pattern))
        }
    }

    /// Every built-in set.
    public static let all: [MarkSet] = [linux]

    public static func named(_ name: String) -> MarkSet? { all.first { $0.name == name } }

    /// A Linux guest on a serial console (QEMU and SeaBIOS or OVMF, or a VMM's direct kernel
    /// boot): Firmware from the firmware's banner, Bootloader from `Booting from` (SeaBIOS
    /// handing over) or GRUB, Kernel from `Linux version`, Userspace from the kernel running init
    /// (`Run /init as init process`, or `Freeing unused kernel image`, printed just before), and
    /// the boot's end at systemd's `Reached target Multi-User System` (or Graphical Interface)
    /// or a `login:` prompt.
    public static let linux = MarkSet(
        name: "linux",
        phases: [
            PhaseMark(
                name: "Firmware", component: .firmware, mark: "firmware",
                pattern: #"SeaBIOS \(version |UEFI firmware \(version |BdsDxe: |EDK II"#),
            PhaseMark(
                name: "Bootloader", component: .bootloader, mark: "bootloader",
                pattern: #"^Booting from |GNU GRUB|Welcome to GRUB|^Loading Linux "#),
            PhaseMark(name: "Kernel", component: .kernel, mark: "kernel", pattern: #"Linux version [0-9]"#),
            PhaseMark(
                name: "Userspace", component: .userspace, mark: "userspace",
                pattern: #"Run /[^ ]*init as init process|Freeing unused kernel image"#),
        ],
        endMark: "boot-end",
        endPattern: #"Reached target .*(Multi-User System|Graphical Interface)|login: *$"#)
}
