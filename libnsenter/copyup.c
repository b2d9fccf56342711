/*
 * tmpcopyup: the contents a directory had before a tmpfs was mounted on it, copied into the
 * tmpfs (runc's extension mount option). Runs in the container process before pivot_root:
 * async-signal-safe, raw system calls and static buffers only. Every entry is opened
 * relative to its directory's fd and never followed: symlinks are copied as symlinks,
 * devices, fifos and sockets are made anew (never opened), regular files are read with
 * O_NOFOLLOW. Owner, mode and times are kept; extended attributes are not (as runc).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "steps.h"

#define COPYUP_MAX_DEPTH 64

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static char copy_buf[65536];

static int copy_file(int src_dir, int dst_dir, const char *name, mode_t mode)
{
	int in, out, e = 0;
	ssize_t n;
	in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (in < 0)
		return errno;
	out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     mode & 0777);
	if (out < 0) {
		e = errno;
		close(in);
		return e;
	}
	while ((n = read(in, copy_buf, sizeof(copy_buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, copy_buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				e = errno;
				break;
			}
			off += w;
		}
		if (e)
			break;
	}
	close(in);
	close(out);
	return e;
}

/* Owner, then mode (a chown clears set-id bits), then times, of dst_dir/name as st. */
static int copy_meta(int dst_dir, const char *name, const struct stat *st)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	if (fchownat(dst_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	if (!S_ISLNK(st->st_mode) && fchmodat(dst_dir, name, st->st_mode & 07777, 0) < 0)
		return errno;
	if (utimensat(dst_dir, name, times, AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	return 0;
}

static int copy_entry(int src_dir, int dst_dir, const char *name, int depth);

static int copy_dir_contents(int src_dir, int dst_dir, int depth)
{
	char dents[4096];
	long n;
	if (depth > COPYUP_MAX_DEPTH)
		return ELOOP;
	while ((n = syscall(SYS_getdents64, src_dir, dents, sizeof(dents))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(dents + off);
			const char *nm = d->d_name;
			int e;
			off += d->d_reclen;
			if (nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0')))
				continue;
			if ((e = copy_entry(src_dir, dst_dir, nm, depth)))
				return e;
		}
	}
	return n < 0 ? errno : 0;
}

static int copy_entry(int src_dir, int dst_dir, const char *name, int depth)
{
	struct stat st;
	int e = 0;
	if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	if (S_ISDIR(st.st_mode)) {
		int s, d;
		if (mkdirat(dst_dir, name, 0700) < 0)
			return errno;
		s = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0)
			return errno;
		d = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d < 0) {
			e = errno;
			close(s);
			return e;
		}
		e = copy_dir_contents(s, d, depth + 1);
		close(s);
		close(d);
	} else if (S_ISREG(st.st_mode)) {
		e = copy_file(src_dir, dst_dir, name, st.st_mode);
	} else if (S_ISLNK(st.st_mode)) {
		char link[4096];
		ssize_t n = readlinkat(src_dir, name, link, sizeof(link) - 1);
		if (n < 0)
			return errno;
		link[n] = '\0';
		if (symlinkat(link, dst_dir, name) < 0)
			e = errno;
	} else if (mknodat(dst_dir, name, st.st_mode, st.st_rdev) < 0) {
		e = errno;
	}
	return e ? e : copy_meta(dst_dir, name, &st);
}

int copy_tree(int src_dir, int dst_dir)
{
	return copy_dir_contents(src_dir, dst_dir, 0);
}
