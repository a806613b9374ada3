// UTF-8 checks for untrusted text at the API edges.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace carecast::common {

// Length of the well-formed UTF-8 sequence starting at s[i] (1..4), or 0 when the
// bytes there are not well-formed (overlong, surrogate, > U+10FFFF, truncated).
size_t Utf8SequenceLength(std::string_view s, size_t i);

// True when all of `s` is well-formed UTF-8.
bool IsValidUtf8(std::string_view s);

// Number of code points in valid UTF-8 `s`.
size_t CodePointCount(std::string_view s);

// Appends `cp` to `out` as UTF-8; a surrogate or a value past U+10FFFF is
// appended as U+FFFD (the replacement character).
void AppendUtf8(std::string& out, char32_t cp);

}  // namespace carecast::common
