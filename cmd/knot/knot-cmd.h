#ifndef CMD_KNOT_H
#define CMD_KNOT_H

#include "fe.h"
#include "fe-cmds.h"	/* generated: the commands and their usage */
#include "silo/knot.h"


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
