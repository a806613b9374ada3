#include "services/publisher/hold_gate.h"

#include <algorithm>
#include <string>
#include <utility>

#include "carecast/v1/resources.pb.h"

#include "services/common/store/entity_store.h"

namespace carecast::publisher {

HoldGate::HoldGate(common::KeyValueStore& control, PublisherMetrics& metrics,
                   common::Logger& logger)
    : control_(control), metrics_(metrics), logger_(logger) {}

void HoldGate::Set(bool held, std::vector<std::string> spokes) {
  std::sort(spokes.begin(), spokes.end());
  {
    std::lock_guard lock(spokes_mu_);
    if (spokes != spokes_) {
      logger_.Info("spoke holds changed", {{"held_spokes", static_cast<int64_t>(spokes.size())}});
    }
    spokes_ = std::move(spokes);
  }
  bool was = held_.exchange(held);
  metrics_.SetHeld(held);
  if (was != held) logger_.Info(held ? "publishing held" : "publishing resumed");
}

std::vector<std::string> HoldGate::held_spokes() const {
  std::lock_guard lock(spokes_mu_);
  return spokes_;
}

bool HoldGate::SpokeHeld(std::string_view spoke) const {
  if (spoke.empty()) return false;
  std::lock_guard lock(spokes_mu_);
  return std::binary_search(spokes_.begin(), spokes_.end(), spoke);
}

void HoldGate::SetFromEvent(bool held, std::vector<std::string> spokes) {
  Set(held, std::move(spokes));
}

HoldVerdict HoldGate::CheckAuthoritative(std::string_view spoke) {
  std::unique_lock lock(read_mu_);
  const uint64_t ticket = ++tickets_issued_;
  while (tickets_answered_ < ticket) {
    if (reading_) {
      // That read may have begun before this call: wait for it, then look again.
      read_done_.wait(lock);
      continue;
    }
    reading_ = true;
    const uint64_t covers = tickets_issued_;
    lock.unlock();
    bool answer = ReadOnce();
    lock.lock();
    reading_ = false;
    tickets_answered_ = covers;
    last_answer_ = answer;
    read_done_.notify_all();
  }
  if (last_answer_) return HoldVerdict::kGlobal;
  return SpokeHeld(spoke) ? HoldVerdict::kSpoke : HoldVerdict::kRun;
}

bool HoldGate::ReadOnce() {
  // From the bucket's leader: a replica that is behind (a node frozen while
  // the hold was set) would answer "not held".
  absl::StatusOr<common::KvEntry> entry = control_.GetLatest(kPublishingKey);
  if (absl::IsNotFound(entry.status())) {
    read_failing_.store(false);
    Set(false, {});  // never held yet
    return false;
  }
  carecast::v1::PublishingState state;
  const std::string error =
      entry.ok() ? std::string("record does not parse") : std::string(entry.status().message());
  if (!entry.ok() || !state.ParseFromString(common::DecodeRecord(*std::move(entry)).value)) {
    // Log once per outage, not once per post.
    if (!read_failing_.exchange(true)) {
      logger_.Warn("cannot read the publishing hold; dispatch waits", {{"error", error}});
    }
    return true;
  }
  if (read_failing_.exchange(false)) logger_.Info("publishing hold readable again");
  std::vector<std::string> spokes;
  for (const carecast::v1::SpokeHold& hold : state.spoke_holds()) spokes.push_back(hold.spoke());
  Set(state.held(), std::move(spokes));
  return state.held();
}

}  // namespace carecast::publisher
