/* The silo tool: what its commands share. */
#include "silo-cmd.h"
#include "silo/store.h"
#include "silo/error.h"

int silo_cmd_open(silo **out, const char *option)
{
	int ret = silo_open_default(out, option);

	return ret < 0 ? fe_lib_error(ret) : 0;
}
