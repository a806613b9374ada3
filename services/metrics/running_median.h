// The median of a growing multiset of durations, kept as two halves so that an
// insert is O(log n) and reading the median O(1). The median of an even count
// is the mean of the two middle values; of none, zero.
#pragma once

#include <cstddef>
#include <set>

#include "absl/time/time.h"

namespace carecast::metrics {

class RunningMedian {
 public:
  void insert(absl::Duration value);
  absl::Duration Median() const;
  size_t size() const { return low_.size() + high_.size(); }
  bool empty() const { return size() == 0; }

 private:
  // Every value in low_ is <= every value in high_; low_ holds the extra one.
  std::multiset<absl::Duration> low_;
  std::multiset<absl::Duration> high_;
};

}  // namespace carecast::metrics
