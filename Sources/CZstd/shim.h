#ifndef PORTTRACE_CZSTD_SHIM_H
#define PORTTRACE_CZSTD_SHIM_H
#include <zstd.h>
#endif
