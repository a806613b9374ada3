// Reads one mention source into the intake on a period, from its stored
// cursor, in any number of listener replicas. Each round the replica first
// claims the source's lease (source_checkpoints.h); only the holder reads.
// It fetches a page, hands every mention to the intake, and only then moves
// the cursor (compare-and-set, renewing the lease), so:
//   - a replica killed mid-page leaves the cursor where it was; the next
//     holder reads the page again and the intake answers the repeats as the
//     mentions it already stored (deduplicated on network and external id):
//     nothing lost, nothing doubled;
//   - a holder that stalls past its lease loses the next write and stops,
//     while the replica that took over continues from the stored cursor.
// A 429 stores its reset as not_before (shared by every replica). A mention
// the intake refuses as invalid is counted and skipped; one it cannot store
// (KV or Redis down) ends the round without moving the cursor.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/base/periodic_runner.h"
#include "services/listener/listener_metrics.h"
#include "services/listener/source_checkpoints.h"
#include "services/listener/sources/mention_source.h"

namespace carecast::listener {

// Stores one mention (MentionIntake::Create with the source's label):
// INVALID_ARGUMENT when it can never be accepted, UNAVAILABLE when it cannot
// be stored now.
using MentionSink = std::function<absl::Status(const v1::Mention&)>;

struct SourcePollOptions {
  // "mastodon_notifications", "x_recent_search" or "bluesky_jetstream".
  std::string kind;
  // Time between rounds (a round reads pages while the source says more).
  absl::Duration period = absl::Seconds(30);
  // How long a claim lasts without renewal; a replica that died is replaced
  // after this. Zero: three periods.
  absl::Duration lease = absl::ZeroDuration();
  // Pages read in one round at most, so a long catch-up renews the lease and
  // lets Stop() in between.
  int max_pages_per_round = 50;
  // This replica's id in the lease (distinct per process).
  std::string holder;
};

// What one round did (tests, logs).
struct SourceRoundReport {
  bool held = false;  // this replica held the lease and read the source
  int pages = 0;
  int accepted = 0;
  int rejected = 0;
  absl::Status error;  // the failure that ended the round early, if any
};

// Thread-safe: rounds are serialised. The source, checkpoints, metrics, clock
// and logger must outlive it.
class SourcePoller {
 public:
  SourcePoller(std::unique_ptr<MentionSource> source, SourcePollOptions options,
               SourceCheckpoints& checkpoints, MentionSink sink, ListenerMetrics& metrics,
               const common::Clock& clock, common::Logger& logger);
  ~SourcePoller();

  const std::string& name() const { return source_->name(); }

  // Rounds every options.period on a thread, the first at once.
  void Start() { runner_.Start(); }
  void Stop() { runner_.Stop(); }

  // One round (tests; the runner).
  SourceRoundReport RunRound();

 private:
  // Records `error` in the state (best effort) and in the metrics.
  void RecordFailure(const common::Stored<v1::MentionSourceState>& state, const absl::Status& error,
                     std::string_view outcome, absl::Time now);

  const std::unique_ptr<MentionSource> source_;
  const SourcePollOptions options_;
  SourceCheckpoints& checkpoints_;
  const MentionSink sink_;
  ListenerMetrics& metrics_;
  const common::Clock& clock_;
  common::Logger& logger_;
  std::mutex round_mu_;
  common::PeriodicRunner runner_;
};

}  // namespace carecast::listener
