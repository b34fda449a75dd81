#ifndef CMD_MEDO_H
#define CMD_MEDO_H

#include "fe.h"

extern const struct fe_tool medo_tool;

#endif
