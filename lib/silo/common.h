/*
 * What every public header needs: SILO_EXTERN, the mark of the API.
 *
 * The library is built with -fvisibility=hidden, so a function of lib/ is
 * seen only inside the library unless its declaration in a header of
 * silo/ starts with SILO_EXTERN.  Those functions, and only those, are
 * exported by libsilo.so (t/t0006-exports.sh checks it); their stability
 * is described in Documentation/technical/api.md.
 */
#ifndef SILO_COMMON_H
#define SILO_COMMON_H

#if defined(__GNUC__)
#define SILO_EXTERN extern __attribute__((visibility("default")))
#else
#define SILO_EXTERN extern
#endif

#endif
