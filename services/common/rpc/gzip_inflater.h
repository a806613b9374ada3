// Streaming gzip decoding with a cap on the decoded size, for request bodies
// (Content-Encoding: gzip). The cap is checked while inflating, a bounded slice
// at a time, so a small body that expands without bound (a "gzip bomb") is
// stopped as soon as the decoded bytes pass the cap and memory stays bounded by
// the cap plus one slice. The only file that includes zlib. Not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace carecast::common {

class GzipInflater {
 public:
  enum class Result {
    kOk,        // consumed; more input may follow
    kTooLarge,  // the decoded size would pass the cap; nothing more is decoded
    kCorrupt,   // not gzip, a bad checksum, or bytes after the end of the stream
  };

  // Decoded output may reach `max_decoded_bytes` and no more.
  explicit GzipInflater(size_t max_decoded_bytes);
  ~GzipInflater();
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  // Decodes `input` and appends the result to `*out`. After anything but kOk the
  // inflater stays in that result.
  Result Inflate(std::string_view input, std::string* out);
  // True once the gzip stream's trailer (CRC and length) has been read and checked.
  bool finished() const { return finished_; }

 private:
  struct Stream;
  std::unique_ptr<Stream> stream_;
  const size_t max_decoded_bytes_;
  size_t decoded_bytes_ = 0;
  bool finished_ = false;
  Result failed_ = Result::kOk;
};

}  // namespace carecast::common
