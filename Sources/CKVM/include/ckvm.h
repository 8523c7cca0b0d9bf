#ifndef PORTTRACE_CKVM_H
#define PORTTRACE_CKVM_H

// The KVM ioctl request numbers are macros Swift cannot import; this target
// re-exports them as constants, plus a few accessors for kvm_run's unions.
// Only the Swift module `KVM` imports this.

#ifdef __linux__
#include <linux/kvm.h>
#include <stdint.h>
#include <stddef.h>

static const unsigned long CKVM_GET_API_VERSION = KVM_GET_API_VERSION;
static const unsigned long CKVM_CREATE_VM = KVM_CREATE_VM;
static const unsigned long CKVM_CHECK_EXTENSION = KVM_CHECK_EXTENSION;
static const unsigned long CKVM_GET_VCPU_MMAP_SIZE = KVM_GET_VCPU_MMAP_SIZE;
static const unsigned long CKVM_GET_SUPPORTED_CPUID = KVM_GET_SUPPORTED_CPUID;
static const unsigned long CKVM_SET_USER_MEMORY_REGION = KVM_SET_USER_MEMORY_REGION;
static const unsigned long CKVM_SET_TSS_ADDR = KVM_SET_TSS_ADDR;
static const unsigned long CKVM_CREATE_VCPU = KVM_CREATE_VCPU;
static const unsigned long CKVM_RUN = KVM_RUN;
static const unsigned long CKVM_GET_REGS = KVM_GET_REGS;
static const unsigned long CKVM_SET_REGS = KVM_SET_REGS;
static const unsigned long CKVM_GET_SREGS = KVM_GET_SREGS;
static const unsigned long CKVM_SET_SREGS = KVM_SET_SREGS;
static const unsigned long CKVM_SET_CPUID2 = KVM_SET_CPUID2;

static const int CKVM_API_VERSION = KVM_API_VERSION;
static const int CKVM_MAX_CPUID_ENTRIES = 256;

enum {
    CKVM_EXIT_UNKNOWN = KVM_EXIT_UNKNOWN,
    CKVM_EXIT_EXCEPTION = KVM_EXIT_EXCEPTION,
    CKVM_EXIT_IO = KVM_EXIT_IO,
    CKVM_EXIT_HLT = KVM_EXIT_HLT,
    CKVM_EXIT_MMIO = KVM_EXIT_MMIO,
    CKVM_EXIT_SHUTDOWN = KVM_EXIT_SHUTDOWN,
    CKVM_EXIT_FAIL_ENTRY = KVM_EXIT_FAIL_ENTRY,
    CKVM_EXIT_INTR = KVM_EXIT_INTR,
    CKVM_EXIT_INTERNAL_ERROR = KVM_EXIT_INTERNAL_ERROR,
    CKVM_EXIT_SYSTEM_EVENT = KVM_EXIT_SYSTEM_EVENT,
    CKVM_EXIT_IO_IN = KVM_EXIT_IO_IN,
    CKVM_EXIT_IO_OUT = KVM_EXIT_IO_OUT,
};

/// One ioctl with a pointer argument. Returns the ioctl's result; errno is left as the kernel set it.
int ckvm_ioctl_ptr(int fd, unsigned long request, void *argument);
/// One ioctl with an integer argument.
int ckvm_ioctl_int(int fd, unsigned long request, unsigned long argument);

/// The port-I/O fields of a KVM_EXIT_IO exit.
typedef struct {
    uint8_t direction;   // KVM_EXIT_IO_IN or KVM_EXIT_IO_OUT
    uint8_t size;        // 1, 2 or 4
    uint16_t port;
    uint32_t count;
    uint64_t data_offset; // from the start of kvm_run
} ckvm_io;

static inline uint32_t ckvm_run_exit_reason(const struct kvm_run *run) { return run->exit_reason; }
static inline ckvm_io ckvm_run_io(const struct kvm_run *run) {
    ckvm_io io = { run->io.direction, run->io.size, run->io.port, run->io.count, run->io.data_offset };
    return io;
}
static inline uint64_t ckvm_run_fail_entry_reason(const struct kvm_run *run) { return run->fail_entry.hardware_entry_failure_reason; }
static inline uint32_t ckvm_run_internal_suberror(const struct kvm_run *run) { return run->internal.suberror; }
static inline uint64_t ckvm_run_mmio_address(const struct kvm_run *run) { return run->mmio.phys_addr; }
static inline uint32_t ckvm_run_system_event_type(const struct kvm_run *run) { return run->system_event.type; }
static inline void ckvm_run_set_immediate_exit(struct kvm_run *run, uint8_t value) {
    __atomic_store_n(&run->immediate_exit, value, __ATOMIC_SEQ_CST);
}

/// Names the calling thread (as vCPU threads are named: `vcpu0`, ...). Returns 0 or an errno.
int ckvm_set_thread_name(const char *name);

/// The calling thread's kernel thread id (gettid(2)).
uint64_t ckvm_gettid(void);

/// A kvm_cpuid2 with room for CKVM_MAX_CPUID_ENTRIES entries; free with free().
struct kvm_cpuid2 *ckvm_cpuid_alloc(void);

#endif // __linux__
#endif
