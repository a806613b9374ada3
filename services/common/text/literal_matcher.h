// Many literal phrases matched at once with Hyperscan, on word boundaries.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

struct hs_database;
struct hs_scratch;

namespace carecast::common::text {

// Compiled once, then scanned concurrently: each Scan borrows a Hyperscan
// scratch from a pool (cloned on demand), so any number of threads can scan.
// Literals must already be normalised; a match counts only when it is not
// glued to word characters on either side.
class LiteralMatcher {
 public:
  struct Hit {
    uint32_t id;  // index into the literal list given to Create
    uint32_t begin;
    uint32_t end;
  };

  // Duplicate and empty literals are allowed (empty ones never match).
  static absl::StatusOr<std::unique_ptr<LiteralMatcher>> Create(
      const std::vector<std::string>& literals);
  ~LiteralMatcher();
  LiteralMatcher(const LiteralMatcher&) = delete;
  LiteralMatcher& operator=(const LiteralMatcher&) = delete;

  // Appends hits in end order. Stops after `max_hits` hits (returns false then).
  bool Scan(std::string_view text, std::vector<Hit>& out, size_t max_hits) const;

  size_t literal_count() const { return literal_count_; }
  // Bytes held by the compiled database (for memory reports).
  size_t database_bytes() const;

 private:
  LiteralMatcher() = default;
  hs_scratch* Acquire() const;
  void Release(hs_scratch* s) const;

  hs_database* db_ = nullptr;
  hs_scratch* prototype_ = nullptr;
  size_t literal_count_ = 0;
  // Per unique literal: its byte length, and the caller ids that share it.
  std::vector<uint32_t> lengths_;
  std::vector<std::vector<uint32_t>> ids_;
  mutable std::mutex mu_;
  mutable std::vector<hs_scratch*> pool_;
};

}  // namespace carecast::common::text
