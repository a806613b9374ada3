// The publishing holds as this process sees them: the global switch and the
// spokes held on their own. An in-memory copy follows the carecast.publishing.*
// events at once; the authoritative answer is the "publishing" entry of
// carecast_control (one record holds every switch), read right before and right
// after every claim. When the entry cannot be read the gate says "held": never
// publish what cannot be shown to be allowed. Thread-safe.
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
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"

#include "services/common/base/logger.h"
#include "services/common/bus/key_value_store.h"
#include "services/publisher/publisher_metrics.h"

namespace carecast::publisher {

inline constexpr std::string_view kPublishingKey = "publishing";

// What the gate says about one post.
enum class HoldVerdict {
  kRun,
  kGlobal,  // everything is held (or the switches cannot be read)
  kSpoke,   // the post's spoke is held on its own; other spokes run
};

class HoldGate {
 public:
  HoldGate(common::KeyValueStore& control, PublisherMetrics& metrics, common::Logger& logger);

  // The last known global switch (event or KV read).
  bool held() const { return held_.load(); }
  // The last known holds of single spokes ("spokes/{spoke}", sorted).
  std::vector<std::string> held_spokes() const;
  // Applies a carecast.publishing.held / resumed event: `held` is the global
  // switch, `spokes` the spokes held on their own, both after the change.
  void SetFromEvent(bool held, std::vector<std::string> spokes);
  // Reads the KV entry (or waits for a read that began after this call),
  // updates the copy and returns whether dispatch must wait.
  bool CheckAuthoritative() { return CheckAuthoritative("") == HoldVerdict::kGlobal; }
  // The same for a post of `spoke` ("spokes/{spoke}"): the spoke holds come
  // from the same read or a newer one.
  HoldVerdict CheckAuthoritative(std::string_view spoke);

 private:
  void Set(bool held, std::vector<std::string> spokes);
  bool ReadOnce();
  bool SpokeHeld(std::string_view spoke) const;

  common::KeyValueStore& control_;
  PublisherMetrics& metrics_;
  common::Logger& logger_;
  std::atomic<bool> held_{false};
  std::atomic<bool> read_failing_{false};
  mutable std::mutex spokes_mu_;
  std::vector<std::string> spokes_ ABSL_GUARDED_BY(spokes_mu_);

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
