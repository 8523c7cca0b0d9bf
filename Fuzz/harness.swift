// The libFuzzer entry point for one target of Sources/FuzzTargets; scripts/fuzz compiles this
// file with a one-line file that names the target (`let fuzzTarget = ...`).
import FuzzTargets

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // SAFETY: libFuzzer passes `size` readable bytes at `data` (or nil and 0), valid until we return.
    fuzzTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
