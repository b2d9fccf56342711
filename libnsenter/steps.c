/*
 * The plan's steps, executed in the cloned container process. Async-signal-safe only:
 * raw system calls, static buffers, no allocation. Every path inside the container is
 * resolved under the root register with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
 * and used through its fd (mount onto /proc/self/fd/N), never as a joined string.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "steps.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_SETPERM 5
#define KEYCTL_DESCRIBE 6
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#define MAX_SYMLINKS 40

/* mount_setattr(2)'s argument, named apart from the libc headers that may define it. */
struct engine_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

#define MAX_ARGS 4096
#define MAX_PATH 4096

static int root_fd = -1;     /* the root register: the container's root directory */
static int fifo_fd = -1;     /* O_PATH fd of the exec fifo */
static char *argv_buf[MAX_ARGS + 1];
static char *envp_buf[MAX_ARGS + 1];
static char path_buf[MAX_PATH];
static char fdpath_buf[64];
static char fdpath_buf2[64];
static char exec_path[MAX_PATH]; /* set by OP_LOOKPATH */
static char resolved_buf[MAX_PATH]; /* resolve_in_root's result */

/* ---- plan decoding ---- */

uint64_t cur_u64(struct cursor *c)
{
	uint64_t v = 0;
	if (c->end - c->p < 8) {
		c->p = c->end;
		return 0;
	}
	memcpy(&v, c->p, 8);
	c->p += 8;
	return v;
}

const char *cur_str(struct cursor *c)
{
	uint64_t n = cur_u64(c);
	uint64_t padded = (n + 1 + 7) & ~(uint64_t)7;
	const char *s = (const char *)c->p;
	if ((uint64_t)(c->end - c->p) < padded || s[n] != '\0') {
		c->p = c->end;
		return NULL;
	}
	c->p += padded;
	return s;
}

/* ---- small helpers ---- */

int prctl_dumpable(int on)
{
	return prctl(PR_SET_DUMPABLE, on, 0, 0, 0);
}

int wait_ack(int sync_fd)
{
	char b;
	ssize_t n;
	do {
		n = read(sync_fd, &b, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

static char *utoa(unsigned long v, char *end)
{
	*--end = '\0';
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

/* "/proc/self/fd/N" for fd, in one of two static buffers. */
static const char *fd_path(int fd, char *buf)
{
	static const char prefix[] = "/proc/self/fd/";
	char num[24];
	const char *n = utoa((unsigned long)fd, num + sizeof(num));
	size_t pl = sizeof(prefix) - 1, nl = strlen(n);
	memcpy(buf, prefix, pl);
	memcpy(buf + pl, n, nl + 1);
	return buf;
}

static int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = flags | O_CLOEXEC;
	how.resolve = resolve;
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Opens `path` inside the root register; "" or "/" is the root itself. */
static int open_in_root(const char *path, uint64_t flags)
{
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	return sys_openat2(root_fd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/* Splits `path` (copied to path_buf) into its parent, opened in root, and last name. */
static int open_parent(const char *path, const char **name)
{
	size_t n = strlen(path);
	char *slash;
	if (n >= MAX_PATH)
		return -ENAMETOOLONG;
	memcpy(path_buf, path, n + 1);
	while (n > 1 && path_buf[n - 1] == '/')
		path_buf[--n] = '\0';
	slash = strrchr(path_buf, '/');
	if (!slash) {
		*name = path_buf;
		return open_in_root("", O_PATH | O_DIRECTORY);
	}
	*slash = '\0';
	*name = slash + 1;
	return open_in_root(path_buf, O_PATH | O_DIRECTORY);
}

/*
 * Resolves `path` inside the root register into resolved_buf, following every symlink met
 * the way the kernel's RESOLVE_IN_ROOT would (an absolute link restarts at the root, ".."
 * stops there), but going on past a missing component, so that the result names the file
 * a mount target must be created as: a target that is a dangling symlink "/a -> /b/c" gives
 * "/b/c", as runc's securejoin does. The result holds no symlink at the time of the call;
 * it is still opened in root afterwards, so a later swap cannot lead outside.
 */
static int resolve_in_root(const char *path)
{
	static char rest[MAX_PATH], link[MAX_PATH];
	char *out = resolved_buf;
	size_t outlen = 0, n = strlen(path);
	int links = 0;
	const char *p;
	if (n >= MAX_PATH)
		return ENAMETOOLONG;
	memcpy(rest, path, n + 1);
	out[0] = '\0';
	p = rest;
	for (;;) {
		const char *q;
		size_t len;
		int fd;
		ssize_t ln;
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q && *q != '/'; q++)
			;
		len = (size_t)(q - p);
		if (len == 1 && p[0] == '.') {
			p = q;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (outlen > 0 && out[outlen - 1] != '/')
				outlen--;
			if (outlen > 0)
				outlen--;
			out[outlen] = '\0';
			p = q;
			continue;
		}
		if (outlen + 1 + len >= MAX_PATH)
			return ENAMETOOLONG;
		out[outlen] = '/';
		memcpy(out + outlen + 1, p, len);
		out[outlen + 1 + len] = '\0';
		p = q;
		fd = open_in_root(out, O_PATH | O_NOFOLLOW);
		if (fd < 0) {
			if (errno != ENOENT)
				return errno;
			outlen += 1 + len; /* missing: kept as written */
			continue;
		}
		ln = readlinkat(fd, "", link, sizeof(link) - 1);
		close(fd);
		if (ln < 0) {
			if (errno != EINVAL && errno != ENOENT)
				return errno;
			outlen += 1 + len; /* not a symlink */
			continue;
		}
		if (++links > MAX_SYMLINKS)
			return ELOOP;
		link[ln] = '\0';
		/* Splice: the link's text, then what was left of the path. */
		n = strlen(p);
		if ((size_t)ln + 1 + n >= MAX_PATH)
			return ENAMETOOLONG;
		memmove(rest + ln + 1, p, n + 1);
		memcpy(rest, link, (size_t)ln);
		rest[ln] = '/';
		p = rest;
		out[outlen] = '\0';
		if (link[0] == '/')
			outlen = 0, out[0] = '\0';
	}
	if (outlen == 0)
		out[0] = '/', out[1] = '\0';
	return 0;
}

/* mkdir -p inside the root, each component resolved in root. */
static int mkdir_all(const char *path, mode_t mode)
{
	char prefix[MAX_PATH];
	size_t n = strlen(path), i = 0;
	if (n >= MAX_PATH)
		return ENAMETOOLONG;
	while (i < n) {
		while (i < n && path[i] == '/')
			i++;
		if (i >= n)
			break;
		while (i < n && path[i] != '/')
			i++;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		int fd = open_in_root(prefix, O_PATH | O_DIRECTORY);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno != ENOENT)
			return errno;
		const char *name;
		int parent = open_parent(prefix, &name);
		if (parent < 0)
			return errno;
		int r = mkdirat(parent, name, mode);
		int e = errno;
		close(parent);
		if (r < 0 && e != EEXIST)
			return e;
	}
	return 0;
}

/* Creates an empty file at `path` (a bind-mount target) unless something is there. */
static int touch(const char *path)
{
	const char *name;
	int parent, fd, e;
	char dir[MAX_PATH];
	const char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		size_t n = (size_t)(slash - path);
		if (n >= MAX_PATH)
			return ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
		if ((e = mkdir_all(dir, 0755)))
			return e;
	}
	parent = open_parent(path, &name);
	if (parent < 0)
		return errno;
	fd = openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	e = errno;
	close(parent);
	if (fd < 0 && e != EEXIST && e != ELOOP && e != EISDIR)
		return e;
	if (fd >= 0)
		close(fd);
	return 0;
}

/* The mount flags a remount must keep (they are locked in a user namespace). */
static unsigned long locked_flags(const char *target)
{
	struct statfs st;
	const unsigned long keep = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
				   MS_NODIRATIME | MS_RELATIME;
	/* statfs's f_flags use the MS_* bit values (ST_NOSUID == MS_NOSUID, …). */
	if (syscall(SYS_statfs, target, &st) < 0)
		return 0;
	return (unsigned long)st.f_flags & keep;
}

static int remount(const char *target, unsigned long flags)
{
	flags |= MS_REMOUNT | MS_BIND;
	if (mount(NULL, target, NULL, flags, NULL) == 0)
		return 0;
	if (errno != EPERM)
		return errno;
	if (mount(NULL, target, NULL, flags | locked_flags(target), NULL) == 0)
		return 0;
	return errno;
}

/* ---- steps ---- */

/*
 * A tmpfs over an existing directory starts with that directory's mode, as runc's: "mode=…"
 * of it goes before the options, so a mode they give wins. Reads resolved_buf; *data may
 * be replaced by a static buffer.
 */
static int tmpfs_keeps_mode(const char **data)
{
	static char buf[MAX_PATH + 16];
	struct stat st;
	size_t n = strlen(*data);
	char *p = buf + 5;
	int fd = open_in_root(resolved_buf, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : errno;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return e;
	}
	close(fd);
	if (n + 16 > sizeof(buf))
		return ENAMETOOLONG;
	memcpy(buf, "mode=", 5);
	for (int shift = 9; shift >= 0; shift -= 3)
		*p++ = (char)('0' + ((st.st_mode >> shift) & 7));
	if (n) {
		*p++ = ',';
		memcpy(p, *data, n);
		p += n;
	}
	*p = '\0';
	*data = buf;
	return 0;
}

/*
 * tmpcopyup: a directory opened before the mount still reads what lies beneath it, so its
 * contents are copied into the new mount's root; a read-only mount is made writable for
 * the copy and read-only after it.
 */
static int mount_copyup(const char *src, const char *target, const char *fstype,
			unsigned long flags, const char *data)
{
	int below, top, e = 0;
	below = open_in_root(target, O_RDONLY | O_DIRECTORY);
	if (below < 0)
		return errno;
	if (mount(*src ? src : NULL, fd_path(below, fdpath_buf), *fstype ? fstype : NULL,
		  flags & ~(unsigned long)MS_RDONLY, *data ? data : NULL) < 0) {
		e = errno;
		close(below);
		return e;
	}
	top = open_in_root(target, O_RDONLY | O_DIRECTORY);
	if (top < 0) {
		e = errno;
	} else {
		e = copy_tree(below, top);
		if (!e && (flags & MS_RDONLY))
			e = remount(fd_path(top, fdpath_buf), flags & ~(unsigned long)MS_REC);
		close(top);
	}
	close(below);
	return e;
}

static int do_mount(struct cursor *c)
{
	const char *src = cur_str(c), *target = cur_str(c), *fstype = cur_str(c);
	unsigned long flags = (unsigned long)cur_u64(c);
	const char *data = cur_str(c);
	uint64_t make = cur_u64(c);
	int fd, e = 0, dir = make == 1 || make == 3;
	if (!src || !target || !fstype || !data)
		return EINVAL;
	if (make && (e = resolve_in_root(target)))
		return e;
	if (dir && strcmp(fstype, "tmpfs") == 0 && (e = tmpfs_keeps_mode(&data)))
		return e;
	if (dir)
		e = mkdir_all(resolved_buf, 0755);
	else if (make == 2)
		e = touch(resolved_buf);
	if (e)
		return e;
	if (make == 3)
		return mount_copyup(src, target, fstype, flags, data);
	fd = open_in_root(target, O_PATH);
	if (fd < 0)
		return errno;
	if (mount(*src ? src : NULL, fd_path(fd, fdpath_buf), *fstype ? fstype : NULL, flags,
		  *data ? data : NULL) < 0)
		e = errno;
	close(fd);
	return e;
}

static int do_remount(struct cursor *c)
{
	const char *target = cur_str(c);
	unsigned long flags = (unsigned long)cur_u64(c);
	int fd, e;
	if (!target)
		return EINVAL;
	fd = open_in_root(target, O_PATH);
	if (fd < 0)
		return errno;
	e = remount(fd_path(fd, fdpath_buf), flags);
	close(fd);
	return e;
}

/* Recursive mount attributes (rro, rnosuid, …) on the mount at target and every one below. */
static int do_mount_attr(struct cursor *c)
{
	const char *target = cur_str(c);
	struct engine_mount_attr attr;
	int fd, e = 0;
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = cur_u64(c);
	attr.attr_clr = cur_u64(c);
	if (!target)
		return EINVAL;
	fd = open_in_root(target, O_PATH);
	if (fd < 0)
		return errno;
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		e = errno;
	close(fd);
	return e;
}

/*
 * A session keyring of the container's own instead of the caller's (runc's "_ses.<id>"): the
 * keys of whoever ran the runtime stay out of reach. No keyrings in this kernel (ENOSYS) is
 * not an error, as in runc.
 */
static int do_keyring(struct cursor *c)
{
	const char *name = cur_str(c);
	uint32_t mask = (uint32_t)cur_u64(c), setbits = (uint32_t)cur_u64(c);
	char desc[512];
	long id, n;
	uint32_t perm = 0;
	if (!name)
		return EINVAL;
	id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name);
	if (id < 0)
		return errno == ENOSYS ? 0 : errno;
	if (!mask)
		return 0;
	/* "type;uid;gid;perm;description": the fourth field, in hex. */
	n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof(desc) - 1);
	if (n < 0)
		return errno;
	desc[n < (long)sizeof(desc) ? n : (long)sizeof(desc) - 1] = '\0';
	const char *p = desc;
	for (int field = 0; field < 3; field++) {
		while (*p && *p != ';')
			p++;
		if (!*p)
			return EINVAL;
		p++;
	}
	for (; *p && *p != ';'; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10;
		if (d < 0 || d > 15)
			return EINVAL;
		perm = perm << 4 | (uint32_t)d;
	}
	if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, (perm & mask) | setbits) < 0)
		return errno;
	return 0;
}

static int do_mknod(struct cursor *c)
{
	const char *path = cur_str(c), *name;
	mode_t mode = (mode_t)cur_u64(c);
	dev_t dev = (dev_t)cur_u64(c);
	uid_t uid = (uid_t)cur_u64(c);
	gid_t gid = (gid_t)cur_u64(c);
	int parent, e = 0;
	if (!path)
		return EINVAL;
	parent = open_parent(path, &name);
	if (parent < 0)
		return errno;
	if (mknodat(parent, name, mode, dev) < 0) {
		e = errno;
		if (e == EEXIST && unlinkat(parent, name, 0) == 0)
			e = mknodat(parent, name, mode, dev) < 0 ? errno : 0;
	}
	if (!e && fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		e = errno;
	close(parent);
	return e;
}

static int do_symlink(struct cursor *c)
{
	const char *target = cur_str(c), *link = cur_str(c), *name;
	int parent, e = 0;
	if (!target || !link)
		return EINVAL;
	parent = open_parent(link, &name);
	if (parent < 0)
		return errno;
	if (symlinkat(target, parent, name) < 0 && errno != EEXIST)
		e = errno;
	close(parent);
	return e;
}

static int reopen_root(void)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (root_fd >= 0)
		close(root_fd);
	root_fd = fd;
	return 0;
}

static int do_pivot_root(void)
{
	if (fchdir(root_fd) < 0)
		return errno;
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return errno;
	/* The old root is stacked under "."; keep its unmount from reaching the host. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return errno;
	if (umount2(".", MNT_DETACH) < 0)
		return errno;
	if (chdir("/") < 0)
		return errno;
	return reopen_root();
}

static int do_chroot(void)
{
	if (fchdir(root_fd) < 0)
		return errno;
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return errno;
	if (chroot(".") < 0 || chdir("/") < 0)
		return errno;
	return reopen_root();
}

/* maskedPaths: tmpfs over directories, the container's /dev/null over anything else. */
static int do_mask(struct cursor *c)
{
	const char *path = cur_str(c);
	struct stat st, nst;
	int fd, null_fd, e = 0;
	if (!path)
		return EINVAL;
	fd = open_in_root(path, O_PATH);
	if (fd < 0)
		return errno == ENOENT ? 0 : errno;
	if (fstat(fd, &st) < 0) {
		e = errno;
	} else if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", fd_path(fd, fdpath_buf), "tmpfs", MS_RDONLY, NULL) < 0)
			e = errno;
	} else {
		null_fd = open_in_root("/dev/null", O_PATH);
		/* Check what we hold: it must be the real null device, not a planted file. */
		if (null_fd < 0 || fstat(null_fd, &nst) < 0) {
			e = errno;
		} else if (!S_ISCHR(nst.st_mode) || nst.st_rdev != makedev(1, 3)) {
			e = EPERM;
		} else if (mount(fd_path(null_fd, fdpath_buf2), fd_path(fd, fdpath_buf), NULL, MS_BIND,
				 NULL) < 0) {
			e = errno;
		}
		if (null_fd >= 0)
			close(null_fd);
	}
	close(fd);
	return e;
}

static int do_readonly(struct cursor *c)
{
	const char *path = cur_str(c);
	int fd, e = 0;
	if (!path)
		return EINVAL;
	fd = open_in_root(path, O_PATH);
	if (fd < 0)
		return errno == ENOENT ? 0 : errno;
	fd_path(fd, fdpath_buf);
	if (mount(fdpath_buf, fdpath_buf, NULL, MS_BIND | MS_REC, NULL) < 0) {
		e = errno;
		close(fd);
		return e;
	}
	close(fd);
	/* The fd held the covered directory: reopen to reach the new mount. */
	fd = open_in_root(path, O_PATH);
	if (fd < 0)
		return errno;
	/* As runc: the bind keeps the flags of the mount it copies (/proc's nosuid, nodev,
	 * noexec), which a remount not naming them would clear. */
	fd_path(fd, fdpath_buf);
	e = remount(fdpath_buf, MS_RDONLY | MS_REC | locked_flags(fdpath_buf));
	close(fd);
	return e;
}

static int write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t n = strlen(data);
	int e = 0;
	if (fd < 0)
		return errno;
	if (write(fd, data, n) != (ssize_t)n)
		e = errno ? errno : EIO;
	close(fd);
	return e;
}

/* Bind-mounts the pty slave onto /dev/console, as runc does for a terminal. */
static int mount_console(int slave)
{
	int e, fd;
	if ((e = touch("/dev/console")))
		return e;
	fd = open_in_root("/dev/console", O_PATH);
	if (fd < 0)
		return errno;
	e = mount(fd_path(slave, fdpath_buf2), fd_path(fd, fdpath_buf), NULL, MS_BIND, NULL) < 0
		    ? errno
		    : 0;
	close(fd);
	return e;
}

/* terminal: a pty from the container's devpts; the master goes out over the console socket. */
static int do_console(struct cursor *c)
{
	int sock = (int)cur_u64(c);
	struct winsize ws = { 0 };
	int master, slave, unlock = 0, e;
	ws.ws_row = (unsigned short)cur_u64(c);
	ws.ws_col = (unsigned short)cur_u64(c);
	uint64_t dev_console = cur_u64(c);
	master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return errno;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return errno;
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return errno;
	if ((ws.ws_row || ws.ws_col) && ioctl(slave, TIOCSWINSZ, &ws) < 0)
		return errno;
	if (dev_console && (e = mount_console(slave)))
		return e;
	if ((e = engine_sendfd(sock, master, "/dev/ptmx")) < 0)
		return -e;
	close(master);
	close(sock);
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return errno;
	for (int i = 0; i < 3; i++)
		if (dup3(slave, i, 0) < 0)
			return errno;
	if (slave > 2)
		close(slave);
	return 0;
}

static int do_caps(struct cursor *c)
{
	uint64_t eff = cur_u64(c), perm = cur_u64(c), inh = cur_u64(c), amb = cur_u64(c);
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].permitted = (uint32_t)perm;
	data[1].permitted = (uint32_t)(perm >> 32);
	data[0].inheritable = (uint32_t)inh;
	data[1].inheritable = (uint32_t)(inh >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	for (int cap = 0; cap < 64; cap++)
		if (amb & (1ULL << cap))
			prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
	return 0;
}

static int do_bounding(struct cursor *c)
{
	uint64_t keep = cur_u64(c);
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return errno;
	}
	return 0;
}

static int do_setid(struct cursor *c)
{
	uid_t uid = (uid_t)cur_u64(c);
	gid_t gid = (gid_t)cur_u64(c);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return errno;
	/* Raw system calls: glibc's set*id would signal threads this process no longer has. */
	if (syscall(SYS_setresgid, gid, gid, gid) < 0)
		return errno;
	if (syscall(SYS_setresuid, uid, uid, uid) < 0)
		return errno;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return errno;
	return 0;
}

static int do_setgroups(struct cursor *c)
{
	static gid_t groups[65536];
	uint64_t n = cur_u64(c);
	if (n > 65536)
		return EINVAL;
	for (uint64_t i = 0; i < n; i++)
		groups[i] = (gid_t)cur_u64(c);
	return syscall(SYS_setgroups, (int)n, groups) < 0 ? errno : 0;
}

static int do_seccomp(struct cursor *c)
{
	static struct sock_filter filters[4096];
	uint64_t flags = cur_u64(c), n = cur_u64(c);
	struct sock_fprog prog;
	if (n == 0 || n > 4096)
		return EINVAL;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = cur_u64(c);
		memcpy(&filters[i], &v, sizeof(filters[i]));
	}
	prog.len = (unsigned short)n;
	prog.filter = filters;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)flags, &prog) < 0 ? errno : 0;
}

/* Reads a string list (count, then items) into a NULL-terminated static array. */
static int read_list(struct cursor *c, char **out)
{
	uint64_t n = cur_u64(c);
	if (n > MAX_ARGS)
		return E2BIG;
	for (uint64_t i = 0; i < n; i++) {
		out[i] = (char *)cur_str(c);
		if (!out[i])
			return EINVAL;
	}
	out[n] = NULL;
	return 0;
}

/* Container states (JSON) received from the parent for hooks' stdin: OP_RECV_STATE. */
#define STATE_MAX 32768
static char state_buf[2][STATE_MAX];
static uint32_t state_len[2];

static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? errno : EPIPE;
		got += (size_t)r;
	}
	return 0;
}

static int do_recv_state(struct cursor *c, int sync_fd)
{
	uint64_t slot = cur_u64(c);
	uint32_t n;
	int e;
	if (slot > 1)
		return EINVAL;
	if ((e = read_full(sync_fd, &n, sizeof(n))))
		return e;
	if (n > STATE_MAX)
		return E2BIG;
	state_len[slot] = n;
	return read_full(sync_fd, state_buf[slot], n);
}

/* A pipe whose read end holds state slot `slot` (it fits in the pipe's buffer). */
static int state_pipe(uint64_t slot)
{
	int p[2];
	if (slot > 1 || pipe2(p, O_CLOEXEC) < 0)
		return -1;
	if (write(p[1], state_buf[slot], state_len[slot]) != (ssize_t)state_len[slot]) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	return p[0];
}

/* A hook that ran and failed: its wait status, for the error message (spawn.c sends it). */
int step_detail;

static int do_hook(struct cursor *c)
{
	int in = (int)cur_u64(c);
	uint64_t timeout = cur_u64(c);
	const char *path = cur_str(c);
	int e, status, exec_err = 0, ep[2];
	long pid;
	if (!path)
		return EINVAL;
	if ((e = read_list(c, argv_buf)) || (e = read_list(c, envp_buf)))
		return e;
	/* in < 0: state slot -1-in, through a pipe. */
	if (in < 0 && (in = state_pipe((uint64_t)(-1 - in))) < 0)
		return errno ? errno : EIO;
	/* A failed execve sends its errno through ep; a successful one closes it (CLOEXEC). */
	if (pipe2(ep, O_CLOEXEC) < 0) {
		e = errno;
		close(in);
		return e;
	}
	pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		e = errno;
		close(in);
		close(ep[0]);
		close(ep[1]);
		return e;
	}
	if (pid == 0) {
		close(ep[0]);
		dup3(in, 0, 0);
		execve(path, argv_buf, envp_buf);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(in);
	close(ep[1]);
	for (uint64_t waited = 0;; waited += 10) {
		long r = waitpid((pid_t)pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			e = errno;
			close(ep[0]);
			return e;
		}
		if (timeout && waited >= timeout * 1000) {
			kill((pid_t)pid, SIGKILL);
			waitpid((pid_t)pid, &status, 0);
			close(ep[0]);
			return ETIMEDOUT;
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (read(ep[0], &exec_err, sizeof(exec_err)) != sizeof(exec_err))
		exec_err = 0;
	close(ep[0]);
	if (exec_err)
		return exec_err;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	step_detail = status;
	return ECANCELED;
}

static void created_init_signal(int sig)
{
	_exit(128 + sig);
}

/*
 * As the init of its PID namespace, a created container ignores every signal it has no
 * handler for (SIGKILL aside). runc's init is a Go program, which exits on these: so `runc
 * kill` of a created container stops it. Ours catches the same ones until execve resets
 * them.
 */
static int exit_on_signals(void)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGTERM,
				    SIGSYS };
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = created_init_signal;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return errno;
	}
	return 0;
}

static int do_exec_fifo_wait(void)
{
	int fd, e;
	if (fifo_fd < 0)
		return EBADF;
	if ((e = exit_on_signals()))
		return e;
	/* Blocks until `start` opens the fifo for reading. */
	fd = open(fd_path(fifo_fd, fdpath_buf), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, "0", 1) != 1) {
		close(fd);
		return errno;
	}
	close(fd);
	close(fifo_fd);
	fifo_fd = -1;
	return 0;
}

static int do_close_fds(struct cursor *c)
{
	unsigned int first = (unsigned int)cur_u64(c);
	/* Marked close-on-exec rather than closed: the sync socket is still needed. */
	if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	for (unsigned int fd = first; fd < 65536; fd++)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

/* Is `path` an executable regular file? 0, or the errno execve would give. */
static int executable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111))
		return EACCES;
	return 0;
}

/* Resolves a program name the way Go's exec.LookPath does (runc's behaviour). */
static int do_lookpath(struct cursor *c)
{
	const char *name = cur_str(c), *path = cur_str(c), *dir;
	size_t nl;
	int e = ENOENT;
	if (!name || !path || !*name)
		return EINVAL;
	nl = strlen(name);
	if (nl >= MAX_PATH)
		return ENAMETOOLONG;
	if (strchr(name, '/')) {
		memcpy(exec_path, name, nl + 1);
		return executable(exec_path);
	}
	if (!*path)
		return ENOENT;
	for (dir = path;; dir++) {
		const char *end = strchr(dir, ':');
		size_t dl = end ? (size_t)(end - dir) : strlen(dir);
		if (dl == 0) {
			dir = ".";
			dl = 1;
		}
		if (dl + 1 + nl < MAX_PATH) {
			memcpy(exec_path, dir, dl);
			exec_path[dl] = '/';
			memcpy(exec_path + dl + 1, name, nl + 1);
			int r = executable(exec_path);
			if (r == 0)
				return 0;
			if (r == EACCES)
				e = EACCES;
		}
		if (!end)
			break;
		dir = end;
	}
	exec_path[0] = '\0';
	return e;
}

static int do_exec(struct cursor *c)
{
	const char *path = cur_str(c);
	int e;
	if (!path)
		return EINVAL;
	if ((e = read_list(c, argv_buf)) || (e = read_list(c, envp_buf)))
		return e;
	execve(*path ? path : exec_path, argv_buf, envp_buf);
	return errno;
}

static int do_check_cwd(void)
{
	/* A cwd outside the root reads as "(unreachable)/…" (CVE-2024-21626). */
	if (syscall(SYS_getcwd, path_buf, sizeof(path_buf)) < 0)
		return errno;
	return path_buf[0] == '/' ? 0 : EPERM;
}

int run_step(struct cursor *c, int index, int sync_fd)
{
	uint32_t op, len;
	struct cursor step;
	int e = 0;
	if (c->end - c->p < 8)
		return EINVAL;
	memcpy(&op, c->p, 4);
	memcpy(&len, c->p + 4, 4);
	if ((size_t)(c->end - c->p - 8) < len)
		return EINVAL;
	step.p = c->p + 8;
	step.end = step.p + len;
	c->p = step.end;
	errno = 0;

	switch (op) {
	case OP_SYNC: {
		struct sync_msg m = { SYNC_STEP, index, 0, (int)cur_u64(&step) };
		if (write(sync_fd, &m, sizeof(m)) != sizeof(m) || wait_ack(sync_fd) < 0)
			_exit(1); /* the parent is gone */
		break;
	}
	case OP_SETSID:
		if (setsid() < 0)
			e = errno;
		break;
	case OP_UNSHARE:
		if (unshare((int)cur_u64(&step)) < 0)
			e = errno;
		break;
	case OP_OPEN_ROOT: {
		const char *p = cur_str(&step);
		int fd = p ? open(p, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
		if (fd < 0)
			return p ? errno : EINVAL;
		if (root_fd >= 0)
			close(root_fd);
		root_fd = fd;
		break;
	}
	case OP_MOUNT:
		e = do_mount(&step);
		break;
	case OP_MOUNT_HOST: {
		const char *src = cur_str(&step), *tgt = cur_str(&step), *fs = cur_str(&step);
		unsigned long fl = (unsigned long)cur_u64(&step);
		const char *data = cur_str(&step);
		if (!src || !tgt || !fs || !data)
			return EINVAL;
		if (mount(*src ? src : NULL, tgt, *fs ? fs : NULL, fl, *data ? data : NULL) < 0)
			e = errno;
		break;
	}
	case OP_REMOUNT:
		e = do_remount(&step);
		break;
	case OP_MOUNT_ATTR:
		e = do_mount_attr(&step);
		break;
	case OP_KEYRING:
		e = do_keyring(&step);
		break;
	case OP_MKDIR: {
		const char *p = cur_str(&step);
		e = p ? mkdir_all(p, (mode_t)cur_u64(&step)) : EINVAL;
		break;
	}
	case OP_MKNOD:
		e = do_mknod(&step);
		break;
	case OP_SYMLINK:
		e = do_symlink(&step);
		break;
	case OP_PIVOT_ROOT:
		e = do_pivot_root();
		break;
	case OP_CHROOT:
		e = do_chroot();
		break;
	case OP_MASK:
		e = do_mask(&step);
		break;
	case OP_READONLY:
		e = do_readonly(&step);
		break;
	case OP_SETHOSTNAME: {
		const char *n = cur_str(&step);
		if (!n || sethostname(n, strlen(n)) < 0)
			e = n ? errno : EINVAL;
		break;
	}
	case OP_SETDOMAINNAME: {
		const char *n = cur_str(&step);
		if (!n || setdomainname(n, strlen(n)) < 0)
			e = n ? errno : EINVAL;
		break;
	}
	case OP_WRITE_FILE: {
		const char *p = cur_str(&step), *d = cur_str(&step);
		e = p && d ? write_file(p, d) : EINVAL;
		break;
	}
	case OP_OOM_SCORE: {
		const char *v = cur_str(&step);
		e = v ? write_file("/proc/self/oom_score_adj", v) : EINVAL;
		break;
	}
	case OP_SETRLIMIT: {
		int res = (int)cur_u64(&step);
		struct rlimit64 rl;
		rl.rlim_cur = cur_u64(&step);
		rl.rlim_max = cur_u64(&step);
		if (syscall(SYS_prlimit64, 0, res, &rl, NULL) < 0)
			e = errno;
		break;
	}
	case OP_CONSOLE:
		e = do_console(&step);
		break;
	case OP_DUP2: {
		int from = (int)cur_u64(&step), to = (int)cur_u64(&step);
		if (from != to && dup3(from, to, 0) < 0)
			e = errno;
		break;
	}
	case OP_CHDIR: {
		const char *p = cur_str(&step);
		if (!p || chdir(p) < 0)
			e = p ? errno : EINVAL;
		break;
	}
	case OP_UMASK:
		umask((mode_t)cur_u64(&step));
		break;
	case OP_SETGROUPS:
		e = do_setgroups(&step);
		break;
	case OP_SETID:
		e = do_setid(&step);
		break;
	case OP_BOUNDING:
		e = do_bounding(&step);
		break;
	case OP_CAPS:
		e = do_caps(&step);
		break;
	case OP_NO_NEW_PRIVS:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			e = errno;
		break;
	case OP_SECCOMP:
		e = do_seccomp(&step);
		break;
	case OP_EXEC_FIFO_OPEN:
		/* Opened by the parent: the path may not be reachable from our user namespace. */
		fifo_fd = (int)cur_u64(&step);
		if (fifo_fd < 0)
			e = EBADF;
		break;
	case OP_READY: {
		struct sync_msg m = { SYNC_READY, index, 0, 0 };
		if (write(sync_fd, &m, sizeof(m)) != sizeof(m))
			_exit(1);
		break;
	}
	case OP_EXEC_FIFO_WAIT:
		e = do_exec_fifo_wait();
		break;
	case OP_CLOSE_FDS:
		e = do_close_fds(&step);
		break;
	case OP_EXEC:
		e = do_exec(&step);
		break;
	case OP_DUMPABLE:
		if (prctl_dumpable((int)cur_u64(&step)) < 0)
			e = errno;
		break;
	case OP_MAKE_PRIVATE:
		if (mount(NULL, "/", NULL, (unsigned long)cur_u64(&step), NULL) < 0)
			e = errno;
		break;
	case OP_CHECK_CWD:
		e = do_check_cwd();
		break;
	case OP_LOOKPATH:
		e = do_lookpath(&step);
		break;
	case OP_HOOK:
		e = do_hook(&step);
		break;
	case OP_RECV_STATE:
		e = do_recv_state(&step, sync_fd);
		break;
	default:
		e = ENOSYS;
	}
	return e;
}
