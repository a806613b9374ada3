#include "tests/support/gzip_encode.h"

#include <zlib.h>

#include <algorithm>
#include <array>

namespace carecast::testing {
namespace {

// Deflates what `next` hands out (empty: the end) into one gzip member.
template <typename Next>
std::string Deflate(Next next) {
  z_stream z{};
  // 16 + MAX_WBITS: a gzip wrapper; level 9 and memLevel 9 for the smallest bomb.
  deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
  std::string out;
  std::array<char, 16384> buffer;
  int flush = Z_NO_FLUSH;
  while (flush != Z_FINISH) {
    const std::string_view in = next();
    flush = in.empty() ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    do {
      z.next_out = reinterpret_cast<Bytef*>(buffer.data());
      z.avail_out = static_cast<uInt>(buffer.size());
      deflate(&z, flush);
      out.append(buffer.data(), buffer.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

}  // namespace

std::string GzipEncode(std::string_view data) {
  bool given = false;
  return Deflate([&]() -> std::string_view {
    if (given) return {};
    given = true;
    return data.empty() ? std::string_view() : data;
  });
}

std::string GzipOfZeros(size_t zero_bytes) {
  static const std::string kZeros(size_t{1} << 20, '\0');
  size_t left = zero_bytes;
  return Deflate([&]() -> std::string_view {
    const size_t n = std::min(left, kZeros.size());
    left -= n;
    return std::string_view(kZeros.data(), n);
  });
}

}  // namespace carecast::testing
