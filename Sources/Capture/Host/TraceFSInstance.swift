// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import CTraceFS
import Foundation
import SystemCalls

/// A failed tracefs operation, naming it.
public struct TraceFSError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ what: String, errno code: Int32? = nil) {
        if let code, code != 0 { description = SystemError(what, errno: code).description } else { description = what }
    }
}

/// A private tracefs instance (`instances/NAME`): its own ring buffer, so no other tool's
/// tracing is disturbed. Created by `init`, removed with every setting by `destroy()`.
public final class TraceFSInstance {
    let instance: OpaquePointer
    public let name: String
    private var destroyed = false

    /// Makes sure tracefs is mounted (mounting it if not), then creates the instance.
    /// The corresponding call is `tracefs_instance_create`.
    public init(name: String) throws {
        guard tracefs_tracing_dir() != nil else {
            throw TraceFSError("tracefs is not mounted and could not be mounted (needs root, and tracefs in the kernel)")
        }
        guard tracefs_event_file_exists(nil, "kvm", "kvm_pio", "format") else {
            throw TraceFSError("the kvm:kvm_pio tracepoint does not exist (is the kvm module loaded?)")
        }
        errno = 0
        guard let i = tracefs_instance_create(name) else {
            throw TraceFSError("creating tracefs instance \(name)", errno: errno)
        }
        instance = i
        self.name = name
    }

    /// Writes a file of the instance. The corresponding call is `tracefs_instance_file_write`.
    public func write(_ file: String, _ value: String) throws {
        errno = 0
        guard tracefs_instance_file_write(instance, file, value) >= 0 else {
            throw TraceFSError("writing '\(value)' to \(name)/\(file)", errno: errno)
        }
    }

    /// The corresponding call is `tracefs_instance_set_buffer_size` (KiB per CPU).
    public func setBufferSize(kib: Int) throws {
        guard tracefs_instance_set_buffer_size(instance, kib, -1) >= 0 else {
            throw TraceFSError("setting the buffer size of \(name) to \(kib) KiB", errno: errno)
        }
    }

    /// Adds the children (and new threads) of traced tasks to the PID filter.
    /// The corresponding call is `tracefs_option_enable(EVENT_FORK)`.
    public func followForks() throws {
        guard tracefs_option_enable(instance, TRACEFS_OPTION_EVENT_FORK) >= 0 else {
            throw TraceFSError("enabling event-fork on \(name)", errno: errno)
        }
    }

    /// Sets an event's filter. The corresponding call is `tracefs_event_file_write(..., "filter", ...)`.
    public func setFilter(system: String, event: String, _ filter: String) throws {
        guard tracefs_event_file_write(instance, system, event, "filter", filter) >= 0 else {
            throw TraceFSError("setting the filter '\(filter)' on \(system):\(event)", errno: errno)
        }
    }

    /// The corresponding call is `tracefs_event_enable`.
    public func enable(system: String, event: String) throws {
        guard tracefs_event_enable(instance, system, event) >= 0 else {
            throw TraceFSError("enabling \(system):\(event)", errno: errno)
        }
    }

    /// Stops tracing and removes the instance with all its settings. Safe to call twice.
    /// The corresponding calls are `tracefs_event_disable` and `tracefs_instance_destroy`.
    public func destroy() {
        guard !destroyed else { return }
        destroyed = true
        _ = tracefs_event_disable(instance, nil, nil)
        _ = tracefs_instance_destroy(instance)
        tracefs_instance_free(instance)
    }

    deinit { destroy() }
}

/// Reads `kvm:kvm_pio` records out of an instance's per-CPU raw buffers with libtraceevent,
/// merged in timestamp order. Each `drain` consumes what is buffered now.
public final class PioReader {
    let tep: OpaquePointer
    // SAFETY: field pointers from tep_find_field stay valid as long as the tep handle, which this instance owns and frees last.
    let rw, port, size, count, value: UnsafeMutablePointer<tep_format_field>
    let eventID: Int32
    /// `task:task_newtask` (pid, comm) and `task:task_rename` (pid, newcomm), where the kernel
    /// has them: thread names as they were when the thread ran, not when the buffer is read.
    let newTask, rename: (id: Int32, pid: UnsafeMutablePointer<tep_format_field>, comm: UnsafeMutablePointer<tep_format_field>)?

    public init() throws {
        let kvm = strdup("kvm")!
        let task = strdup("task")!
        defer {
            free(kvm)
            free(task)
        }
        // SAFETY: the strings are alive until the defer above; the array is NULL-terminated as tracefs_local_events_system expects.
        var systems: [UnsafePointer<CChar>?] = [UnsafePointer(kvm), UnsafePointer(task), nil]
        // SAFETY: `systems` is a NULL-terminated array of C strings alive for the call.
        guard let t = systems.withUnsafeMutableBufferPointer({ tracefs_local_events_system(nil, $0.baseAddress) }) else {
            throw TraceFSError("loading the kvm event formats", errno: errno)
        }
        tep = t
        guard let event = tep_find_event_by_name(tep, "kvm", "kvm_pio") else {
            tep_free(tep)
            throw TraceFSError("the kvm:kvm_pio event format has no description")
        }
        // SAFETY: the returned field belongs to the event format in `tep`, which outlives every read through it.
        func field(_ n: String) throws -> UnsafeMutablePointer<tep_format_field> {
            guard let f = tep_find_field(event, n) else { throw TraceFSError("kvm:kvm_pio has no field '\(n)'") }
            return f
        }
        rw = try field("rw")
        port = try field("port")
        size = try field("size")
        count = try field("count")
        value = try field("val")
        eventID = event.pointee.id
        // SAFETY: as for `field`: the formats belong to `tep`.
        func naming(_ name: String, comm: String) -> (
            Int32, UnsafeMutablePointer<tep_format_field>, UnsafeMutablePointer<tep_format_field>
        )? {
            guard let e = tep_find_event_by_name(t, "task", name), let p = tep_find_field(e, "pid"), let c = tep_find_field(e, comm)
            else { return nil }
            return (e.pointee.id, p, c)
        }
        newTask = naming("task_newtask", comm: "comm")
        rename = naming("task_rename", comm: "newcomm")
    }

    /// Whether the kernel has the task events that carry thread names.
    public var tracksNames: Bool { newTask != nil && rename != nil }

    deinit { tep_free(tep) }

    /// The thread's name as the kernel saved it when the thread traced an event (it outlives the
    /// thread). The corresponding calls are `tracefs_load_cmdlines` and `tep_data_comm_from_pid`.
    public func savedName(of tid: Int32) -> String? {
        _ = tracefs_load_cmdlines(nil, tep)
        guard let c = tep_data_comm_from_pid(tep, tid) else { return nil }
        let name = String(cString: c)
        return name == "<...>" ? nil : name
    }

    /// One pass over the buffers: `body` gets each record in time order, and `lost` each report
    /// of records the ring buffer dropped (count, or nil when the kernel does not know it).
    /// The corresponding call is `tracefs_iterate_raw_events`.
    public func drain(
        _ instance: TraceFSInstance, _ body: (PioRecord) -> Void, lost: (UInt64, Int?) -> Void, named: (Int32, String) -> Void
    ) {
        final class Context {
            let reader: PioReader
            let body: (PioRecord) -> Void
            let lost: (UInt64, Int?) -> Void
            let named: (Int32, String) -> Void
            init(
                _ r: PioReader, _ b: @escaping (PioRecord) -> Void, _ l: @escaping (UInt64, Int?) -> Void,
                _ n: @escaping (Int32, String) -> Void
            ) {
                reader = r
                body = b
                lost = l
                named = n
            }
        }
        withoutActuallyEscaping(body) { body in
            withoutActuallyEscaping(lost) { lost in
                withoutActuallyEscaping(named) { named in
                    let context = Context(self, body, lost, named)
                    let pointer = Unmanaged.passUnretained(context).toOpaque()
                    // SAFETY: `context` outlives the call; the callback only reads the record libtracefs hands it.
                    _ = tracefs_iterate_raw_events(
                        tep, instance.instance, nil, 0,
                        { event, record, _, ctx in
                            guard let event, let record, let ctx else { return 0 }
                            let c = Unmanaged<Context>.fromOpaque(ctx).takeUnretainedValue()
                            let r = c.reader
                            let rec = record.pointee
                            if rec.missed_events != 0 {
                                c.lost(rec.ts, rec.missed_events > 0 ? Int(rec.missed_events) : nil)
                            }
                            let id = event.pointee.id
                            if let naming = id == r.newTask?.id ? r.newTask : id == r.rename?.id ? r.rename : nil {
                                // SAFETY: the fields belong to this event's format; `rec.data` holds `rec.size` bytes, checked against each field's extent.
                                let f = naming.comm.pointee
                                var v: UInt64 = 0
                                guard tep_read_number_field(naming.pid, rec.data, &v) == 0, f.offset >= 0, f.size > 0,
                                    Int(f.offset) + Int(f.size) <= Int(rec.size), let base = rec.data
                                else { return 0 }
                                let bytes = UnsafeRawBufferPointer(start: base + Int(f.offset), count: Int(f.size))
                                let comm = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                                c.named(Int32(truncatingIfNeeded: v), comm)
                                return 0
                            }
                            guard id == r.eventID else { return 0 }
                            // SAFETY: `f` is a field of the kvm_pio format found at start-up; `record` is the record libtracefs hands to this callback.
                            func read(_ f: UnsafeMutablePointer<tep_format_field>) -> UInt32 {
                                var v: UInt64 = 0
                                _ = tep_read_number_field(f, rec.data, &v)
                                return UInt32(truncatingIfNeeded: v)
                            }
                            let pid = tep_data_pid(r.tep, record)
                            c.body(
                                PioRecord(
                                    timestamp: rec.ts, tid: pid, rw: read(r.rw), port: read(r.port), size: read(r.size),
                                    count: read(r.count), value: read(r.value)))
                            return 0
                        }, pointer)
                }
            }
        }
    }
}

#endif
