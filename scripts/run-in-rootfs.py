#!/usr/bin/env python3
"""Runs a program from an unpacked image's root filesystem the way a container runtime runs a
pod's container, for machines where no runtime works (README, "Images"). As root:

    python3 scripts/run-in-rootfs.py --rootfs ROOTFS [--user 65532:65532] [--cwd /] \\
        [--env NAME=VALUE ...] [--tmpfs /tmp[:uid=65532]] [--bind HOST:PATH[:rw] ...] -- PROGRAM ARGS...

What the program gets, as with `readOnlyRootFilesystem: true`, `capabilities: drop: ["ALL"]`,
`allowPrivilegeEscalation: false` and `runAsUser`/`runAsGroup`:
- a mount namespace and a PID namespace of its own (it is PID 1, as in a container without init);
- the root filesystem bound read-only, with /proc (of its PID namespace), a read-only /sys, and a
  /dev holding null, zero, full, random, urandom and tty, as runc mounts them;
- writable only where --tmpfs (an emptyDir) or a --bind ending in :rw (a persistent volume)
  says; other --bind mounts (a ConfigMap or Secret volume) are read-only;
- the user and group given, no supplementary groups, an empty capability bounding set, no
  inheritable capabilities, no_new_privs;
- exactly the environment given: nothing from this process's, so no HOME unless --env sets one.
The exit status is the program's; SIGTERM and SIGINT are passed on to it.
"""
import argparse
import ctypes
import os
import resource
import signal
import sys

CLONE_NEWNS, CLONE_NEWPID = 0x00020000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 24, 38
libc = ctypes.CDLL(None, use_errno=True)


def check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        sys.exit(f"run-in-rootfs: {what}: {os.strerror(error)}")


def mount(source, target, kind, flags, data=""):
    check(libc.mount(source.encode(), target.encode(), kind.encode() if kind else None, ctypes.c_ulong(flags),
                     data.encode() if data else None), f"mount {kind or source} on {target}")


def mountpoint(path, directory=True):
    """Creates a mount point in the root filesystem, as runc does before it makes it read-only."""
    if directory:
        os.makedirs(path, exist_ok=True)
    elif not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "a").close()


def child(options, root):
    mount(root, root, None, MS_BIND | MS_REC)
    mountpoint(root + "/proc")
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mountpoint(root + "/sys")
    mount("sysfs", root + "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mountpoint(root + "/dev")
    mount("tmpfs", root + "/dev", "tmpfs", MS_NOSUID, "mode=755,size=65536k")
    for device in ("null", "zero", "full", "random", "urandom", "tty"):
        mountpoint(f"{root}/dev/{device}", directory=False)
        mount(f"/dev/{device}", f"{root}/dev/{device}", None, MS_BIND)
    for spec in options.tmpfs:
        path, _, settings = spec.partition(":")
        mountpoint(root + path)
        mount("tmpfs", root + path, "tmpfs", MS_NOSUID | MS_NODEV, ",".join(filter(None, ["mode=755", settings])))
    for spec in options.bind:
        source, target, *mode = spec.split(":")
        mountpoint(root + target, directory=os.path.isdir(source))
        mount(source, root + target, None, MS_BIND)
        if mode != ["rw"]:
            mount("", root + target, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    mount("", root, None, MS_REMOUNT | MS_BIND | MS_RDONLY)

    os.chroot(root)
    os.chdir(options.cwd)
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    capability = 0
    while libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) == 0:
        capability += 1
    uid, gid = (int(part) for part in options.user.split(":"))
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)  # from root to another user: the permitted and effective sets are emptied
    # If this launcher is killed, so is the program (after setuid, which would clear it).
    check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "parent-death signal")
    environment = dict(item.split("=", 1) for item in options.env)
    # As a runtime starts a container: no signal blocked (this launcher may have been started by
    # a thread that blocks some) and none ignored (Python ignores SIGPIPE and SIGXFSZ).
    for signum in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    if options.report_peak_memory:
        print(f"run-in-rootfs: launcher peak RSS before exec {peak_rss_kib()} KiB", file=sys.stderr, flush=True)
    os.execve(options.command[0], options.command, environment)


def peak_rss_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main():
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--rootfs", required=True)
    arguments.add_argument("--user", default="65532:65532")
    arguments.add_argument("--cwd", default="/")
    arguments.add_argument("--env", action="append", default=[])
    arguments.add_argument("--tmpfs", action="append", default=[])
    arguments.add_argument("--bind", action="append", default=[])
    arguments.add_argument("--report-peak-memory", action="store_true",
                           help="print the program's peak RSS (the larger of its own and the launcher's before exec)")
    arguments.add_argument("command", nargs="+")
    options = arguments.parse_args()
    if os.geteuid() != 0:
        sys.exit("run-in-rootfs: run as root (namespaces, mounts and chroot need it)")
    root = os.path.realpath(options.rootfs)
    # Whoever started this may have blocked SIGTERM (a thread of a libdispatch process does):
    # it must reach the handler below, which passes it on.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID), "unshare")
    mount("none", "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here is seen outside
    pid = os.fork()
    if pid == 0:
        try:
            child(options, root)
        except OSError as error:
            print(f"run-in-rootfs: {error}", file=sys.stderr)
            os._exit(127)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _: os.kill(pid, number))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if options.report_peak_memory:
        print(f"run-in-rootfs: peak RSS {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} KiB", file=sys.stderr)
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


if __name__ == "__main__":
    main()
