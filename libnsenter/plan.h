/*
 * The plan: a flat byte buffer of steps compiled by TypeScript (src/runc/plan.ts)
 * and executed by the cloned child. Keep in sync with src/sys/plan_format.ts.
 *
 * Buffer layout (all integers little-endian, native x86_64/arm64):
 *   header:  u32 magic, u32 version, u64 clone_flags, u32 njoin, u32 nsteps
 *   join:    njoin × { u64 nstype, str path }   (setns, in order, before the clone)
 *   steps:   nsteps × { u32 op, u32 len, payload (len bytes, padded to 8) }
 *
 * A payload is a sequence of fields in the order each op documents below:
 *   u64  an integer;
 *   str  a u64 byte length, the bytes, a NUL, then zero padding to 8 bytes.
 * Lists are a u64 count then the items.
 */
#ifndef ENGINE_PLAN_H
#define ENGINE_PLAN_H

#define PLAN_MAGIC 0x4e474e45u /* "ENGN" */
#define PLAN_VERSION 1

enum plan_op {
	OP_SYNC = 1,         /* u64 tag: tell the parent, wait for its ack */
	OP_SETSID = 2,       /* - */
	OP_UNSHARE = 3,      /* u64 flags */
	OP_OPEN_ROOT = 4,    /* str path: sets the root register (host path of the rootfs) */
	OP_MOUNT = 5,        /* str src, str target (in root, "" = root itself), str fstype,
	                        u64 flags, str data, u64 mkdir (0 none, 1 dir, 2 file: created
	                        where the target's symlinks lead, inside root; 3 dir, and
	                        what it held is copied into the new mount: tmpcopyup) */
	OP_MOUNT_HOST = 6,   /* str src, str target (host path), str fstype, u64 flags, str data */
	OP_REMOUNT = 7,      /* str target (in root), u64 flags: bind remount keeping locked flags */
	OP_MKDIR = 8,        /* str path (in root), u64 mode */
	OP_MKNOD = 9,        /* str path (in root), u64 mode, u64 dev, u64 uid, u64 gid */
	OP_SYMLINK = 10,     /* str target, str linkpath (in root) */
	OP_PIVOT_ROOT = 11,  /* - : pivot into the root register */
	OP_CHROOT = 12,      /* - : --no-pivot: MS_MOVE root onto / and chroot */
	OP_MASK = 13,        /* str path (in root): tmpfs on dirs, /dev/null on files */
	OP_READONLY = 14,    /* str path (in root): bind onto itself read-only */
	OP_SETHOSTNAME = 15, /* str name */
	OP_SETDOMAINNAME = 16, /* str name */
	OP_WRITE_FILE = 17,  /* str path (absolute, current root), str data */
	OP_SETRLIMIT = 18,   /* u64 resource, u64 soft, u64 hard */
	OP_CONSOLE = 19,     /* u64 socket fd, u64 rows, u64 cols, u64 bind onto /dev/console */
	OP_DUP2 = 20,        /* u64 from, u64 to */
	OP_CHDIR = 21,       /* str path */
	OP_UMASK = 22,       /* u64 mask */
	OP_SETGROUPS = 23,   /* u64 n, n × u64 gid */
	OP_SETID = 24,       /* u64 uid, u64 gid: setresgid then setresuid, keeping caps */
	OP_CAPS = 25,        /* u64 effective, permitted, inheritable, ambient */
	OP_NO_NEW_PRIVS = 26,/* - */
	OP_SECCOMP = 27,     /* u64 flags, u64 nfilters, nfilters × u64 (struct sock_filter) */
	OP_EXEC_FIFO_OPEN = 28, /* u64 fd: the exec fifo, opened O_PATH by the parent */
	OP_READY = 29,       /* - : tell the parent setup is done */
	OP_EXEC_FIFO_WAIT = 30, /* - : block until `start` opens the fifo */
	OP_CLOSE_FDS = 31,   /* u64 first: close every fd >= first (but the exec fifo's) */
	OP_EXEC = 32,        /* str path, u64 argc, argc × str, u64 envc, envc × str */
	OP_OOM_SCORE = 33,   /* str value: write to /proc/self/oom_score_adj */
	OP_DUMPABLE = 34,    /* u64 0|1 */
	OP_MAKE_PRIVATE = 35,/* u64 flags: propagation of / (MS_SLAVE|MS_REC, …) */
	OP_CHECK_CWD = 36,   /* - : the cwd must be inside the current root */
	OP_LOOKPATH = 39,    /* str name, str PATH: find the program as execve would, in the
	                        current root and cwd; sets the path OP_EXEC uses when its is "" */
	OP_BOUNDING = 38,    /* u64 bounding set: drop every capability not in it */
	OP_HOOK = 37,        /* u64 stdin (-1-slot: a state from OP_RECV_STATE), u64 timeout s,
	                        str path, u64 argc, argc × str, u64 envc, envc × str: run and
	                        wait; non-zero exit fails */
	OP_RECV_STATE = 40,  /* u64 slot (0|1): read u32 length + that many bytes (the container
	                        state JSON, at most 32 KiB) from the sync socket */
	OP_KEYRING = 42,     /* str name, u64 mask, u64 setbits: join (or make) the session
	                        keyring `name`; its permissions become (perm & mask) | setbits
	                        unless mask is 0 (join only) */
	OP_MOUNT_ATTR = 41,  /* str target (in root), u64 attr_set, u64 attr_clr: mount_setattr
	                        with AT_RECURSIVE (MOUNT_ATTR_* bits) */
};

/* Messages on the sync socket, child → parent. */
enum sync_type {
	SYNC_PID = 1,   /* value = pid of the container init (from stage 1) */
	SYNC_STEP = 2,  /* value = tag of an OP_SYNC: parent acks with one byte */
	SYNC_READY = 3, /* setup done; waiting on the exec fifo (or about to exec) */
	SYNC_ERROR = 4, /* step = failing step index (-1-i for join i), err = errno; value =
	                   a failed hook's wait status (err ECANCELED) */
};

struct sync_msg {
	int type;
	int step;
	int err;
	int value;
};

#endif
