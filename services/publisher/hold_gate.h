// The global publishing hold as this process sees it. An in-memory flag follows
// the carecast.publishing.* events at once; the authoritative answer is the
// "publishing" entry of carecast_control, read right before and right after
// every claim. When the entry cannot be read the gate says "held": never publish
// what cannot be shown to be allowed. Thread-safe.
#pragma once

#include <atomic>
#include <string_view>

#include "services/common/base/logger.h"
#include "services/common/bus/key_value_store.h"
#include "services/publisher/publisher_metrics.h"

namespace carecast::publisher {

inline constexpr std::string_view kPublishingKey = "publishing";

class HoldGate {
 public:
  HoldGate(common::KeyValueStore& control, PublisherMetrics& metrics, common::Logger& logger);

  // The last known state (event or KV read).
  bool held() const { return held_.load(); }
  // Applies a carecast.publishing.held / resumed event.
  void SetFromEvent(bool held);
  // Reads the KV entry, updates the flag and returns whether dispatch must wait.
  bool CheckAuthoritative();

 private:
  void Set(bool held);

  common::KeyValueStore& control_;
  PublisherMetrics& metrics_;
  common::Logger& logger_;
  std::atomic<bool> held_{false};
  std::atomic<bool> read_failing_{false};
};

}  // namespace carecast::publisher
