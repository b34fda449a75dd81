#ifndef CMD_KNOT_H
#define CMD_KNOT_H

#include "fe.h"
#include "silo/knot.h"

extern const struct fe_tool knot_tool;

int cmd_knot_build(int argc, const char **argv);
int cmd_knot_explain(int argc, const char **argv);
int cmd_knot_install(int argc, const char **argv);
int cmd_knot_key(int argc, const char **argv);
int cmd_knot_list(int argc, const char **argv);
int cmd_knot_report(int argc, const char **argv);
int cmd_knot_run_task(int argc, const char **argv);
int cmd_knot_show(int argc, const char **argv);
int cmd_knot_validate(int argc, const char **argv);
int cmd_knot_worker(int argc, const char **argv);

/*
 * A set of the recipes ARGV names (recipe directories or source medos),
 * resolved: dependencies read and keys computed.  On failure the error
 * is reported and the exit status returned; 0 on success.
 */
int knot_cmd_load(silo_knot_set **out, const struct silo_knot_config *cfg,
		  int argc, const char **argv);

/* The limits of the box: the defaults, $KNOT_LIMITS, then OPTION (the
 * value of --limits, or NULL).  0, or the exit status of a usage error
 * (reported). */
int knot_cmd_limits(struct silo_knot_limits *l, const char *option);

/* Stop what knot runs on SIGINT, SIGTERM and SIGHUP (silo_knot_interrupt()),
 * and knot_cmd_finish() afterwards: STATUS, or, when a signal came, die
 * of it as if it had not been caught. */
void knot_cmd_catch_signals(void);
int knot_cmd_finish(int status);

#endif
