#if os(Linux) && KVMCapture
import Testing

@testable import KVM

/// Guest RAM on its own (an anonymous mapping: no /dev/kvm needed).
struct GuestMemoryTests {
    /// An empty buffer can have no address at all: writing it copies nothing and does not trap,
    /// wherever it goes inside RAM.
    @Test func writingNothingIsFine() throws {
        let memory = try GuestMemory(guestAddress: 0x1000, size: 4096)
        try memory.write(UnsafeRawBufferPointer(start: nil, count: 0), at: 0x1000)
        try memory.write([], at: 0x2000)
        try memory.write([1, 2, 3], at: 0x1ffd)
        #expect(try memory.read(at: 0x1ffd, count: 3) == [1, 2, 3])
        #expect(throws: MachineSetupError.self) { try memory.write([1], at: 0x2000) }
        #expect(throws: MachineSetupError.self) { try memory.write([], at: 0x2001) }
    }
}
#endif
