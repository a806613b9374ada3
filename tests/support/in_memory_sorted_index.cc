#include "tests/support/in_memory_sorted_index.h"

#include <cmath>

namespace carecast::testing {

absl::Status InMemorySortedIndex::Add(std::string_view index,
                                      const std::vector<common::ScoredMember>& members) {
  std::lock_guard lock(mu_);
  if (!fail_.ok()) return fail_;
  // Redis refuses NaN scores ("not a valid float"), and so does RedisSortedIndex.
  for (const auto& m : members) {
    if (std::isnan(m.score)) return absl::InvalidArgumentError("score is NaN");
  }
  auto& set = sets_[std::string(index)];
  for (const auto& m : members) {
    if (auto it = set.scores.find(m.member); it != set.scores.end()) {
      set.ordered.erase({it->second, m.member});
    }
    set.scores[m.member] = m.score;
    set.ordered.insert({m.score, m.member});
  }
  return absl::OkStatus();
}

absl::Status InMemorySortedIndex::Remove(std::string_view index, std::string_view member) {
  std::lock_guard lock(mu_);
  if (!fail_.ok()) return fail_;
  auto it = sets_.find(index);
  if (it == sets_.end()) return absl::OkStatus();
  auto s = it->second.scores.find(std::string(member));
  if (s == it->second.scores.end()) return absl::OkStatus();
  it->second.ordered.erase({s->second, s->first});
  it->second.scores.erase(s);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<common::ScoredMember>> InMemorySortedIndex::RangeByScore(
    std::string_view index, double min, double max, size_t offset, size_t limit) {
  std::lock_guard lock(mu_);
  if (!fail_.ok()) return fail_;
  std::vector<common::ScoredMember> out;
  auto it = sets_.find(index);
  if (it == sets_.end()) return out;
  size_t skipped = 0;
  for (const auto& [score, member] : it->second.ordered) {
    if (score < min || score > max) continue;
    if (skipped++ < offset) continue;
    if (out.size() >= limit) break;
    out.push_back({member, score});
  }
  return out;
}

absl::StatusOr<int64_t> InMemorySortedIndex::Count(std::string_view index, double min, double max) {
  auto range = RangeByScore(index, min, max, 0, SIZE_MAX);
  if (!range.ok()) return range.status();
  return static_cast<int64_t>(range->size());
}

absl::StatusOr<std::vector<common::ScoredMember>> InMemorySortedIndex::PopUpTo(
    std::string_view index, double max, size_t limit) {
  std::lock_guard lock(mu_);
  if (!fail_.ok()) return fail_;
  std::vector<common::ScoredMember> out;
  auto it = sets_.find(index);
  if (it == sets_.end()) return out;
  auto& set = it->second;
  while (!set.ordered.empty() && out.size() < limit && set.ordered.begin()->first <= max) {
    auto [score, member] = *set.ordered.begin();
    set.ordered.erase(set.ordered.begin());
    set.scores.erase(member);
    out.push_back({member, score});
  }
  return out;
}

absl::StatusOr<bool> InMemorySortedIndex::HasMarker(std::string_view marker) {
  std::lock_guard lock(mu_);
  if (!fail_.ok()) return fail_;
  return markers_.contains(marker);
}

absl::Status InMemorySortedIndex::SetMarker(std::string_view marker) {
  std::lock_guard lock(mu_);
  if (!fail_.ok()) return fail_;
  markers_.insert(std::string(marker));
  return absl::OkStatus();
}

void InMemorySortedIndex::Wipe() {
  std::lock_guard lock(mu_);
  sets_.clear();
  markers_.clear();
}

void InMemorySortedIndex::FailAll(absl::Status status) {
  std::lock_guard lock(mu_);
  fail_ = std::move(status);
}

}  // namespace carecast::testing
