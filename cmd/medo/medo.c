/* The medo tool: its command table. */
#include "medo-cmd.h"

#include <pthread.h>

static const struct fe_cmd medo_cmds[] = {	/* keep sorted */
	{ "add", cmd_medo_add, "store a directory or file in the silo, write its treeptr" },
	{ "expand", cmd_medo_expand, "turn treeptrs into directory trees on disk" },
	{ "reachable", cmd_medo_reachable, "list every silo object that treeptrs name" },
	{ "sign", cmd_medo_sign, "write an OpenSSH signature of each treeptr" },
	{ "tree-id", cmd_medo_tree_id, "print the git tree id of a directory or archive" },
	{ "url-for", cmd_medo_url_for, "print where a treeptr's object is in each silo" },
	{ "verify", cmd_medo_verify, "check trees on disk against their treeptrs" },
};

const struct fe_tool medo_tool = {
	"medo",
	"medo: name directory trees kept in a silo with pointer files kept in git",
	medo_cmds,
	sizeof(medo_cmds) / sizeof(*medo_cmds),
};

static pthread_mutex_t warn_lock = PTHREAD_MUTEX_INITIALIZER;

void medo_cmd_warn(void *payload, const char *message)
{
	(void)payload;
	pthread_mutex_lock(&warn_lock);
	fe_warning("%s", message);
	pthread_mutex_unlock(&warn_lock);
}
