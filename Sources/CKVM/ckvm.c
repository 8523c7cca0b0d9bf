// Linux only: elsewhere this target compiles to nothing (see Package.swift).
#ifdef __linux__
#define _GNU_SOURCE
#include "ckvm.h"
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

uint64_t ckvm_gettid(void) { return (uint64_t)syscall(SYS_gettid); }

int ckvm_ioctl_ptr(int fd, unsigned long request, void *argument) { return ioctl(fd, request, argument); }
int ckvm_ioctl_int(int fd, unsigned long request, unsigned long argument) { return ioctl(fd, request, argument); }

struct kvm_cpuid2 *ckvm_cpuid_alloc(void) {
    struct kvm_cpuid2 *c = calloc(1, sizeof(struct kvm_cpuid2) + CKVM_MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2));
    if (c) c->nent = CKVM_MAX_CPUID_ENTRIES;
    return c;
}

int ckvm_set_thread_name(const char *name) { return pthread_setname_np(pthread_self(), name); }

#endif
