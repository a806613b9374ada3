// Input safety and Unicode normalisation for the text engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace carecast::common::text {

// Text after normalisation: NFKC compatibility folding, case folding, combining
// marks stripped, zero-width / bidi / variation characters removed, look-alike
// letters and digits folded to ASCII. Every output byte remembers the input
// code point it came from, so findings map back to input byte offsets.
struct NormalizedText {
  std::string text;
  // begin_of[i] / end_of[i]: input byte span of the code point that produced
  // text[i]. Empty when the mapping is the identity (ASCII input).
  std::vector<uint32_t> begin_of;
  std::vector<uint32_t> end_of;
  // upper[i] != 0 when text[i] came from an uppercase letter.
  std::vector<uint8_t> upper;
  uint32_t zero_width = 0;
  uint32_t bidi_controls = 0;
  uint32_t homoglyphs = 0;
  uint32_t digit_lookalikes = 0;
  uint32_t other_script_digits = 0;
  size_t input_size = 0;

  // Input byte span [first, second) for the normalised span [b, e).
  std::pair<uint32_t, uint32_t> ToInput(size_t b, size_t e) const;
  bool IsUpper(size_t i) const { return upper[i] != 0; }
  void Clear();
};

// Returns INVALID_ARGUMENT with the byte offset when `input` is not UTF-8.
absl::Status ValidateUtf8(std::string_view input);

// Normalises `input` (which must be valid UTF-8) into `out`. Fails with
// INVALID_ARGUMENT when the output would exceed `max_output_bytes`.
absl::Status Normalize(std::string_view input, size_t max_output_bytes, NormalizedText& out);

// Normalises a configuration term the same way as text (invalid UTF-8 gives "").
std::string NormalizeTerm(std::string_view term);

// Decodes one code point at `pos` of valid UTF-8; sets `len`.
char32_t DecodeAt(std::string_view s, size_t pos, size_t* len);

// True for letters and digits of any script (word characters for boundaries).
bool IsWordCodePoint(char32_t cp);

// True when s[pos] starts a word character (decoding UTF-8), false at the end.
bool IsWordAt(std::string_view s, size_t pos);
// True when the code point ending just before `pos` is a word character.
bool IsWordBefore(std::string_view s, size_t pos);

}  // namespace carecast::common::text
