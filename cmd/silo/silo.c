/* The silo tool: its command table. */
#include "silo-cmd.h"
#include "silo/store.h"
#include "silo/error.h"

static const struct fe_cmd silo_cmds[] = {	/* keep sorted */
	{ "cat", cmd_silo_cat, "print an object's content, verified" },
	{ "du", cmd_silo_du, "how much the silo holds, and what a GC could free" },
	{ "fetch", cmd_silo_fetch, "copy objects from a silo served over HTTP(S)" },
	{ "init", cmd_silo_init, "create an empty silo" },
	{ "ls", cmd_silo_ls, "list every object" },
	{ "prune", cmd_silo_prune, "remove the objects no treeptr names, loose and packed" },
	{ "push", cmd_silo_push, "publish new objects to a shared silo, safe for readers" },
	{ "put", cmd_silo_put, "store files, print their ids" },
	{ "repack", cmd_silo_repack, "pack objects into one git pack" },
	{ "verify", cmd_silo_verify, "check every object against its id" },
};

const struct fe_tool silo_tool = {
	"silo",
	"silo: a content-addressed store of write-once objects",
	silo_cmds,
	sizeof(silo_cmds) / sizeof(*silo_cmds),
};

int silo_cmd_open(silo **out, const char *option)
{
	int ret = silo_open_default(out, option);

	return ret < 0 ? fe_lib_error(ret) : 0;
}
