/* The knot tool: its command table (no build commands yet). */
#include "knot-cmd.h"

static const struct fe_cmd knot_cmds[] = {	/* keep sorted */
	{ NULL, NULL, NULL },
};

const struct fe_tool knot_tool = {
	"knot",
	"knot: cached, content-keyed builds of wedges (no commands yet)",
	knot_cmds,
	0,
};
