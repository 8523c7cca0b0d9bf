// The baseline for `porttrace run`: the least a VMM can do per port-I/O exit.
// Runs a flat real-mode guest at 0x10000 on one vCPU and counts KVM_EXIT_IO until HLT.
// Usage: bare_kvm_loop GUEST.bin   -> prints "exits N seconds S rate R"
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(2); }

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s GUEST.bin\n", argv[0]); return 2; }
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("open /dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");
    size_t memsize = 64 << 20;
    uint8_t *mem = mmap(NULL, memsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) die("mmap");
    FILE *f = fopen(argv[1], "rb");
    if (!f) die(argv[1]);
    size_t n = fread(mem + 0x10000, 1, memsize - 0x10000, f);
    fclose(f);
    if (n == 0) die("empty guest");
    struct kvm_userspace_memory_region region = { .slot = 0, .guest_phys_addr = 0, .memory_size = memsize, .userspace_addr = (uint64_t)mem };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");
    if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000) < 0) die("KVM_SET_TSS_ADDR");
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    int runsize = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(NULL, runsize, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");
    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) die("KVM_GET_SREGS");
    sregs.cs.selector = 0x1000; sregs.cs.base = 0x10000;
    sregs.ds = sregs.es = sregs.ss = sregs.cs;
    sregs.ds.type = sregs.es.type = sregs.ss.type = 3;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) die("KVM_SET_SREGS");
    struct kvm_regs regs = { .rip = 0, .rflags = 2, .rsp = 0xfff0 };
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) die("KVM_SET_REGS");

    uint64_t exits = 0;
    volatile uint8_t sink = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
        if (run->exit_reason == KVM_EXIT_IO) {
            sink ^= *((uint8_t *)run + run->io.data_offset);
            exits++;
            continue;
        }
        if (run->exit_reason == KVM_EXIT_HLT) break;
        fprintf(stderr, "unexpected exit %u\n", run->exit_reason);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("exits %llu seconds %.6f rate %.0f\n", (unsigned long long)exits, s, exits / s);
    return 0;
}
