#ifndef PORTTRACE_CRE2SHIM_H
#define PORTTRACE_CRE2SHIM_H

// A C interface to RE2 (https://github.com/google/re2), the regular-expression engine that
// matches in time linear in the text for every pattern (no backtracking). RE2 is C++; this
// header is plain C so Swift imports it without C++ interoperability. Only the Swift module
// `Patterns` imports it. No function here throws or aborts: RE2's errors come back as values,
// and RE2 is told never to log.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A compiled pattern. Immutable once compiled: RE2 allows any number of threads to search with
/// one pattern at the same time (its lazily built automata are guarded inside RE2).
typedef struct CRE2Shim_Pattern CRE2Shim_Pattern;

/// Compiles `length` bytes of UTF-8 at `pattern` (NUL bytes allowed, no terminator needed, NULL
/// when `length` is 0) with
/// RE2's syntax, in UTF-8 mode, without capturing groups. Returns NULL only when memory ran out
/// (or `pattern` is NULL with a length);
/// otherwise a pattern to free with `CRE2Shim_free`, which may hold an error
/// (`CRE2Shim_error`). The corresponding C++ is `re2::RE2::RE2(pattern, options)`.
CRE2Shim_Pattern *CRE2Shim_compile(const unsigned char *pattern, size_t length);

/// NULL when the pattern compiled; otherwise RE2's description of what is wrong, a
/// NUL-terminated string owned by the pattern (valid until `CRE2Shim_free`).
const char *CRE2Shim_error(const CRE2Shim_Pattern *pattern);

/// How a search is tied to the text.
enum {
    /// The match may start anywhere at or after `start`.
    CRE2Shim_unanchored = 0,
    /// The match must start at `start`.
    CRE2Shim_anchorStart = 1,
    /// The match must start at `start` and end at the end of the text.
    CRE2Shim_anchorBoth = 2,
};

/// Searches `text[start..<length]` for the leftmost match (among those, the one Perl would pick),
/// with `^`, `$` and `\b` seeing the whole `length` bytes as context. On a match returns 1 and
/// stores its byte offsets (from `text`, end exclusive) in `*matchStart` and `*matchEnd` (when
/// both are NULL, only whether there is a match is found, which is faster); returns 0
/// when there is none, and -1 for bad arguments (a pattern that did not compile, `start` past
/// `length`, an unknown anchor). `text` may be NULL when `length` is 0. Time is linear in
/// `length - start`. The corresponding C++ is `re2::RE2::Match`.
int CRE2Shim_search(
    const CRE2Shim_Pattern *pattern, const unsigned char *text, size_t length, size_t start, int anchor, size_t *matchStart,
    size_t *matchEnd);

/// Frees a pattern from `CRE2Shim_compile` (NULL is ignored).
void CRE2Shim_free(CRE2Shim_Pattern *pattern);

#ifdef __cplusplus
}
#endif

#endif
