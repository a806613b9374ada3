#include "services/metrics/running_median.h"

#include <iterator>

namespace carecast::metrics {

void RunningMedian::insert(absl::Duration value) {
  if (low_.empty() || value <= *low_.rbegin()) {
    low_.insert(value);
  } else {
    high_.insert(value);
  }
  if (low_.size() > high_.size() + 1) {
    auto top = std::prev(low_.end());
    high_.insert(*top);
    low_.erase(top);
  } else if (high_.size() > low_.size()) {
    auto bottom = high_.begin();
    low_.insert(*bottom);
    high_.erase(bottom);
  }
}

absl::Duration RunningMedian::Median() const {
  if (low_.empty()) return absl::ZeroDuration();
  if (low_.size() > high_.size()) return *low_.rbegin();
  return (*low_.rbegin() + *high_.begin()) / 2;
}

}  // namespace carecast::metrics
