/* The plan's step executor, run by the container process after the clone. */
#ifndef ENGINE_STEPS_H
#define ENGINE_STEPS_H
#include <stdint.h>

struct cursor {
	const uint8_t *p;
	const uint8_t *end;
};

uint64_t cur_u64(struct cursor *c);
const char *cur_str(struct cursor *c); /* NULL when the buffer is malformed */

int prctl_dumpable(int on);
int engine_sendfd(int sock, int fd, const char *name); /* fdpass.c */
int wait_ack(int sync_fd);

/* copyup.c: copies the contents of src_dir into dst_dir (tmpcopyup). Returns 0 or an errno. */
int copy_tree(int src_dir, int dst_dir);

/* Set by a failing step that has more to say than its errno (a hook's wait status). */
extern int step_detail;

/* Runs the step at the cursor and advances past it. Returns 0 or an errno. */
int run_step(struct cursor *c, int index, int sync_fd);

#endif
