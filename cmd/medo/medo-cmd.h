#ifndef CMD_MEDO_H
#define CMD_MEDO_H

#include "fe.h"

extern const struct fe_tool medo_tool;

int cmd_medo_add(int argc, const char **argv);
int cmd_medo_cat(int argc, const char **argv);
int cmd_medo_diff(int argc, const char **argv);
int cmd_medo_ls(int argc, const char **argv);
int cmd_medo_mount(int argc, const char **argv);
int cmd_medo_show(int argc, const char **argv);
int cmd_medo_expand(int argc, const char **argv);
int cmd_medo_reachable(int argc, const char **argv);
int cmd_medo_sign(int argc, const char **argv);
int cmd_medo_status(int argc, const char **argv);
int cmd_medo_tree_id(int argc, const char **argv);
int cmd_medo_url_for(int argc, const char **argv);
int cmd_medo_verify(int argc, const char **argv);

/* Print a library warning as "medo: warning: ..."; for the options'
 * on_warning, from any thread. */
void medo_cmd_warn(void *payload, const char *message);

/*
 * Check the signature of the treeptr PATH, or of every treeptr below the
 * directory PATH, against ALLOWED_SIGNERS; print each failure.  Returns
 * an exit status: 0 when every signature is good, and then *KEEP holds
 * the allowed signers (the caller frees them), for expand and verify to
 * check each treeptr again over the bytes they parse.
 */
struct silo_sshsig_signers;
int medo_cmd_check_signatures(const char *allowed_signers, const char *path,
			      struct silo_sshsig_signers **keep);
/* 1 if PATH is a directory (a medo directory rather than a treeptr). */
int medo_cmd_is_dir(const char *path);

/* "DIR/NAME" as a new string (owned by the caller), or NULL. */
char *medo_cmd_join(const char *dir, const char *name);

/*
 * Call FN for each treeptr ARGV names: a treeptr file, or every treeptr
 * below a medo directory, in path order.  One that fails does not stop
 * the others; returns the last failing exit status, or 0.
 */
int medo_cmd_each_treeptr(int argc, const char **argv,
			  int (*fn)(const char *treeptr, void *payload), void *payload);

#endif
