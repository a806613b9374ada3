// Reads what the networks say about CareCast's published posts and accounts,
// and announces it (a responder's reply, a post with `reply` set, is not one
// of the program's posts and is never read): carecast.engagement.observed per post reading and
// carecast.engagement.followers_observed per account reading (docs/measurement.md).
//
// Two Redis sorted sets hold the schedule: published posts scored by their
// next reading (EngagementSchedule: young posts often, old posts rarely, none
// after the last tier) and accounts scored by their next follower reading.
// Replicas share them: a tick pops what is due atomically (no two replicas read
// the same post at once), reads it, announces it and puts it back at its next
// time. The sets are a cache: a published post enters at once through the
// durable consumer "publisher-engagement" on carecast.post.published (a new
// account through "publisher-followers" on carecast.account.created), and a
// reconciliation against the posts and organisation buckets (at start, on a
// period, and at once when Redis was wiped) adds what a crash between pop and
// put-back or a lost Redis dropped.
//
// The networks' limits are respected twice: each adapter draws every call from
// the shared budgets and answers kRateLimited with the wait (the post, and the
// rest of that account's due readings, move past it), and this replica makes
// at most `account_reads_per_hour` readings per account, so reading never
// spends the budget publishing needs. A reading's event id names the post and
// the reading time; readings are running totals, so a repeated one replaces
// the figures, never adds to them. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/base/periodic_runner.h"
#include "services/common/bus/event_bus.h"
#include "services/common/bus/key_value_store.h"
#include "services/common/redis/index_reconciler.h"
#include "services/common/redis/sorted_index.h"
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/engagement_metrics.h"
#include "services/publisher/engagement_schedule.h"

namespace carecast::publisher {

inline constexpr std::string_view kEngagementIndexName = "carecast:publisher:engagement";
inline constexpr std::string_view kFollowersIndexName = "carecast:publisher:followers";
inline constexpr std::string_view kEngagementIndexMarker = "carecast:publisher:engagement:built";
// Posts the network no longer has, scored by their publish time (so they can
// be forgotten once past the schedule): the reconciliation leaves them out.
inline constexpr std::string_view kEngagementDeletedName = "carecast:publisher:engagement:deleted";

struct EngagementCollectorOptions {
  EngagementSchedule schedule;
  // Time between ticks of the collector's thread, the first at Start; zero: no
  // thread, the caller drives RunOnce() (tests).
  absl::Duration tick = absl::Seconds(30);
  // Readings per tick at most (posts and accounts each).
  size_t batch = 100;
  // Readings of one account's posts and followers per hour, by this replica.
  int account_reads_per_hour = 120;
  // Time between follower readings of an account.
  absl::Duration followers_interval = absl::Hours(6);
  // Time between whole reconciliations of the schedule with KV.
  absl::Duration reconcile_period = absl::Minutes(10);
  // Wait after a failed reading (retryable, unknown, expired token).
  absl::Duration retry_after_failure = absl::Minutes(10);
};

// All references must outlive the collector.
struct EngagementCollectorDeps {
  common::EventBus& bus;
  common::KeyValueStore& posts;         // carecast_posts
  common::KeyValueStore& organisation;  // carecast_organisation (accounts)
  common::SortedIndex& index;
  ChannelRegistry& channels;
  const common::Clock& clock;
  common::Logger& logger;
  EngagementMetrics& metrics;
  common::IndexRepairObserver& repairs;
};

// What one tick did.
struct EngagementTick {
  int posts_read = 0;      // engagement readings announced (deleted included)
  int posts_put_off = 0;   // due readings moved later (limits, failures)
  int posts_finished = 0;  // posts that left the schedule
  int followers_read = 0;  // follower counts announced
  bool reconciled = false;
};

class EngagementCollector {
 public:
  EngagementCollector(EngagementCollectorOptions options, EngagementCollectorDeps deps);
  ~EngagementCollector();
  EngagementCollector(const EngagementCollector&) = delete;
  EngagementCollector& operator=(const EngagementCollector&) = delete;

  // Subscribes to carecast.post.published and carecast.account.created and,
  // with a tick, starts the thread, which ticks at once (reconciling first) and
  // then every tick. UNAVAILABLE when the bus cannot be reached.
  absl::Status Start();
  // Returns after the tick in flight (if any) has ended; no tick runs after it.
  // Unsubscribes.
  void Stop();

  // One tick: a reconciliation when one is due (or the schedule's marker is
  // gone), then the post and account readings that are due. UNAVAILABLE when
  // Redis cannot be read.
  absl::StatusOr<EngagementTick> RunOnce();
  // Both sets against KV now.
  absl::StatusOr<common::ReconcileReport> Reconcile();
  // carecast.post.published: schedules the post's first reading.
  common::Disposition OnPublished(const common::Event& event);
  // carecast.account.created: schedules the account's first follower reading now.
  common::Disposition OnAccountCreated(const common::Event& event);

 private:
  enum class ReadResult { kAnnounced, kPutOff, kFinished };
  // One reading of the post `id` (a member of the engagement set, popped).
  ReadResult ReadPostEngagement(const std::string& id, absl::Time now);
  // One follower reading of the account under organisation key `key`.
  ReadResult ReadAccountFollowers(const std::string& key, absl::Time now);
  // Nullopt, taking one reading from `account`'s hourly allowance, when it may
  // be read now; else the time it may (the network asked to wait, or the
  // allowance is spent).
  std::optional<absl::Time> AccountWait(const std::string& account, absl::Time now);
  // When to try again after the channel error `error` (and `result`, the
  // metric's label); a rate limit blocks the whole account until then.
  absl::Time AfterFailure(const std::string& account, const absl::Status& error, absl::Time now,
                          std::string& result);
  // Puts off `member` of `index` to `when`; logs a Redis failure (the next
  // reconciliation restores it).
  void PutBack(std::string_view index, const std::string& member, absl::Time when);
  // The thread's tick: RunOnce, logging a failure (the next tick retries).
  void Tick();
  // Trims kEngagementDeletedName and reads it into deleted_. Called with reconcile_mu_.
  absl::Status LoadDeletedLocked(absl::Time now);

  const EngagementCollectorOptions options_;
  EngagementCollectorDeps deps_;
  common::IndexReconciler posts_reconciler_;
  common::IndexReconciler accounts_reconciler_;
  std::unique_ptr<common::Subscription> published_sub_;
  std::unique_ptr<common::Subscription> accounts_sub_;

  std::mutex budget_mu_;
  // Per account: the hour window's start and readings made in it.
  std::map<std::string, std::pair<absl::Time, int>, std::less<>> budget_;  // guarded by budget_mu_
  // Per account: no reading before this time (the network asked to wait).
  std::map<std::string, absl::Time, std::less<>> blocked_until_;  // guarded by budget_mu_

  std::mutex reconcile_mu_;
  absl::Time last_reconcile_ = absl::InfinitePast();  // guarded by reconcile_mu_
  // Post ids in kEngagementDeletedName as of the reconciliation running.
  std::set<std::string, std::less<>> deleted_;  // guarded by reconcile_mu_

  // Last, so that it is built after and destroyed before what its task reads.
  common::PeriodicRunner runner_;
};

}  // namespace carecast::publisher
