/*
 * Registering the directories silo_cleanup_interrupt() removes
 * (silo/cleanup.h).
 */
#ifndef SILO_CLEANUP_INTERNAL_H
#define SILO_CLEANUP_INTERNAL_H

#include "silo/cleanup.h"

/*
 * mkdtemp(TEMPLATE), and the new directory registered, both under the
 * registry's lock: an interruption removes every directory made, and
 * after one none is made (SILO_ERROR "interrupted").
 */
int cleanup_mkdtemp(char *template);

/* Forget PATH (made by cleanup_mkdtemp()), once its owner removed it or
 * renamed what it held into place. */
void cleanup_release(const char *path);

/* SILO_ERROR "interrupted" if the process is, else 0: for the steps of
 * long loops. */
int cleanup_check(void);

#endif
