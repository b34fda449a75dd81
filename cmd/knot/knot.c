/* The knot tool: what its commands share. */
#include "knot-cmd.h"
#include "silo/error.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int knot_cmd_load(silo_knot_set **out, const struct silo_knot_config *cfg,
		  int argc, const char **argv)
{
	int ret = silo_knot_set_open(out, cfg, argv, (size_t)argc);

	return ret < 0 ? fe_lib_error(ret) : 0;
}

int knot_cmd_limits(struct silo_knot_limits *l, const char *option)
{
	int ret;

	silo_knot_limits_default(l);
	if ((ret = silo_knot_limits_parse(l, getenv(SILO_KNOT_LIMITS_ENV), SILO_KNOT_LIMITS_ENV)) < 0)
		return fe_lib_error(ret);
	if ((ret = silo_knot_limits_parse(l, option, "--limits")) < 0)
		return fe_error(FE_EXIT_USAGE, "%s", silo_error_message());
	return 0;
}

static void on_signal(int sig)
{
	silo_knot_interrupt(sig);
}

void knot_cmd_catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

int knot_cmd_finish(int status)
{
	int sig = silo_knot_interrupted();

	if (!sig)
		return status;
	fflush(stdout);
	signal(sig, SIG_DFL);
	raise(sig);
	return 128 + sig;
}
