/*
 * The silo library: one header for all of it.  Each module also has its
 * own header under silo/; see each for its life cycle and ownership rules.
 */
#ifndef SILO_H
#define SILO_H

#include "silo/error.h"
#include "silo/oid.h"
#include "silo/store.h"
#include "silo/remote.h"
#include "silo/tree.h"
#include "silo/cleanup.h"
#include "silo/treeptr.h"
#include "silo/silojson.h"
#include "silo/medo.h"
#include "silo/medo-tree.h"
#include "silo/medo-mount.h"
#include "silo/medo-fsck.h"
#include "silo/medo-web.h"
#include "silo/tree-pack.h"
#include "silo/oid-set.h"
#include "silo/prune.h"
#include "silo/closure.h"
#include "silo/pack.h"
#include "silo/sshsig.h"
#include "silo/knot.h"

#endif
