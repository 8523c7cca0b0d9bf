// The C interface of include/cre2shim.h over re2::RE2. Every entry point catches C++ exceptions
// (RE2 allocates with `new`), so none crosses into Swift.

#include "cre2shim.h"

#include <re2/re2.h>

#include <new>
#include <string>

struct CRE2Shim_Pattern {
    re2::RE2 re;
    CRE2Shim_Pattern(re2::StringPiece pattern, const re2::RE2::Options &options) : re(pattern, options) {}
};

// Bytes as RE2 takes them: a view of `length` bytes at `bytes` (an empty view for NULL).
static re2::StringPiece view(const unsigned char *bytes, size_t length) {
    if (bytes == nullptr) return re2::StringPiece("", 0);
    return re2::StringPiece(reinterpret_cast<const char *>(bytes), length);
}

extern "C" CRE2Shim_Pattern *CRE2Shim_compile(const unsigned char *pattern, size_t length) {
    if (pattern == nullptr && length != 0) return nullptr;
    re2::RE2::Options options;
    options.set_encoding(re2::RE2::Options::EncodingUTF8);
    // RE2 writes compile errors and "DFA out of memory" notes to stderr unless told not to;
    // callers report errors themselves, in one line.
    options.set_log_errors(false);
    // Only the whole match is ever asked for: groups need not be tracked.
    options.set_never_capture(true);
    try {
        return new CRE2Shim_Pattern(view(pattern, length), options);
    } catch (...) {
        return nullptr;
    }
}

extern "C" const char *CRE2Shim_error(const CRE2Shim_Pattern *pattern) {
    if (pattern == nullptr) return "out of memory";
    if (pattern->re.ok()) return nullptr;
    return pattern->re.error().c_str();
}

extern "C" int CRE2Shim_search(
    const CRE2Shim_Pattern *pattern, const unsigned char *text, size_t length, size_t start, int anchor, size_t *matchStart,
    size_t *matchEnd) {
    if (pattern == nullptr || !pattern->re.ok() || start > length || (text == nullptr && length != 0)) return -1;
    re2::RE2::Anchor how;
    switch (anchor) {
    case CRE2Shim_unanchored: how = re2::RE2::UNANCHORED; break;
    case CRE2Shim_anchorStart: how = re2::RE2::ANCHOR_START; break;
    case CRE2Shim_anchorBoth: how = re2::RE2::ANCHOR_BOTH; break;
    default: return -1;
    }
    re2::StringPiece whole = view(text, length);
    re2::StringPiece match;
    // Without places for the offsets, only whether there is a match: RE2 can then stop at the
    // first byte that decides it and skip the backward pass that finds where the match starts.
    bool wantOffsets = matchStart != nullptr || matchEnd != nullptr;
    try {
        if (!pattern->re.Match(whole, start, length, how, wantOffsets ? &match : nullptr, wantOffsets ? 1 : 0)) return 0;
    } catch (...) {
        return -1;
    }
    if (!wantOffsets) return 1;
    // RE2 points `match` into `whole`; the null case is only a guard.
    size_t from = match.data() == nullptr ? start : static_cast<size_t>(match.data() - whole.data());
    if (matchStart != nullptr) *matchStart = from;
    if (matchEnd != nullptr) *matchEnd = from + match.size();
    return 1;
}

extern "C" void CRE2Shim_free(CRE2Shim_Pattern *pattern) { delete pattern; }
