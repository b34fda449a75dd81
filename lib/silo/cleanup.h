/*
 * Interruption: what a process removes when a signal stops it.
 *
 * While medo expand builds a tree, its staging directory beside the
 * destination (".tmp-<name>-XXXXXX") is registered here.  A front end
 * that catches SIGINT, SIGTERM or SIGHUP calls silo_cleanup_interrupt()
 * from an ordinary thread (never from the signal handler itself: it
 * removes files), then dies of the signal:
 *
 *	handler:  write(pipe, &signo, 1);
 *	thread:   read(pipe, &signo, 1);
 *	          silo_cleanup_interrupt(1000);
 *	          signal(signo, SIG_DFL); raise(signo);
 *
 * Operations in progress stop at their next step with an "interrupted"
 * error, and no new staging directory is made.
 */
#ifndef SILO_CLEANUP_H
#define SILO_CLEANUP_H

#include "silo/common.h"

/*
 * Mark the process interrupted and remove every registered directory
 * (except one holding a destination's previous tree, "old", which a
 * replacement had moved aside: that one is left, as a killed expansion
 * leaves it).  Returns when the operations that made them have let go of
 * them, or after TIMEOUT_MS milliseconds (one may be blocked on the
 * network: its directory is gone already).  Safe to call from any
 * thread, more than once.
 */
SILO_EXTERN void silo_cleanup_interrupt(int timeout_ms);

/* 1 once silo_cleanup_interrupt() was called, else 0. */
SILO_EXTERN int silo_cleanup_interrupted(void);

#endif
