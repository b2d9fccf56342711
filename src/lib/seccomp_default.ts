// The default seccomp profile, with the same effect as Docker's: an allowlist (anything
// else fails with EPERM), widened by the capabilities the container holds. Kept as data;
// `defaultSeccomp(caps)` renders the OCI linux.seccomp for one container on x86_64.

interface Group {
  names: string[];
  /** Allowed only when the container holds every one of these capabilities. */
  caps?: string[];
  /** Allowed only when it holds none of these. */
  notCaps?: string[];
  /** Only on these Go architectures (amd64, x32, x86, arm64, …). */
  arches?: string[];
  args?: { index: number; value: number; op: string }[];
  action?: "SCMP_ACT_ALLOW" | "SCMP_ACT_ERRNO";
  errnoRet?: number;
}

const ALWAYS =
  `accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2
dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64
fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs
fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd
getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32
getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32
getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt
get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init
inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents
io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit io_uring_enter io_uring_register
io_uring_setup ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown
lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr
lstat lstat64 madvise membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat
mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv
msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open
openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect
poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6
pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom
recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2
restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity
sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop
semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32
setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid
setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit
set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat
shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall
socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs
sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64
timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime
utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev`;

const words = (s: string) => s.split(/\s+/).filter(Boolean);
const EQ = "SCMP_CMP_EQ";
/** clone flags that create namespaces (CLONE_NEWNS|UTS|IPC|USER|PID|NET|CGROUP). */
const CLONE_NS_MASK = 0x7e020000;
const AF_VSOCK = 40;

const GROUPS: Group[] = [
  { names: words(ALWAYS) },
  // The kernel gates these by ptrace_may_access since 4.8.
  { names: ["process_vm_readv", "process_vm_writev", "ptrace"] },
  { names: ["socket"], args: [{ index: 0, value: AF_VSOCK, op: "SCMP_CMP_NE" }] },
  ...[0, 8, 0x20000, 0x20008, 0xffffffff].map((v) => ({
    names: ["personality"],
    args: [{ index: 0, value: v, op: EQ }],
  })),
  { names: ["arch_prctl"], arches: ["amd64", "x32"] },
  { names: ["modify_ldt"], arches: ["amd64", "x32", "x86"] },
  { names: ["open_by_handle_at"], caps: ["CAP_DAC_READ_SEARCH"] },
  {
    names: words(`bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount
      mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname
      sethostname setns syslog umount umount2 unshare`),
    caps: ["CAP_SYS_ADMIN"],
  },
  // Without CAP_SYS_ADMIN: clone without namespace flags, and clone3 fails with ENOSYS so
  // that libcs fall back to clone (its flags are in memory, out of seccomp's reach).
  {
    names: ["clone"],
    notCaps: ["CAP_SYS_ADMIN"],
    args: [{ index: 0, value: CLONE_NS_MASK, op: "SCMP_CMP_MASKED_EQ" }],
  },
  { names: ["clone3"], notCaps: ["CAP_SYS_ADMIN"], action: "SCMP_ACT_ERRNO", errnoRet: 38 },
  { names: ["reboot"], caps: ["CAP_SYS_BOOT"] },
  { names: ["chroot"], caps: ["CAP_SYS_CHROOT"] },
  { names: ["delete_module", "init_module", "finit_module"], caps: ["CAP_SYS_MODULE"] },
  { names: ["acct"], caps: ["CAP_SYS_PACCT"] },
  {
    names: [
      "kcmp",
      "pidfd_getfd",
      "process_madvise",
      "process_vm_readv",
      "process_vm_writev",
      "ptrace",
    ],
    caps: ["CAP_SYS_PTRACE"],
  },
  { names: ["iopl", "ioperm"], caps: ["CAP_SYS_RAWIO"] },
  { names: ["settimeofday", "stime", "clock_settime", "clock_settime64"], caps: ["CAP_SYS_TIME"] },
  { names: ["vhangup"], caps: ["CAP_SYS_TTY_CONFIG"] },
  {
    names: ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"],
    caps: ["CAP_SYS_NICE"],
  },
  { names: ["syslog"], caps: ["CAP_SYSLOG"] },
  { names: ["bpf"], caps: ["CAP_BPF"] },
  { names: ["perf_event_open"], caps: ["CAP_PERFMON"] },
];

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: {
    names: string[];
    action: string;
    errnoRet?: number;
    args?: { index: number; value: number; valueTwo: number; op: string }[];
  }[];
}

/** The profile for a container holding `caps` (its bounding set), on `arch` (Go's name). */
export function defaultSeccomp(caps: string[], arch = "amd64"): OciSeccomp {
  const has = new Set(caps);
  const syscalls: OciSeccomp["syscalls"] = [];
  for (const g of GROUPS) {
    if (g.caps && !g.caps.every((c) => has.has(c))) continue;
    if (g.notCaps && g.notCaps.some((c) => has.has(c))) continue;
    if (g.arches && !g.arches.includes(arch)) continue;
    const rule: OciSeccomp["syscalls"][number] = {
      names: g.names,
      action: g.action ?? "SCMP_ACT_ALLOW",
    };
    if (g.errnoRet !== undefined) rule.errnoRet = g.errnoRet;
    if (g.args) rule.args = g.args.map((a) => ({ ...a, valueTwo: 0 }));
    syscalls.push(rule);
  }
  return {
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: 1,
    architectures: arch === "amd64" ? ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"] : [],
    syscalls,
  };
}
