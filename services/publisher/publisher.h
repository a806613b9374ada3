// The publisher core: keeps the due index in step with post events, follows the
// publishing hold, and runs the dispatch loop on its own thread. Depends on
// interfaces only (bus, KV buckets, sorted index, channels, clock, logger).
// Create(), then Start() once, Stop() once (the destructor stops too). Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/base/worker_pool.h"
#include "services/common/bus/event_bus.h"
#include "services/common/bus/key_value_store.h"
#include "services/common/redis/sorted_index.h"
#include "services/common/store/entity_store.h"
#include "services/common/store/outbox.h"
#include "services/common/store/outbox_relay.h"
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/delivery_pages.h"
#include "services/publisher/dispatcher.h"
#include "services/publisher/due_index.h"
#include "services/publisher/hold_gate.h"
#include "services/publisher/needs_human.h"
#include "services/publisher/outcomes.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher_metrics.h"
#include "services/publisher/recovery.h"
#include "services/publisher/reply_posts.h"
#include "services/publisher/send_timer.h"
#include "services/publisher/takedowns.h"

namespace carecast::publisher {

class ClockCheck;

struct PublisherOptions {
  std::string publisher_id;
  DispatchPolicy policy;
  // The longest the loop sleeps between cycles. It wakes earlier for the
  // earliest post in the due index and when an event brings an earlier one, so
  // this bounds how late a missed wake-up or a lifted hold is seen, not lateness.
  absl::Duration poll_interval = absl::Milliseconds(100);
  // How far ahead of its due time a post is read, checked and claimed; it is
  // then held until the due time, when only the hold and approval checks, the
  // send mark and the channel call remain (send_timer.h). Zero: a post is
  // looked at once it is due. At most a tenth of the claim lease.
  absl::Duration lookahead = absl::ZeroDuration();
  // Due posts handled per index read.
  size_t batch_size = 100;
  // Due posts of one batch dispatched at once (each on its own worker, so a
  // slow network call holds up only its own post). 1: one after another on
  // the loop's thread.
  size_t dispatch_concurrency = 8;
  int stream_replicas = 1;
  // False: no dispatch thread and no outbox relay thread; the caller drives
  // RunCycle() and SweepOutbox() (tests).
  bool run_loop = true;
  // How often the outbox relay looks for outcomes left owing their events.
  common::OutboxRelayOptions relay;
  // How often the whole due index is reconciled with the posts bucket (added,
  // re-scored, removed), besides once at Start. Read against deps.clock.
  absl::Duration index_reconcile_period = absl::Seconds(60);
  // How often the due sweep makes sure every post due within due_sweep_horizon
  // is in the index (add/fix only). The horizon should be at least the period,
  // so a post due before the next sweep is covered by this one.
  absl::Duration due_sweep_period = absl::Seconds(10);
  absl::Duration due_sweep_horizon = absl::Seconds(60);
  // Automatic takedown after a revoked patient authorization (takedowns.h);
  // needs deps.organisation.
  TakedownOptions takedown;
};

// The references the core works through; all must outlive the Publisher.
struct PublisherDeps {
  common::EventBus& bus;
  common::KeyValueStore& posts;     // carecast_posts
  common::KeyValueStore& contents;  // carecast_contents
  common::KeyValueStore& control;   // carecast_control
  common::SortedIndex& index;
  ChannelRegistry& channels;
  const common::Clock& clock;
  common::Logger& logger;
  PublisherMetrics& metrics;
  common::KeyValueStore& outbox;  // carecast_outbox: markers of writes owing events
  common::OutboxObserver& outbox_observer = common::NullOutboxObserver();
  // carecast_organisation, where the takedown tasks live. Null: no automatic
  // takedown (whatever options.takedown says).
  common::KeyValueStore* organisation = nullptr;
  // This clock against a server's (clock_check.h): while it says no, a cycle
  // claims nothing, as under the global hold. Null: no check (tests).
  ClockCheck* clock_check = nullptr;
};

struct PublisherStatus {
  std::string publisher_id;
  bool held = false;
  int64_t pending_posts = 0;
  std::optional<absl::Time> next_due_time;
};

// What one dispatch cycle did.
struct CycleStats {
  // deps.clock when the cycle read the due index: members due by then were looked at.
  absl::Time now = absl::InfinitePast();
  bool rebuilt = false;
  bool held = false;
  bool index_unavailable = false;
  int published = 0;
  int ended = 0;
  int claims_lost = 0;
  int examined = 0;
  // The periodic index passes this cycle ran (after dispatching).
  bool reconciled = false;
  bool swept = false;
};

class Publisher {
 public:
  // A publisher that has not started. INVALID_ARGUMENT when options.publisher_id
  // is empty, batch_size or dispatch_concurrency is 0, or the lookahead is
  // negative or over a tenth of the claim lease.
  static absl::StatusOr<std::unique_ptr<Publisher>> Create(const PublisherOptions& options,
                                                           const PublisherDeps& deps);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Ensures the streams, reads the hold, builds the due index when needed (a
  // Redis outage only delays that), subscribes the durable "publisher" consumer
  // on carecast.post.>, the durable "publisher-replies" on
  // carecast.reply.approved (reply_posts.h) and an ephemeral one on
  // carecast.publishing.>, with automatic takedown the durable
  // "publisher-takedown" on carecast.takedown.raised, and starts the loop. UNAVAILABLE when the bus
  // cannot be reached.
  absl::Status Start();
  // Stops taking work: ends the loop after the post in flight, then unsubscribes.
  void Stop();

  // One pass over the due index, waiting for what it hands out. Once
  // index_reconcile_period has passed since the last reconciliation it then
  // reconciles the due index with KV, else once due_sweep_period has passed it
  // runs the due sweep (both by deps.clock, so a FakeClock drives them). The
  // running loop does not: its passes run on a maintenance thread of their own,
  // so a pass over a large bucket never holds up dispatch, and the next pass
  // waits at least ten times as long as the last one took.
  CycleStats RunCycle();
  // Wakes the loop now (a post became due, publishing resumed).
  void Wake();
  // One outbox relay sweep; the relay thread runs it every options.relay.period.
  absl::StatusOr<int> SweepOutbox() { return relay_.SweepOnce(); }

  // UNAVAILABLE when the due index cannot be read.
  absl::StatusOr<PublisherStatus> Status();

  // A person's resolution of a NEEDS_HUMAN post; see needs_human.h for the
  // effects and errors. ConfirmPostNotPublished wakes the loop when the post is
  // due at once.
  absl::StatusOr<carecast::v1::Post> ConfirmPostPublished(
      const Resolver& by, const carecast::v1::ConfirmPostPublishedRequest& request);
  absl::StatusOr<carecast::v1::Post> ConfirmPostNotPublished(
      const Resolver& by, const carecast::v1::ConfirmPostNotPublishedRequest& request);
  // One page of the posts published on every network, newest first (the posts
  // bucket, not any channel's own record); see ListPublishedPage for the order,
  // the token and the cost (a bucket scan per page).
  absl::StatusOr<PublishedPage> ListPublished(int32_t page_size, std::string_view page_token);
  const std::string& publisher_id() const { return options_.publisher_id; }
  // The automatic takedown worker; null when it is off (tests drive it directly).
  Takedowns* takedowns() { return takedowns_.get(); }

 private:
  Publisher(const PublisherOptions& options, const PublisherDeps& deps);
  common::Disposition OnPostEvent(const common::Event& event);
  // A post is indexed due at `due`: wakes the loop when it would look later.
  void WakeFor(absl::Time due);
  common::Disposition OnPublishingEvent(const common::Event& event);
  void Loop();
  // One pass: reads the due posts no worker holds and hands each to a worker;
  // with `wait_for_dispatch` returns once they have all ended (RunCycle),
  // else at once (the loop), with only `examined` and `held` known.
  CycleStats Cycle(bool wait_for_dispatch);
  // Posts a worker holds now.
  size_t InFlight();
  // A worker's part for one post picked at `now`: prepare it (claimed when due
  // by the lookahead), then send it at once, or later from the send timer.
  // With `wait` (RunCycle) the send happens on this thread, after a real-time
  // sleep of at most the lookahead. Returns the result when it is known now.
  std::optional<DispatchResult> DispatchPicked(const std::string& id, absl::Time now, bool wait);
  // The post leaves in_flight_; the loop is woken when it left posts for want
  // of a worker, or when this one did not end (nullopt: not dispatched).
  void Finished(const std::string& id, std::optional<DispatchResult> result);
  // How long the loop may sleep after `stats`: until the earliest member of the
  // due index, at most poll_interval; poll_interval when the cycle could not
  // make progress on what was due (held, index down, members it already saw).
  absl::Duration SleepAfter(const CycleStats& stats);
  // The periodic reconciliation or due sweep, when one is due.
  void MaintainIndex(absl::Time now, CycleStats& stats);
  // The maintenance thread: MaintainIndex whenever a pass may be due.
  void MaintenanceLoop();

  const PublisherOptions options_;
  PublisherDeps deps_;
  common::Outbox outbox_;
  common::EntityStore posts_;
  common::EntityStore contents_;
  // The organisation bucket's store, with automatic takedown only.
  std::unique_ptr<common::EntityStore> organisation_;
  common::OutboxRelay relay_;
  DueIndex index_;
  HoldGate hold_;
  Outcomes outcomes_;
  NeedsHumanResolutions resolutions_;
  Reconciler reconciler_;
  Dispatcher dispatcher_;
  std::unique_ptr<Takedowns> takedowns_;
  ReplyPosts replies_;
  common::WorkerPool workers_;
  SendTimer send_timer_;  // claimed posts waiting for their due time
  std::mutex in_flight_mu_;
  // Post ids a worker holds, or that wait claimed in send_timer_.
  absl::flat_hash_set<std::string> in_flight_;  // guarded by in_flight_mu_

  std::mutex cycle_mu_;  // one cycle at a time (loop thread or a test)
  std::atomic<bool> index_was_down_{false};
  std::mutex maintenance_mu_;                         // one index pass at a time
  absl::Time last_reconcile_ = absl::InfinitePast();  // guarded by maintenance_mu_
  absl::Time last_sweep_ = absl::InfinitePast();      // guarded by maintenance_mu_
  // How long the last pass took (real time): the next waits at least 10x that.
  absl::Duration last_pass_took_ = absl::ZeroDuration();  // guarded by maintenance_mu_
  std::thread maintenance_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // guarded by mu_
  bool woken_ = false;  // guarded by mu_
  // When the sleeping loop will next look, by deps.clock (Unix ns); an event
  // for a post due earlier wakes it.
  std::atomic<int64_t> next_look_unix_ns_{std::numeric_limits<int64_t>::max()};
  std::atomic<bool> stopping_{false};
  // The last cycle left due posts for want of a free worker: a worker that
  // ends wakes the loop.
  std::atomic<bool> starved_{false};
  std::thread loop_;
  std::unique_ptr<common::Subscription> post_sub_;
  std::unique_ptr<common::Subscription> hold_sub_;
  std::unique_ptr<common::Subscription> reply_sub_;
  std::unique_ptr<common::Subscription> takedown_sub_;
  bool started_ = false;
};

}  // namespace carecast::publisher
