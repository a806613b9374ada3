#include "services/common/rpc/chunked_decoder.h"

#include <algorithm>

namespace carecast::common {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// More hex digits than this could overflow size_t; no acceptable body needs them.
constexpr size_t kMaxSizeDigits = 15;
// Framing allowed beyond max_body_bytes (size lines, extensions, line ends).
constexpr size_t kFramingSlack = 4096;

}  // namespace

ChunkedDecoder::ChunkedDecoder(size_t max_body_bytes, size_t max_line_bytes)
    : max_body_bytes_(max_body_bytes), max_line_bytes_(max_line_bytes) {}

ChunkedDecoder::Result ChunkedDecoder::Fail(Result result, std::string_view reason) {
  phase_ = Phase::kFailed;
  failure_ = result;
  reason_ = std::string(reason);
  line_.clear();
  return result;
}

ChunkedDecoder::Result ChunkedDecoder::OnSizeLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t digits = 0;
  size_t size = 0;
  while (digits < line.size() && HexValue(line[digits]) >= 0) {
    if (digits == kMaxSizeDigits) return Fail(Result::kBadChunk, "bad chunk size");
    size = size * 16 + static_cast<size_t>(HexValue(line[digits]));
    ++digits;
  }
  if (digits == 0) return Fail(Result::kBadChunk, "bad chunk size");
  // What may follow the size: optional whitespace, then ";extension".
  std::string_view rest = line.substr(digits);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  if (!rest.empty() && rest.front() != ';') return Fail(Result::kBadChunk, "bad chunk size");
  if (size > max_body_bytes_ - payload_bytes_) {
    return Fail(Result::kTooLarge, "request body too large");
  }
  payload_bytes_ += size;
  remaining_ = size;
  phase_ = size == 0 ? Phase::kTrailers : Phase::kData;
  return Result::kNeedMore;
}

ChunkedDecoder::Result ChunkedDecoder::Decode(std::string_view input, size_t* consumed,
                                              std::string* payload) {
  *consumed = 0;
  if (phase_ == Phase::kFailed) return failure_;
  size_t pos = 0;
  const size_t payload_before = payload->size();
  while (pos < input.size() && phase_ != Phase::kDone) {
    switch (phase_) {
      case Phase::kData: {
        const size_t take = std::min(remaining_, input.size() - pos);
        payload->append(input.data() + pos, take);
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) phase_ = Phase::kDataEnd;
        break;
      }
      case Phase::kDataEnd:
        // CRLF after the data; a bare LF is tolerated.
        if (input[pos] == '\r' && !saw_cr_) {
          saw_cr_ = true;
          ++pos;
        } else if (input[pos] == '\n') {
          saw_cr_ = false;
          ++pos;
          phase_ = Phase::kSize;
        } else {
          *consumed = pos;
          return Fail(Result::kBadChunk, "bad chunk terminator");
        }
        break;
      case Phase::kSize:
      case Phase::kTrailers: {
        const size_t newline = input.find('\n', pos);
        const size_t end = newline == std::string_view::npos ? input.size() : newline;
        const size_t budget = phase_ == Phase::kSize
                                  ? max_line_bytes_
                                  : max_line_bytes_ - std::min(max_line_bytes_, trailer_bytes_);
        if (line_.size() + (end - pos) > budget) {
          *consumed = end;
          return Fail(phase_ == Phase::kSize ? Result::kBadChunk : Result::kTrailersTooLarge,
                      phase_ == Phase::kSize ? "chunk size line too long" : "trailers too large");
        }
        line_.append(input.data() + pos, end - pos);
        pos = end;
        if (newline == std::string_view::npos) break;
        ++pos;
        std::string line = std::move(line_);
        line_.clear();
        if (phase_ == Phase::kSize) {
          if (OnSizeLine(line) != Result::kNeedMore) {
            *consumed = pos;
            return failure_;
          }
        } else {
          trailer_bytes_ += line.size() + 1;
          if (line.empty() || line == "\r") phase_ = Phase::kDone;  // end of the trailers
        }
        break;
      }
      case Phase::kDone:
      case Phase::kFailed:
        break;
    }
  }
  *consumed = pos;
  framing_bytes_ += pos - (payload->size() - payload_before);
  if (framing_bytes_ > max_body_bytes_ + kFramingSlack) {
    return Fail(Result::kTooLarge, "request body larger than allowed");
  }
  return phase_ == Phase::kDone ? Result::kDone : Result::kNeedMore;
}

}  // namespace carecast::common
