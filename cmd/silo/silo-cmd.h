#ifndef CMD_SILO_H
#define CMD_SILO_H

#include "fe.h"
#include "fe-cmds.h"	/* generated: the commands and their usage */
#include "silo/store.h"

/* Open the silo named by OPTION (--silo), $SILO_DIR or ".", reporting
 * failure; returns 0 or an exit status. */
int silo_cmd_open(silo **out, const char *option);

#endif
