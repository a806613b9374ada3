#include "services/publisher/publisher.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/status_macros.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/publisher/clock_check.h"

namespace carecast::publisher {
namespace {

// Claimed posts that may wait in the send timer, per worker.
constexpr size_t kMaxWaitingPerWorker = 64;

// What the workers of one cycle did, filled in as each ends.
class DispatchTally {
 public:
  void Add(DispatchResult result) {
    std::lock_guard lock(mu_);
    switch (result) {
      case DispatchResult::kPublished:
        ++published_;
        break;
      case DispatchResult::kEnded:
        ++ended_;
        break;
      case DispatchResult::kRetryLater:
        break;
      case DispatchResult::kClaimLost:
        ++claims_lost_;
        break;
      case DispatchResult::kHeld:
        held_ = true;
        break;
    }
  }
  void CopyTo(CycleStats& stats) {
    std::lock_guard lock(mu_);
    stats.published = published_;
    stats.ended = ended_;
    stats.claims_lost = claims_lost_;
    stats.held = stats.held || held_;
  }

 private:
  std::mutex mu_;
  int published_ = 0;
  int ended_ = 0;
  int claims_lost_ = 0;
  bool held_ = false;
};

}  // namespace

namespace subjects = common::subjects;

absl::StatusOr<std::unique_ptr<Publisher>> Publisher::Create(const PublisherOptions& options,
                                                             const PublisherDeps& deps) {
  if (options.publisher_id.empty()) {
    return absl::InvalidArgumentError("publisher: publisher_id must be set");
  }
  if (options.batch_size == 0 || options.dispatch_concurrency == 0) {
    return absl::InvalidArgumentError(
        "publisher: batch_size and dispatch_concurrency must be at least 1");
  }
  if (options.lookahead < absl::ZeroDuration() ||
      options.lookahead > options.policy.claim_lease / 10) {
    return absl::InvalidArgumentError(
        "publisher: the lookahead must be between zero and a tenth of the claim lease");
  }
  return std::unique_ptr<Publisher>(new Publisher(options, deps));
}

Publisher::Publisher(const PublisherOptions& options, const PublisherDeps& deps)
    : options_(options),
      deps_(deps),
      outbox_(deps.bus, deps.outbox, deps.clock, deps.logger, deps.outbox_observer,
              options_.publisher_id),
      posts_(deps.posts, std::string(common::buckets::kPosts), outbox_),
      contents_(deps.contents, std::string(common::buckets::kContents), outbox_),
      organisation_(
          deps.organisation != nullptr && options_.takedown.automatic
              ? std::make_unique<common::EntityStore>(
                    *deps.organisation, std::string(common::buckets::kOrganisation), outbox_)
              : nullptr),
      relay_(outbox_,
             organisation_ ? std::vector<common::EntityStore*>{&posts_, organisation_.get()}
                           : std::vector<common::EntityStore*>{&posts_},
             options_.relay),
      index_(deps.index, deps.posts, options_.policy, deps.metrics, deps.logger),
      hold_(deps.control, deps.metrics, deps.logger),
      outcomes_(posts_, index_, deps.clock, deps.logger, deps.metrics, options_.publisher_id),
      resolutions_(posts_, index_, deps.clock, deps.logger, deps.metrics, options_.policy),
      reconciler_(deps.channels, outcomes_, deps.clock, deps.logger, deps.metrics, options_.policy),
      dispatcher_(posts_, contents_, index_, deps.channels, hold_, outcomes_, reconciler_,
                  deps.clock, deps.logger, deps.metrics, options_.policy, options_.publisher_id),
      replies_(posts_, index_, deps.clock, deps.logger, options_.policy,
               [this](absl::Time due) { WakeFor(due); }),
      workers_(options_.dispatch_concurrency),
      send_timer_(deps.clock) {
  if (organisation_) {
    takedowns_ = std::make_unique<Takedowns>(*organisation_, posts_, deps.channels, deps.clock,
                                             deps.logger, deps.metrics, options_.takedown);
  }
}

Publisher::~Publisher() { Stop(); }

absl::Status Publisher::Start() {
  RETURN_IF_ERROR(common::EnsureStreams(deps_.bus, {.replicas = options_.stream_replicas}));
  hold_.CheckAuthoritative();
  // The index is checked against KV at every start, not only when its marker is
  // gone: a set lost behind a surviving marker would otherwise never heal.
  absl::StatusOr<bool> built = index_.EnsureBuilt();
  absl::Status checked = built.status();
  if (built.ok() && !*built) checked = index_.Reconcile().status();
  if (!checked.ok()) {
    // Redis is a cache: start anyway and rebuild once it answers.
    index_was_down_ = true;
    deps_.logger.Warn("due index unavailable at start; will rebuild when it returns",
                      {{"error", std::string(checked.message())}});
  }
  {
    std::lock_guard maintenance_lock(maintenance_mu_);
    last_reconcile_ = last_sweep_ = deps_.clock.Now();
  }

  common::ConsumerSpec posts;
  posts.stream = std::string(common::streams::kEvents);
  posts.durable = "publisher";  // shared by every replica: each event indexed once
  posts.filter_subject = "carecast.post.>";
  posts.deliver_all = true;
  // Redis outages are retried, not dropped; a rebuild after the outage covers the rest.
  posts.max_deliver = 1000;
  ASSIGN_OR_RETURN(post_sub_, deps_.bus.Subscribe(posts, [this](const common::Event& e) {
    return OnPostEvent(e);
  }));

  common::ConsumerSpec hold;
  hold.stream = std::string(common::streams::kEvents);
  hold.durable = "";  // every process must see every hold change
  hold.purpose = "hold";
  hold.filter_subject = "carecast.publishing.>";
  hold.deliver_all = false;
  hold.max_deliver = 3;
  absl::StatusOr<std::unique_ptr<common::Subscription>> hold_sub =
      deps_.bus.Subscribe(hold, [this](const common::Event& e) { return OnPublishingEvent(e); });
  if (!hold_sub.ok()) {
    post_sub_.reset();
    return hold_sub.status();
  }
  hold_sub_ = *std::move(hold_sub);

  absl::StatusOr<std::unique_ptr<common::Subscription>> reply_sub = deps_.bus.Subscribe(
      ReplyPosts::Consumer(), [this](const common::Event& e) { return replies_.OnEvent(e); });
  if (!reply_sub.ok()) {
    post_sub_.reset();
    hold_sub_.reset();
    return reply_sub.status();
  }
  reply_sub_ = *std::move(reply_sub);

  if (takedowns_) {
    common::ConsumerSpec takedowns;
    takedowns.stream = std::string(common::streams::kEvents);
    takedowns.durable = "publisher-takedown";  // shared: each task worked by one replica
    takedowns.filter_subject = std::string(subjects::kTakedownRaised);
    takedowns.deliver_all = true;
    // A withdrawn consent must not be dropped after some failures: redelivered
    // until the task is DONE or left for a person (each run waits for the
    // task's retry_time before calling the network again).
    takedowns.max_deliver = 0;
    // Also how soon a run cut short by a crash is redelivered. A run longer
    // than this (a long thread on a slow network) may be redelivered while it
    // is still going: harmless, deletes answer NOT_FOUND the second time and
    // the DONE write is a compare-and-set.
    takedowns.ack_wait = absl::Seconds(30);
    absl::StatusOr<std::unique_ptr<common::Subscription>> takedown_sub = deps_.bus.Subscribe(
        takedowns, [this](const common::Event& e) { return takedowns_->OnEvent(e); });
    if (!takedown_sub.ok()) {
      post_sub_.reset();
      hold_sub_.reset();
      reply_sub_.reset();
      return takedown_sub.status();
    }
    takedown_sub_ = *std::move(takedown_sub);
  }

  started_ = true;
  if (options_.run_loop) {
    loop_ = std::thread([this] { Loop(); });
    maintenance_ = std::thread([this] { MaintenanceLoop(); });
    send_timer_.Start();
    relay_.Start();
  }
  deps_.logger.Info("publisher started", {{"publisher_id", options_.publisher_id},
                                          {"held", hold_.held()},
                                          {"automatic_takedown", takedowns_ != nullptr}});
  return absl::OkStatus();
}

void Publisher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  stopping_ = true;
  cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  if (maintenance_.joinable()) maintenance_.join();
  // Posts claimed ahead of their due time are released unsent, so another
  // replica takes them at once (not after the lease).
  send_timer_.Stop();
  // Posts already handed over finish their call and record it (each is short of
  // its lease); the ones still queued see stopping_ and leave the post as it is.
  workers_.WaitIdle();
  relay_.Stop();
  takedown_sub_.reset();
  reply_sub_.reset();
  post_sub_.reset();
  hold_sub_.reset();
  if (started_) deps_.logger.Info("publisher stopped", {{"publisher_id", options_.publisher_id}});
}

void Publisher::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Publisher::Loop() {
  while (true) {
    // Hands due posts to the workers without waiting for them; a worker that
    // ends wakes the loop, which then hands over the next ones.
    CycleStats stats = Cycle(/*wait_for_dispatch=*/false);
    // A full hand-over means more posts are due right now: go again at once.
    bool more = !stats.held && stats.examined > 0 &&
                stats.examined >= static_cast<int>(options_.batch_size);
    // "Awake" while the sleep is worked out: a post indexed after SleepAfter read
    // the index, but before the sleep is published, still wakes the loop.
    next_look_unix_ns_.store(std::numeric_limits<int64_t>::max());
    absl::Duration sleep = more ? absl::ZeroDuration() : SleepAfter(stats);
    next_look_unix_ns_.store(absl::ToUnixNanos(deps_.clock.Now() + sleep));
    std::unique_lock lock(mu_);
    if (sleep > absl::ZeroDuration()) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(sleep), [this] { return stop_ || woken_; });
    }
    woken_ = false;
    if (stop_) return;
  }
}

absl::Duration Publisher::SleepAfter(const CycleStats& stats) {
  if (stats.held || stats.index_unavailable) return options_.poll_interval;
  // The earliest member no worker holds: those in flight are still indexed.
  size_t in_flight = InFlight();
  absl::StatusOr<std::vector<common::ScoredMember>> first =
      index_.Due(absl::InfiniteFuture(), in_flight + 1);
  if (!first.ok()) return options_.poll_interval;
  std::optional<absl::Time> next;
  {
    std::lock_guard lock(in_flight_mu_);
    for (const common::ScoredMember& member : *first) {
      if (in_flight_.contains(member.member)) continue;
      next = TimeOfScore(member.score);
      break;
    }
  }
  if (!next) return options_.poll_interval;
  // Due by the time the cycle looked: it was seen and left for later (no free
  // worker, KV trouble); a worker that ends wakes the loop, and looking again
  // at once would spin.
  const absl::Time look = *next - options_.lookahead;
  if (look <= stats.now) return options_.poll_interval;
  return std::clamp(look - deps_.clock.Now(), absl::ZeroDuration(), options_.poll_interval);
}

size_t Publisher::InFlight() {
  std::lock_guard lock(in_flight_mu_);
  return in_flight_.size();
}

std::optional<DispatchResult> Publisher::DispatchPicked(const std::string& id, absl::Time now,
                                                        bool wait) {
  std::variant<DispatchResult, PreparedPost> prepared =
      dispatcher_.Prepare(id, now, now + options_.lookahead);
  if (const DispatchResult* ended = std::get_if<DispatchResult>(&prepared)) {
    Finished(id, *ended);
    return *ended;
  }
  auto post = std::make_shared<PreparedPost>(std::get<PreparedPost>(std::move(prepared)));
  const absl::Duration early = post->due - deps_.clock.Now();
  if (early > absl::ZeroDuration() && !wait) {
    // Claimed ahead: the timer hands the send to a worker at the due time,
    // ahead of whatever is waiting for one.
    send_timer_.At(
        post->due,
        [this, post, id] {
          workers_.SubmitFirst([this, post, id] {
            std::optional<DispatchResult> sent;
            if (stopping_.load()) {
              dispatcher_.Release(*post);
            } else {
              sent = dispatcher_.Send(*post);
            }
            Finished(id, sent);
          });
        },
        [this, post, id] {
          dispatcher_.Release(*post);
          Finished(id, std::nullopt);
        });
    return std::nullopt;
  }
  // RunCycle waits on this thread (a test's clock that stands still: at most
  // the lookahead).
  if (early > absl::ZeroDuration()) absl::SleepFor(std::min(early, options_.lookahead));
  DispatchResult result = dispatcher_.Send(*post);
  Finished(id, result);
  return result;
}

void Publisher::Finished(const std::string& id, std::optional<DispatchResult> result) {
  {
    std::lock_guard lock(in_flight_mu_);
    in_flight_.erase(id);
  }
  // A worker is free: the loop hands over what it left for want of one. A post
  // that did not end may be indexed again earlier than the loop's next look.
  const bool left_index = result == DispatchResult::kPublished || result == DispatchResult::kEnded;
  if (starved_.load() || !left_index) Wake();
}

CycleStats Publisher::RunCycle() { return Cycle(/*wait_for_dispatch=*/true); }

CycleStats Publisher::Cycle(bool wait_for_dispatch) {
  std::lock_guard cycle_lock(cycle_mu_);
  CycleStats stats;
  absl::Time now = deps_.clock.Now();
  stats.now = now;

  // Redis may have been wiped (marker gone) or unreachable (events for the index
  // were retried, maybe past their limit): either way rebuild from KV.
  absl::StatusOr<bool> built = index_.EnsureBuilt();
  if (built.ok() && !*built && index_was_down_.load()) {
    absl::Status rebuilt = index_.Rebuild();
    built = rebuilt.ok() ? absl::StatusOr<bool>(true) : absl::StatusOr<bool>(rebuilt);
  }
  if (!built.ok()) {
    if (!index_was_down_.exchange(true)) {
      deps_.logger.Warn("due index unavailable; dispatch waits",
                        {{"error", std::string(built.status().message())}});
    }
    stats.index_unavailable = true;
    return stats;
  }
  if (index_was_down_.exchange(false)) deps_.logger.Info("due index available again");
  stats.rebuilt = *built;
  if (stats.rebuilt) {
    // A rebuild is a full reconciliation: the next passes count from it.
    std::lock_guard maintenance_lock(maintenance_mu_);
    last_reconcile_ = last_sweep_ = now;
  }

  if (absl::StatusOr<int64_t> size = index_.Size(); size.ok())
    deps_.metrics.SetDuePosts(static_cast<double>(*size));

  // While held, only the authoritative read can lift the flag (a missed
  // "resumed" event must not stall publishing forever).
  if (hold_.held() && hold_.CheckAuthoritative()) {
    stats.held = true;
    if (wait_for_dispatch) MaintainIndex(now, stats);
    return stats;
  }

  // A clock off the server's would send posts early and take live claims for
  // abandoned ones: claim nothing until it agrees again.
  if (deps_.clock_check != nullptr && !deps_.clock_check->Allows()) {
    stats.held = true;
    return stats;
  }

  // Members a worker already holds are skipped, so ask for that many more.
  absl::StatusOr<std::vector<common::ScoredMember>> due =
      index_.Due(now + options_.lookahead, options_.batch_size + InFlight());
  if (!due.ok()) {
    index_was_down_ = true;
    stats.index_unavailable = true;
    return stats;
  }
  // Hand over no more than the free workers take (when not waiting), so posts
  // due later stay in the index for whichever replica is free first.
  size_t limit = options_.batch_size;
  if (!wait_for_dispatch && workers_.size() > 1) {
    size_t pending = workers_.Pending();
    limit = std::min(limit, pending >= workers_.size() ? 0 : workers_.size() - pending);
    // Claimed posts waiting for their time cost no worker, but are bounded.
    if (send_timer_.size() >= kMaxWaitingPerWorker * workers_.size()) limit = 0;
  }
  std::vector<std::string> picked;
  bool starved = false;
  {
    std::lock_guard lock(in_flight_mu_);
    for (const common::ScoredMember& member : *due) {
      if (in_flight_.contains(member.member)) continue;
      if (picked.size() >= limit) {
        starved = true;
        break;
      }
      in_flight_.insert(member.member);
      picked.push_back(member.member);
    }
  }
  starved_ = starved;
  // Each post is claimed, sent and recorded on a worker of its own; the claim
  // keeps two workers (or two publishers) off one post, and each dispatch
  // checks the hold itself.
  auto tally = std::make_shared<DispatchTally>();
  std::vector<std::function<void()>> tasks;
  tasks.reserve(picked.size());
  for (std::string& id : picked) {
    tasks.push_back([this, tally, id = std::move(id), now, wait_for_dispatch] {
      if (stopping_.load() || hold_.held()) {
        Finished(id, std::nullopt);
        return;
      }
      if (std::optional<DispatchResult> result = DispatchPicked(id, now, wait_for_dispatch))
        tally->Add(*result);
    });
  }
  stats.examined = static_cast<int>(tasks.size());
  if (wait_for_dispatch) {
    workers_.RunAll(std::move(tasks));
    tally->CopyTo(stats);
  } else {
    for (std::function<void()>& task : tasks) workers_.Submit(std::move(task));
    stats.held = stats.held || hold_.held();
  }
  if (wait_for_dispatch) MaintainIndex(now, stats);  // the loop has its maintenance thread
  return stats;
}

void Publisher::MaintainIndex(absl::Time now, CycleStats& stats) {
  if (stats.rebuilt) return;  // Cycle counted it as a reconciliation
  std::lock_guard maintenance_lock(maintenance_mu_);
  // A failed pass waits for its next period too: KV or Redis trouble must not
  // turn every poll into a full scan. Nor may a large bucket: a pass waits at
  // least ten times as long as the last one took.
  const absl::Duration floor = 10 * last_pass_took_;
  const auto started = std::chrono::steady_clock::now();
  absl::StatusOr<common::ReconcileReport> report;
  if (now - last_reconcile_ >= std::max(options_.index_reconcile_period, floor)) {
    last_reconcile_ = last_sweep_ = now;
    stats.reconciled = true;
    report = index_.Reconcile();
  } else if (now - last_sweep_ >= std::max(options_.due_sweep_period, floor)) {
    last_sweep_ = now;
    stats.swept = true;
    report = index_.Sweep(now, options_.due_sweep_horizon);
  } else {
    return;
  }
  last_pass_took_ = absl::FromChrono(std::chrono::steady_clock::now() - started);
  // Posts the pass put back may be due now: look again without waiting.
  if (report.ok() && report->Total().total() > 0) Wake();
}

void Publisher::MaintenanceLoop() {
  // Looks once a second (or each sweep period, when shorter) whether a pass is due.
  const absl::Duration tick = std::min(options_.due_sweep_period, absl::Seconds(1));
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, absl::ToChronoNanoseconds(tick), [this] { return stop_; });
    if (stop_) return;
    lock.unlock();
    CycleStats stats;
    if (!index_was_down_.load()) MaintainIndex(deps_.clock.Now(), stats);
    lock.lock();
  }
}

common::Disposition Publisher::OnPostEvent(const common::Event& event) {
  carecast::v1::Post post;
  if (event.subject == subjects::kPostScheduled || event.subject == subjects::kPostCancelled) {
    carecast::v1::PostChanged payload;
    if (!common::DecodeEvent(event, &payload).ok()) return common::Disposition::kReject;
    post = payload.post();
  } else if (event.subject == subjects::kPostPublished) {
    carecast::v1::PostPublished payload;
    if (!common::DecodeEvent(event, &payload).ok()) return common::Disposition::kReject;
    post = payload.post();
  } else if (event.subject == subjects::kPostFailed) {
    carecast::v1::PostFailed payload;
    if (!common::DecodeEvent(event, &payload).ok()) return common::Disposition::kReject;
    post = payload.post();
  } else {
    return common::Disposition::kAck;  // a post fact this service does not index
  }
  std::string id = PostIdFromName(post.name());
  if (id.empty()) return common::Disposition::kReject;

  // Events may arrive late or twice; the dispatcher re-reads KV before acting,
  // so indexing a stale fact can delay nothing and publish nothing.
  std::optional<absl::Time> when;
  if (event.subject == subjects::kPostScheduled) when = NextLookTime(post, options_.policy);
  absl::Status s = when ? index_.Put(id, *when) : index_.Remove(id);
  if (!s.ok()) return common::Disposition::kRetry;  // acknowledged only once indexed
  if (when) WakeFor(*when);
  return common::Disposition::kAck;
}

void Publisher::WakeFor(absl::Time due) {
  // Due before the sleeping loop would look: wake it to sleep until then instead.
  if (absl::ToUnixNanos(due - options_.lookahead) < next_look_unix_ns_.load()) Wake();
}

common::Disposition Publisher::OnPublishingEvent(const common::Event& event) {
  carecast::v1::PublishingChanged payload;
  if (!common::DecodeEvent(event, &payload).ok()) return common::Disposition::kReject;
  // The event carries every switch after the change.
  const bool held = payload.state().held();
  std::vector<std::string> spokes;
  for (const carecast::v1::SpokeHold& h : payload.state().spoke_holds())
    spokes.push_back(h.spoke());
  const bool lifted = event.subject == subjects::kPublishingResumed;
  hold_.SetFromEvent(held, std::move(spokes));
  if (lifted || !held) Wake();
  return common::Disposition::kAck;
}

absl::StatusOr<PublisherStatus> Publisher::Status() {
  PublisherStatus status;
  status.publisher_id = options_.publisher_id;
  status.held = hold_.held();
  ASSIGN_OR_RETURN(status.pending_posts, index_.Size());
  ASSIGN_OR_RETURN(status.next_due_time, index_.Next());
  return status;
}

absl::StatusOr<carecast::v1::Post> Publisher::ConfirmPostPublished(
    const Resolver& by, const carecast::v1::ConfirmPostPublishedRequest& request) {
  return resolutions_.ConfirmPublished(by, request);
}

absl::StatusOr<carecast::v1::Post> Publisher::ConfirmPostNotPublished(
    const Resolver& by, const carecast::v1::ConfirmPostNotPublishedRequest& request) {
  ASSIGN_OR_RETURN(carecast::v1::Post post, resolutions_.ConfirmNotPublished(by, request));
  // Rescheduled for now (the usual case) or before the loop would look: wake it.
  if (absl::ToUnixNanos(ToTime(post.publish_time()) - options_.lookahead) <
      next_look_unix_ns_.load())
    Wake();
  return post;
}

absl::StatusOr<PublishedPage> Publisher::ListPublished(int32_t page_size,
                                                       std::string_view page_token) {
  return ListPublishedPage(posts_, page_size, page_token);
}

}  // namespace carecast::publisher
