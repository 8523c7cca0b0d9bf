#ifndef PORTTRACE_CTRACEFS_SHIM_H
#define PORTTRACE_CTRACEFS_SHIM_H
#include <tracefs/tracefs.h>
#include <traceevent/event-parse.h>
#endif
