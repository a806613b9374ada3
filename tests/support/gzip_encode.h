// Gzip encoding for tests of servers that accept Content-Encoding: gzip.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace carecast::testing {

// `data` as one gzip member.
std::string GzipEncode(std::string_view data);
// `zero_bytes` zero bytes as one gzip member (a "gzip bomb": about 1 KB of
// output per MB), made a slice at a time so the zeros are never held in memory.
std::string GzipOfZeros(size_t zero_bytes);

}  // namespace carecast::testing
