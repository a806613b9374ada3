#include "services/publisher/hold_gate.h"

#include <string>

#include "carecast/v1/resources.pb.h"

#include "services/common/store/entity_store.h"

namespace carecast::publisher {

HoldGate::HoldGate(common::KeyValueStore& control, PublisherMetrics& metrics,
                   common::Logger& logger)
    : control_(control), metrics_(metrics), logger_(logger) {}

void HoldGate::Set(bool held) {
  bool was = held_.exchange(held);
  metrics_.SetHeld(held);
  if (was != held) logger_.Info(held ? "publishing held" : "publishing resumed");
}

void HoldGate::SetFromEvent(bool held) { Set(held); }

bool HoldGate::CheckAuthoritative() {
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
  return last_answer_;
}

bool HoldGate::ReadOnce() {
  absl::StatusOr<common::KvEntry> entry = control_.Get(kPublishingKey);
  if (absl::IsNotFound(entry.status())) {
    read_failing_.store(false);
    Set(false);  // never held yet
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
  Set(state.held());
  return state.held();
}

}  // namespace carecast::publisher
