/*
 * The /init of the initramfs that scripts/make-linux-trace boots: the whole of userspace in
 * traces/linux-boot.pt. It prints a few lines on the console the way a small distribution's
 * first process and getty would (ending with a `login:` prompt line), then powers the machine
 * off, so QEMU exits and `porttrace record` ends with it.
 *
 * Static (gcc -static), no library beyond libc, no files but /dev/console. Every line is
 * fixed text except the kernel release, so two boots print the same bytes.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static int console = 1;

static void say(const char *text)
{
    size_t left = strlen(text);
    while (left > 0) {
        ssize_t n = write(console, text, left);
        if (n <= 0)
            return;
        text += n;
        left -= (size_t)n;
    }
}

/*
 * The kernel opens /dev/console as fds 0-2 for init when the node exists (the script packs it,
 * and the kernel's built-in initramfs has it too). If it does not, mount devtmpfs and open it.
 */
static void open_console(void)
{
    struct stat st;
    if (fstat(1, &st) == 0)
        return;
    mkdir("/dev", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    int fd = open("/dev/console", O_WRONLY | O_NOCTTY);
    if (fd >= 0)
        console = fd;
}

int main(void)
{
    struct utsname u;
    open_console();
    say("porttrace-guest: userspace started as pid 1\n");
    if (uname(&u) == 0) {
        say("porttrace-guest: kernel ");
        say(u.release);
        say("\n");
    }
    say("porttrace-guest: nothing to start; powering off after the login prompt\n");
    /* What agetty prints: the issue line, a blank line, then the prompt. A real prompt waits
     * without a newline; this one ends its line so the kernel's power-off message starts a
     * line of its own. */
    say("\nDebian GNU/Linux 12 porttrace-guest ttyS0\n\nporttrace-guest login: \n");
    sync();
    reboot(RB_POWER_OFF);
    /* Only reached if the power-off failed; the kernel panics when init exits, and panic=-1
     * with QEMU's -no-reboot ends the VM. */
    say("porttrace-guest: power-off failed\n");
    return 1;
}
