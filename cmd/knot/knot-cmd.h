#ifndef CMD_KNOT_H
#define CMD_KNOT_H

#include "fe.h"

extern const struct fe_tool knot_tool;

#endif
