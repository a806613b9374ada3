#include "services/metrics/seen_ids.h"

#include <cstring>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace carecast::metrics {

size_t SeenIds::EntryHash::operator()(std::string_view id) const {
  return absl::Hash<absl::string_view>{}(absl::string_view(id.data(), id.size()));
}

bool SeenIds::Insert(std::string_view id) {
  bool inserted = false;
  // One hash and one probe: the id is copied only when it is new.
  const Entry probe{id.data(), id.size(), EntryHash{}(id)};
  ids_.lazy_emplace(probe, [&](const auto& construct) {
    inserted = true;
    const std::string_view kept = Keep(id);
    construct(Entry{kept.data(), kept.size(), probe.hash});
  });
  return inserted;
}

std::string_view SeenIds::Keep(std::string_view id) {
  if (id.size() > kBlockBytes / 4) {
    // A rare long id gets its own allocation, so the blocks stay nearly full.
    auto& copy = long_ids_.emplace_back(std::make_unique<char[]>(id.size()));
    std::memcpy(copy.get(), id.data(), id.size());
    return {copy.get(), id.size()};
  }
  if (blocks_.empty() || kBlockBytes - block_used_ < id.size()) {
    blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
    block_used_ = 0;
  }
  char* at = blocks_.back().get() + block_used_;
  std::memcpy(at, id.data(), id.size());
  block_used_ += id.size();
  return {at, id.size()};
}

}  // namespace carecast::metrics
