#ifndef PORTTRACE_CRE2_H
#define PORTTRACE_CRE2_H
// RE2's headers are C++; only Sources/CRE2Shim includes them (<re2/re2.h>). This system-library
// target exists for its pkg-config entry, which gives the shim RE2's include and library paths
// where they are not the compiler's defaults (Homebrew on a Mac: /opt/homebrew), and links libre2.
// Nothing imports this module from Swift.
#endif
