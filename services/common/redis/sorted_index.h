// Ordered indexes (calendar, due times, inbox) kept in Redis. They are caches over
// the JetStream KV system of record: losing them loses nothing, because owners
// rebuild them (see HasMarker/SetMarker). RedisSortedIndex is the hiredis adapter;
// InMemorySortedIndex (tests/support) is the fake.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace carecast::common {

struct ScoredMember {
  std::string member;
  double score = 0;
};

// Thread-safe. Errors: UNAVAILABLE when Redis cannot be reached (after reconnect
// attempts); callers degrade and retry.
class SortedIndex {
 public:
  virtual ~SortedIndex() = default;

  // Adds or re-scores members, in one round trip.
  virtual absl::Status Add(std::string_view index, const std::vector<ScoredMember>& members) = 0;
  virtual absl::Status Remove(std::string_view index, std::string_view member) = 0;
  // Members with min <= score <= max, lowest score first, skipping `offset`,
  // at most `limit`.
  virtual absl::StatusOr<std::vector<ScoredMember>> RangeByScore(std::string_view index, double min,
                                                                 double max, size_t offset,
                                                                 size_t limit) = 0;
  virtual absl::StatusOr<int64_t> Count(std::string_view index, double min, double max) = 0;
  // Removes and returns up to `limit` members with score <= max, lowest first,
  // atomically: two callers never receive the same member.
  virtual absl::StatusOr<std::vector<ScoredMember>> PopUpTo(std::string_view index, double max,
                                                            size_t limit) = 0;

  // Markers record that an index has been (re)built; a wiped Redis loses them,
  // which tells the owner to rebuild.
  virtual absl::StatusOr<bool> HasMarker(std::string_view marker) = 0;
  virtual absl::Status SetMarker(std::string_view marker) = 0;
};

}  // namespace carecast::common
