#ifndef CMD_MEDO_H
#define CMD_MEDO_H

#include "fe.h"

extern const struct fe_tool medo_tool;

int cmd_medo_add(int argc, const char **argv);
int cmd_medo_expand(int argc, const char **argv);
int cmd_medo_reachable(int argc, const char **argv);
int cmd_medo_sign(int argc, const char **argv);
int cmd_medo_tree_id(int argc, const char **argv);
int cmd_medo_url_for(int argc, const char **argv);
int cmd_medo_verify(int argc, const char **argv);

/* Print a library warning as "medo: warning: ..."; for the options'
 * on_warning, from any thread. */
void medo_cmd_warn(void *payload, const char *message);

/*
 * Check the signature of the treeptr PATH, or of every treeptr below the
 * directory PATH, against ALLOWED_SIGNERS; print each failure.  Returns
 * an exit status: 0 when every signature is good.
 */
int medo_cmd_check_signatures(const char *allowed_signers, const char *path);

#endif
