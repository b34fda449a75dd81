/*
 * The silo library: one header for all of it.  Each module also has its
 * own header under silo/; see each for its life cycle and ownership rules.
 */
#ifndef SILO_H
#define SILO_H

#include "silo/error.h"
#include "silo/oid.h"
#include "silo/store.h"

#endif
