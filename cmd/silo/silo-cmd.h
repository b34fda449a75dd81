#ifndef CMD_SILO_H
#define CMD_SILO_H

#include "fe.h"
#include "silo/store.h"

extern const struct fe_tool silo_tool;

int cmd_silo_cat(int argc, const char **argv);
int cmd_silo_du(int argc, const char **argv);
int cmd_silo_fetch(int argc, const char **argv);
int cmd_silo_init(int argc, const char **argv);
int cmd_silo_ls(int argc, const char **argv);
int cmd_silo_prune(int argc, const char **argv);
int cmd_silo_push(int argc, const char **argv);
int cmd_silo_put(int argc, const char **argv);
int cmd_silo_repack(int argc, const char **argv);
int cmd_silo_verify(int argc, const char **argv);

/* Open the silo named by OPTION (--silo), $SILO_DIR or ".", reporting
 * failure; returns 0 or an exit status. */
int silo_cmd_open(silo **out, const char *option);

#endif
