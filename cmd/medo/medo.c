/* The medo tool: its command table. */
#include "medo-cmd.h"

static const struct fe_cmd medo_cmds[] = {	/* keep sorted */
	{ NULL, NULL, NULL },
};

const struct fe_tool medo_tool = {
	"medo",
	"medo: name directory trees kept in a silo with pointer files kept in git",
	medo_cmds,
	0,
};
