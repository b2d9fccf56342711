/*
 * engine_spawn: clone a container process and run a plan in it.
 *
 * The caller is a multithreaded Deno process, so the children only make raw system
 * calls: no malloc, no stdio, no glibc wrapper that keeps process-wide state (set*id
 * broadcast to threads that no longer exist). Everything they need is in the plan
 * buffer, which the clone copies.
 *
 *   caller ──clone──▶ stage 1: non-dumpable, setns() into the namespaces to join,
 *                      then clone(CLONE_PARENT | new namespaces) and exit
 *          ◀─────────  stage 2 (a child of the caller, pid 1 of a new pid namespace):
 *                      runs the plan's steps, reporting on the sync socket
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plan.h"
#include "steps.h"

static void send_msg(int fd, int type, int step, int err, int value)
{
	struct sync_msg m = { type, step, err, value };
	ssize_t n;
	do {
		n = write(fd, &m, sizeof(m));
	} while (n < 0 && errno == EINTR);
}

static long raw_clone(unsigned long flags)
{
	return syscall(SYS_clone, flags, 0, 0, 0, 0);
}

struct header {
	uint32_t magic;
	uint32_t version;
	uint64_t clone_flags;
	uint32_t njoin;
	uint32_t nsteps;
};

static __attribute__((noreturn)) void stage2(const uint8_t *plan, size_t len, int sync_fd,
					     int unprivileged)
{
	const struct header *h = (const struct header *)plan;
	struct cursor c = { plan + sizeof(*h), plan + len };
	/* An unprivileged parent (rootless) can only write our id maps while /proc/<pid> is
	 * ours, not root's: dumpable until it has, as runc's nsexec does. */
	int remap = unprivileged && (h->clone_flags & CLONE_NEWUSER);
	int err;

	if (remap && prctl_dumpable(1) < 0) {
		send_msg(sync_fd, SYNC_ERROR, -1, errno, 0);
		_exit(1);
	}
	/* Wait for the parent's go: it has read our pid, joined us to the cgroup and
	 * written the id maps. Nothing is sent before that, so SYNC_PID comes first. */
	if (wait_ack(sync_fd) < 0)
		_exit(1);
	if (remap && prctl_dumpable(0) < 0) {
		send_msg(sync_fd, SYNC_ERROR, -1, errno, 0);
		_exit(1);
	}
	/* Skip the join entries: stage 1 already used them. */
	for (uint32_t i = 0; i < h->njoin; i++) {
		(void)cur_u64(&c);
		(void)cur_str(&c);
	}
	for (uint32_t i = 0; i < h->nsteps; i++) {
		err = run_step(&c, (int)i, sync_fd);
		if (err) {
			send_msg(sync_fd, SYNC_ERROR, (int)i, err, step_detail);
			_exit(1);
		}
	}
	/* A plan always ends in OP_EXEC; getting here means it did not. */
	send_msg(sync_fd, SYNC_ERROR, (int)h->nsteps, ENOEXEC, 0);
	_exit(1);
}

static __attribute__((noreturn)) void stage1(const uint8_t *plan, size_t len, int sync_fd)
{
	const struct header *h = (const struct header *)plan;
	struct cursor c = { plan + sizeof(*h), plan + len };
	int unprivileged = geteuid() != 0;
	long pid;

	/* Nothing in the container may open /proc/<pid>/exe of the engine (CVE-2019-5736). */
	if (prctl_dumpable(0) < 0) {
		send_msg(sync_fd, SYNC_ERROR, -1, errno, 0);
		_exit(1);
	}
	for (uint32_t i = 0; i < h->njoin; i++) {
		int nstype = (int)cur_u64(&c);
		const char *path = cur_str(&c);
		int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		if (fd < 0 || setns(fd, nstype) < 0) {
			send_msg(sync_fd, SYNC_ERROR, -2 - (int)i, path ? errno : EINVAL, 0);
			_exit(1);
		}
		close(fd);
	}
	pid = raw_clone(CLONE_PARENT | (unsigned long)h->clone_flags | SIGCHLD);
	if (pid < 0) {
		send_msg(sync_fd, SYNC_ERROR, -1, errno, 0);
		_exit(1);
	}
	if (pid == 0)
		stage2(plan, len, sync_fd, unprivileged);
	send_msg(sync_fd, SYNC_PID, 0, 0, (int)pid);
	_exit(0);
}

/*
 * Starts the plan. Returns the pid of the container process, or -1 with out[1] = the
 * failing step (-1: clone or prctl, -2-i: join entry i) and out[2] = errno. On success
 * out[0] is the parent's end of the sync socket (close-on-exec), where the child sends
 * struct sync_msg records.
 */
int engine_spawn(const uint8_t *plan, size_t len, int32_t *out)
{
	const struct header *h = (const struct header *)plan;
	struct sync_msg m;
	int sv[2], status;
	long pid1;
	ssize_t n;

	out[0] = -1;
	out[1] = -1;
	out[2] = 0;
	if (len < sizeof(*h) || h->magic != PLAN_MAGIC || h->version != PLAN_VERSION) {
		out[2] = EINVAL;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		out[2] = errno;
		return -1;
	}
	pid1 = raw_clone(SIGCHLD);
	if (pid1 < 0) {
		out[2] = errno;
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid1 == 0) {
		close(sv[0]);
		stage1(plan, len, sv[1]);
	}
	close(sv[1]);
	do {
		n = read(sv[0], &m, sizeof(m));
	} while (n < 0 && errno == EINTR);
	while (waitpid((pid_t)pid1, &status, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(m) || m.type != SYNC_PID) {
		out[1] = n == sizeof(m) ? m.step : -1;
		out[2] = n == sizeof(m) ? m.err : EPIPE;
		close(sv[0]);
		return -1;
	}
	out[0] = sv[0];
	return m.value;
}
