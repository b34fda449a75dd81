/*
 * Silos found unusable while reading: remembered for the rest of the
 * process, so that a silo that does not exist or does not answer costs
 * one attempt and one warning per run, not one per treeptr.
 */
#ifndef SILO_MEDO_SKIP_H
#define SILO_MEDO_SKIP_H

/*
 * If the silo at LOCATION was found unusable before, return 1 and leave
 * its error (code and message) as the thread's last error; else 0.
 */
int medo_skip_known(const char *location);

/*
 * Remember that the silo at LOCATION cannot be used, with the thread's
 * last error.  Returns 1 if this is news (the caller then warns), 0 if
 * it was known, negative when out of memory.
 */
int medo_skip_add(const char *location);

#endif
