// Incremental decoder for a Transfer-Encoding: chunked request body (RFC 9112
// section 7.1). It is fed whatever bytes have arrived and keeps its place
// between calls. Payload bytes are counted as chunk sizes are read, so a body
// over the limit is refused at the chunk header that passes it, before its
// data is read. The framing (size lines, extensions, line ends) may add at most
// max_body_bytes + 4 KiB more on the wire, so tiny chunks with long extensions
// cannot stream without end either. Chunk extensions are skipped; trailer
// fields are read and dropped. Not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace carecast::common {

class ChunkedDecoder {
 public:
  enum class Result {
    kNeedMore,          // everything given was consumed; the body goes on
    kDone,              // the last chunk and the trailer section were read
    kBadChunk,          // a malformed size line or chunk terminator (reason())
    kTooLarge,          // the payload would pass max_body_bytes
    kTrailersTooLarge,  // the size lines or the trailer section passed max_line_bytes
  };

  // The payload may total `max_body_bytes`; one size line, and the whole
  // trailer section, may take `max_line_bytes`.
  ChunkedDecoder(size_t max_body_bytes, size_t max_line_bytes);

  // Decodes from the front of `input`: sets `*consumed` to the bytes used and
  // appends payload bytes to `*payload`. On kDone, bytes after `*consumed` belong
  // to the next request. After an error the decoder stays failed.
  Result Decode(std::string_view input, size_t* consumed, std::string* payload);
  // Why the body was refused, for the 400/413/431 response; empty otherwise.
  std::string_view reason() const { return reason_; }
  // Payload bytes announced by the chunk sizes read so far.
  size_t payload_bytes() const { return payload_bytes_; }

 private:
  enum class Phase { kSize, kData, kDataEnd, kTrailers, kDone, kFailed };
  Result Fail(Result result, std::string_view reason);
  // Handles one complete size line (without its line ending).
  Result OnSizeLine(std::string_view line);

  const size_t max_body_bytes_;
  const size_t max_line_bytes_;
  Phase phase_ = Phase::kSize;
  Result failure_ = Result::kNeedMore;
  size_t remaining_ = 0;      // data bytes left in the current chunk
  size_t payload_bytes_ = 0;  // sum of the chunk sizes so far
  size_t trailer_bytes_ = 0;
  size_t framing_bytes_ = 0;  // everything consumed that is not payload
  bool saw_cr_ = false;       // the CR of the CRLF after a chunk's data
  std::string line_;          // a size or trailer line split across calls
  std::string reason_;
};

}  // namespace carecast::common
