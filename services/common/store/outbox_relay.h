// Finishes what writers left owed: at start and then every `period`, reads the
// markers of its buckets in carecast_outbox, settles each entity a marker names
// (flush its outbox, clear it) and deletes the marker. Markers younger than
// `grace` belong to writers still at work and are left to them. Several
// replicas may sweep at once: everything they publish is idempotent.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/store/entity_store.h"
#include "services/common/store/outbox.h"

namespace carecast::common {

struct OutboxRelayOptions {
  // Time between sweeps.
  absl::Duration period = absl::Seconds(5);
  // A marker this young may belong to a write in progress.
  absl::Duration grace = absl::Seconds(2);
};

class OutboxRelay {
 public:
  // `stores` are the buckets this service writes; references must outlive it.
  OutboxRelay(Outbox& outbox, const std::vector<EntityStore*>& stores, OutboxRelayOptions options);
  ~OutboxRelay();

  // One sweep over every store's markers; returns how many markers were settled.
  // UNAVAILABLE when the markers cannot be listed.
  absl::StatusOr<int> SweepOnce();

  // Sweeps now and then every period on a background thread, until Stop().
  void Start();
  void Stop();

 private:
  void Loop();

  Outbox& outbox_;
  std::map<std::string, EntityStore*, std::less<>> stores_;
  const OutboxRelayOptions options_;
  // std::mutex rather than absl::Mutex: Debian's abseil is not built for
  // ThreadSanitizer, which then cannot see absl::Mutex and reports false races.
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace carecast::common
