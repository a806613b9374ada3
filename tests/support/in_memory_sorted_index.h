// SortedIndex kept in memory, with Redis sorted-set ordering (score, then member).
// Wipe() simulates FLUSHALL. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "services/common/redis/sorted_index.h"

namespace carecast::testing {

class InMemorySortedIndex final : public common::SortedIndex {
 public:
  absl::Status Add(std::string_view index,
                   const std::vector<common::ScoredMember>& members) override;
  absl::Status Remove(std::string_view index, std::string_view member) override;
  absl::StatusOr<std::vector<common::ScoredMember>> RangeByScore(std::string_view index, double min,
                                                                 double max, size_t offset,
                                                                 size_t limit) override;
  absl::StatusOr<int64_t> Count(std::string_view index, double min, double max) override;
  absl::StatusOr<std::vector<common::ScoredMember>> PopUpTo(std::string_view index, double max,
                                                            size_t limit) override;
  absl::StatusOr<bool> HasMarker(std::string_view marker) override;
  absl::Status SetMarker(std::string_view marker) override;

  void Wipe();
  // Makes every call fail with `status` until cleared with OkStatus().
  void FailAll(absl::Status status);

 private:
  struct Set {
    std::map<std::string, double> scores;
    std::set<std::pair<double, std::string>> ordered;
  };
  std::mutex mu_;
  std::map<std::string, Set, std::less<>> sets_;
  std::set<std::string, std::less<>> markers_;
  absl::Status fail_;
};

}  // namespace carecast::testing
