/*
 * One binary, three tools: silobox dispatches on the name it was called
 * by (silo, medo and knot are links to it), or on its first argument
 * when called as silobox.
 */
#include "fe.h"
#include "fe-cmds.h"	/* generated: the tools' tables */

#include <string.h>

static const struct fe_tool *const tools[] = { &silo_tool, &medo_tool, &knot_tool };

static const struct fe_tool *find_tool(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(tools) / sizeof(*tools); i++)
		if (!strcmp(tools[i]->name, name))
			return tools[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const char **args = (const char **)argv;
	const char *base = strrchr(args[0], '/');
	const struct fe_tool *tool;

	base = base ? base + 1 : args[0];
	tool = find_tool(base);
	if (!tool && argc > 1 && (tool = find_tool(args[1]))) {
		args++;
		argc--;
	}
	if (!tool) {
		fe_tool_name = "silobox";
		return fe_error(FE_EXIT_USAGE,
				"call me as silo, medo or knot, or as 'silobox silo|medo|knot ...'");
	}
	return fe_run_tool(tool, argc, args);
}
