#include "services/common/rpc/gzip_inflater.h"

#include <zlib.h>

#include <algorithm>
#include <array>

namespace carecast::common {
namespace {

// Decoding goes through a fixed slice so no single step can allocate more than
// this beyond the cap.
constexpr size_t kSlice = size_t{16} * 1024;

}  // namespace

struct GzipInflater::Stream {
  z_stream z{};
  bool initialised = false;
};

GzipInflater::GzipInflater(size_t max_decoded_bytes)
    : stream_(std::make_unique<Stream>()), max_decoded_bytes_(max_decoded_bytes) {
  // 16 + MAX_WBITS: gzip wrapper only (a zlib or raw deflate body is corrupt).
  stream_->initialised = inflateInit2(&stream_->z, 16 + MAX_WBITS) == Z_OK;
  if (!stream_->initialised) failed_ = Result::kCorrupt;
}

GzipInflater::~GzipInflater() {
  if (stream_->initialised) inflateEnd(&stream_->z);
}

GzipInflater::Result GzipInflater::Inflate(std::string_view input, std::string* out) {
  if (failed_ != Result::kOk) return failed_;
  if (input.empty()) return Result::kOk;
  if (finished_) return failed_ = Result::kCorrupt;  // bytes after the trailer
  z_stream& z = stream_->z;
  // zlib's API is not const-correct; it never writes through next_in.
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  z.avail_in = static_cast<uInt>(input.size());
  std::array<char, kSlice> slice;
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(slice.data());
    z.avail_out = static_cast<uInt>(slice.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    const size_t produced = slice.size() - z.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return failed_ = Result::kCorrupt;
    if (produced > max_decoded_bytes_ - decoded_bytes_) return failed_ = Result::kTooLarge;
    decoded_bytes_ += produced;
    out->append(slice.data(), produced);
    if (rc == Z_STREAM_END) {
      finished_ = true;
      // A second gzip member or trailing garbage: refused rather than guessed at.
      if (z.avail_in > 0) return failed_ = Result::kCorrupt;
      break;
    }
    if (z.avail_out == 0) continue;  // the slice filled: more output may be pending
    if (z.avail_in == 0) break;
    if (produced == 0) return failed_ = Result::kCorrupt;  // input left, no progress
  }
  return Result::kOk;
}

}  // namespace carecast::common
