// The global publishing hold as this process sees it. An in-memory flag follows
// the carecast.publishing.* events at once; the authoritative answer is the
// "publishing" entry of carecast_control, read right before and right after
// every claim. When the entry cannot be read the gate says "held": never publish
// what cannot be shown to be allowed. Thread-safe.
//
// Concurrent checks share reads without weakening them: a caller is answered
// by the first read that STARTED after it called (so it sees every hold that
// committed before its call), and a read in progress serves every caller that
// arrived before it began. Many workers checking at once cost one or two KV
// reads, not one each.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
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
  // Reads the KV entry (or waits for a read that began after this call),
  // updates the flag and returns whether dispatch must wait.
  bool CheckAuthoritative();

 private:
  void Set(bool held);
  bool ReadOnce();

  common::KeyValueStore& control_;
  PublisherMetrics& metrics_;
  common::Logger& logger_;
  std::atomic<bool> held_{false};
  std::atomic<bool> read_failing_{false};

  // The shared read: callers take tickets in order; a read covers every ticket
  // issued before it started.
  std::mutex read_mu_;
  std::condition_variable read_done_;
  uint64_t tickets_issued_ = 0;
  uint64_t tickets_answered_ = 0;
  bool reading_ = false;
  bool last_answer_ = true;
};

}  // namespace carecast::publisher
