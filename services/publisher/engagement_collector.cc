#include "services/publisher/engagement_collector.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "carecast/v1/events.pb.h"
#include "carecast/v1/resources.pb.h"

#include "services/common/base/account_name.h"
#include "services/common/base/status_macros.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/common/store/entity_store.h"
#include "services/publisher/outcomes.h"
#include "services/publisher/post_records.h"

namespace carecast::publisher {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::string_view kAccountKeyPrefix = "accounts.";
constexpr std::string_view kEngagementLabel = "publisher_engagement";
constexpr std::string_view kFollowersLabel = "publisher_followers";
// After a reading the bus refused, the next try.
constexpr absl::Duration kAnnounceRetry = absl::Minutes(1);

// Any score is right for a member that is there: the collector re-reads the
// record before every reading. Only missing members are added.
common::IndexPlacement Anywhere(std::string_view index, absl::Time when) {
  return {.index = std::string(index),
          .score = ScoreOf(when),
          .slack_below = kInf,
          .slack_above = kInf};
}

// A post whose engagement is still read: one of the program's (not a
// responder's reply), published, with the network's id, on a configured
// network, no older than `max_age`.
std::optional<absl::Time> ReadablePublishTime(const v1::Post& post, absl::Duration max_age,
                                              const ChannelRegistry& channels, absl::Time now) {
  if (!post.reply().empty()) return std::nullopt;
  if (post.state() != v1::POST_STATE_PUBLISHED || post.external_id().empty()) return std::nullopt;
  if (!post.has_published_time() || !channels.Find(post.network()).ok()) return std::nullopt;
  const absl::Time published = ToTime(post.published_time());
  if (now - published > max_age) return std::nullopt;
  return published;
}

// A popped post is still read a little past the last tier: its last reading
// is due at max_age exactly and may be taken late.
absl::Duration ReadingGrace(const EngagementSchedule& schedule) {
  return schedule.max_age() + schedule.tiers().back().interval;
}

absl::StatusOr<std::optional<common::IndexPlacement>> PostPlacement(
    absl::StatusOr<PostRecord> record, const EngagementSchedule& schedule,
    const ChannelRegistry& channels, absl::Time now) {
  if (!record.ok()) return record.status();
  // Scheduled only while younger than the last tier.
  std::optional<absl::Time> published =
      ReadablePublishTime(record->post, schedule.max_age() - absl::Nanoseconds(1), channels, now);
  if (!published) return std::optional<common::IndexPlacement>();
  return std::optional<common::IndexPlacement>(
      Anywhere(kEngagementIndexName, schedule.FirstReading(*published)));
}

// The organisation bucket's key of the account "spokes/{s}/accounts/{a}":
// "accounts.{s}.{a}" (the planner's AccountKey, services/planner/resource_names.h).
std::optional<std::string> AccountKeyOf(std::string_view name) {
  std::optional<common::AccountIds> ids = common::ParseAccountIds(name);
  if (!ids) return std::nullopt;
  return absl::StrCat(std::string(kAccountKeyPrefix), ids->spoke, ".", ids->account);
}

absl::StatusOr<v1::Account> AccountFromEntry(common::KvEntry entry) {
  v1::Account account;
  if (!account.ParseFromString(common::DecodeRecord(std::move(entry)).value))
    return absl::DataLossError("an account record does not parse");
  return account;
}

absl::StatusOr<std::optional<common::IndexPlacement>> AccountPlacement(
    absl::StatusOr<v1::Account> account, const ChannelRegistry& channels) {
  if (!account.ok()) return account.status();
  if (!channels.Find(account->network()).ok()) return std::optional<common::IndexPlacement>();
  return std::optional<common::IndexPlacement>(
      Anywhere(kFollowersIndexName, absl::UnixEpoch()));  // missing: read at once
}

v1::EngagementObserved Observation(const v1::Post& post, absl::Time now, const Engagement& figures,
                                   bool deleted) {
  v1::EngagementObserved out;
  out.set_post(post.name());
  out.set_account(post.account());
  out.set_network(post.network());
  out.set_campaign(post.campaign());
  out.set_content(post.content());
  out.set_external_id(post.external_id());
  *out.mutable_published_time() = post.published_time();
  SetTime(now, out.mutable_observe_time());
  out.set_impressions(figures.impressions);
  out.set_likes(figures.likes);
  out.set_shares(figures.shares);
  out.set_replies(figures.replies);
  out.set_clicks(figures.clicks);
  out.set_deleted(deleted);
  return out;
}

}  // namespace

EngagementCollector::EngagementCollector(EngagementCollectorOptions options,
                                         EngagementCollectorDeps deps)
    : options_(std::move(options)),
      deps_(deps),
      posts_reconciler_(
          {.indexes = {{std::string(kEngagementIndexName), std::string(kEngagementLabel)}}},
          common::IndexSource{
              .keys = [this]() { return deps_.posts.Keys(""); },
              // Both run under reconcile_mu_ (Reconcile holds it for the pass).
              .place = [this](std::string_view key)
                  -> absl::StatusOr<std::optional<common::IndexPlacement>> {
                if (deleted_.contains(key)) return std::optional<common::IndexPlacement>();
                return PostPlacement(publisher::ReadPost(deps_.posts, key), options_.schedule,
                                     deps_.channels, deps_.clock.Now());
              },
              .scan = [this](const common::IndexSource::Visit& visit) -> absl::Status {
                const absl::Time now = deps_.clock.Now();
                return deps_.posts.Scan("", [&](std::string_view key, const common::KvEntry& e) {
                  if (deleted_.contains(key))
                    return visit(key, std::optional<common::IndexPlacement>());
                  return visit(
                      key, PostPlacement(PostFromEntry(e), options_.schedule, deps_.channels, now));
                });
              }},
          deps.index, deps.repairs, deps.logger),
      accounts_reconciler_(
          {.indexes = {{std::string(kFollowersIndexName), std::string(kFollowersLabel)}}},
          common::IndexSource{
              .keys = [this]() { return deps_.organisation.Keys(kAccountKeyPrefix); },
              .place = [this](std::string_view key)
                  -> absl::StatusOr<std::optional<common::IndexPlacement>> {
                absl::StatusOr<common::KvEntry> entry = deps_.organisation.Get(key);
                if (!entry.ok()) return entry.status();
                return AccountPlacement(AccountFromEntry(*std::move(entry)), deps_.channels);
              }},
          deps.index, deps.repairs, deps.logger),
      runner_(options_.tick, common::PeriodicRunner::FirstRun::kAtOnce, [this] { Tick(); }) {}

EngagementCollector::~EngagementCollector() { Stop(); }

absl::Status EngagementCollector::Start() {
  common::ConsumerSpec spec;
  spec.stream = std::string(common::streams::kEvents);
  spec.durable = "publisher-engagement";  // shared: each post scheduled by one replica
  spec.filter_subject = std::string(common::events::kPostPublished.subject);
  // Posts published before the consumer existed come from the reconciliation.
  spec.deliver_all = false;
  spec.max_deliver = 0;  // a Redis outage must not drop a post from the schedule
  ASSIGN_OR_RETURN(published_sub_, deps_.bus.Subscribe(spec, [this](const common::Event& e) {
    return OnPublished(e);
  }));
  // A new account's followers are read at once, not at the next reconciliation.
  spec.durable = "publisher-followers";
  spec.filter_subject = std::string(common::events::kAccountCreated.subject);
  ASSIGN_OR_RETURN(accounts_sub_, deps_.bus.Subscribe(spec, [this](const common::Event& e) {
    return OnAccountCreated(e);
  }));
  runner_.Start();  // no thread without a tick
  return absl::OkStatus();
}

void EngagementCollector::Stop() {
  runner_.Stop();
  published_sub_.reset();
  accounts_sub_.reset();
}

void EngagementCollector::Tick() {
  absl::StatusOr<EngagementTick> tick = RunOnce();
  if (!tick.ok()) {
    deps_.logger.Warn("engagement tick incomplete; the next one retries",
                      {{"error", std::string(tick.status().message())}});
  }
}

common::Disposition EngagementCollector::OnPublished(const common::Event& event) {
  v1::PostPublished published;
  if (!common::DecodeEvent(event, &published).ok()) return common::Disposition::kReject;
  std::optional<absl::Time> when =
      ReadablePublishTime(published.post(), options_.schedule.max_age() - absl::Nanoseconds(1),
                          deps_.channels, deps_.clock.Now());
  if (!when) return common::Disposition::kAck;
  const std::string id = PostIdFromName(published.post().name());
  absl::Status added =
      deps_.index.Add(kEngagementIndexName,
                      {{.member = id, .score = ScoreOf(options_.schedule.FirstReading(*when))}});
  return added.ok() ? common::Disposition::kAck : common::Disposition::kRetry;
}

absl::Status EngagementCollector::LoadDeletedLocked(absl::Time now) {
  // Forget posts past the schedule first: they are left out by age anyway.
  const double forget_before = ScoreOf(now - ReadingGrace(options_.schedule));
  while (true) {
    ASSIGN_OR_RETURN(std::vector<common::ScoredMember> old,
                     deps_.index.PopUpTo(kEngagementDeletedName, forget_before, 1000));
    if (old.size() < 1000) break;
  }
  deleted_.clear();
  for (size_t offset = 0;; offset += 1000) {
    ASSIGN_OR_RETURN(std::vector<common::ScoredMember> page,
                     deps_.index.RangeByScore(kEngagementDeletedName, -kInf, kInf, offset, 1000));
    for (common::ScoredMember& member : page) deleted_.insert(std::move(member.member));
    if (page.size() < 1000) return absl::OkStatus();
  }
}

common::Disposition EngagementCollector::OnAccountCreated(const common::Event& event) {
  v1::AccountCreated created;
  if (!common::DecodeEvent(event, &created).ok()) return common::Disposition::kReject;
  std::optional<std::string> key = AccountKeyOf(created.account().name());
  if (!key || !deps_.channels.Find(created.account().network()).ok())
    return common::Disposition::kAck;
  absl::Status added =
      deps_.index.Add(kFollowersIndexName, {{.member = *key, .score = ScoreOf(deps_.clock.Now())}});
  return added.ok() ? common::Disposition::kAck : common::Disposition::kRetry;
}

absl::StatusOr<common::ReconcileReport> EngagementCollector::Reconcile() {
  std::lock_guard lock(reconcile_mu_);
  RETURN_IF_ERROR(LoadDeletedLocked(deps_.clock.Now()));
  ASSIGN_OR_RETURN(common::ReconcileReport report, posts_reconciler_.Reconcile());
  ASSIGN_OR_RETURN(common::ReconcileReport accounts, accounts_reconciler_.Reconcile());
  for (const auto& [label, counts] : accounts.repairs) report.repairs[label] = counts;
  RETURN_IF_ERROR(deps_.index.SetMarker(kEngagementIndexMarker));
  last_reconcile_ = deps_.clock.Now();
  return report;
}

absl::StatusOr<EngagementTick> EngagementCollector::RunOnce() {
  EngagementTick tick;
  const absl::Time now = deps_.clock.Now();
  bool due = false;
  {
    std::lock_guard lock(reconcile_mu_);
    due = now - last_reconcile_ >= options_.reconcile_period;
  }
  ASSIGN_OR_RETURN(bool built, deps_.index.HasMarker(kEngagementIndexMarker));
  if (due || !built) {
    RETURN_IF_ERROR(Reconcile().status());
    tick.reconciled = true;
  }
  ASSIGN_OR_RETURN(std::vector<common::ScoredMember> posts,
                   deps_.index.PopUpTo(kEngagementIndexName, ScoreOf(now), options_.batch));
  for (const common::ScoredMember& member : posts) {
    switch (ReadPostEngagement(member.member, now)) {
      case ReadResult::kAnnounced:
        ++tick.posts_read;
        break;
      case ReadResult::kPutOff:
        ++tick.posts_put_off;
        break;
      case ReadResult::kFinished:
        ++tick.posts_finished;
        break;
    }
  }
  ASSIGN_OR_RETURN(std::vector<common::ScoredMember> accounts,
                   deps_.index.PopUpTo(kFollowersIndexName, ScoreOf(now), options_.batch));
  for (const common::ScoredMember& member : accounts) {
    if (ReadAccountFollowers(member.member, now) == ReadResult::kAnnounced) ++tick.followers_read;
  }
  if (absl::StatusOr<int64_t> size = deps_.index.Count(kEngagementIndexName, -kInf, kInf);
      size.ok()) {
    deps_.metrics.SetScheduledPosts(static_cast<double>(*size));
  }
  return tick;
}

void EngagementCollector::PutBack(std::string_view index, const std::string& member,
                                  absl::Time when) {
  if (absl::Status s = deps_.index.Add(index, {{.member = member, .score = ScoreOf(when)}});
      !s.ok()) {
    deps_.logger.Warn("engagement schedule not written; the reconciliation restores it",
                      {{"index", std::string(index)}, {"error", std::string(s.message())}});
  }
}

std::optional<absl::Time> EngagementCollector::AccountWait(const std::string& account,
                                                           absl::Time now) {
  std::lock_guard lock(budget_mu_);
  if (auto blocked = blocked_until_.find(account); blocked != blocked_until_.end()) {
    if (blocked->second > now) return blocked->second;
    blocked_until_.erase(blocked);
  }
  auto& [window_start, used] = budget_[account];
  if (now - window_start >= absl::Hours(1)) {
    window_start = now;
    used = 0;
  }
  if (used >= options_.account_reads_per_hour) return window_start + absl::Hours(1);
  ++used;
  return std::nullopt;
}

absl::Time EngagementCollector::AfterFailure(const std::string& account, const absl::Status& error,
                                             absl::Time now, std::string& result) {
  const ChannelFailure failure = ClassifyChannelError(error);
  switch (failure.kind) {
    case ChannelErrorKind::kRateLimited: {
      result = "rate_limited";
      const absl::Time until = now + std::max(failure.retry_after, absl::Seconds(1));
      std::lock_guard lock(budget_mu_);
      blocked_until_[account] = until;
      return until;
    }
    case ChannelErrorKind::kAuthExpired:
      result = "auth_expired";
      return now + options_.retry_after_failure;
    case ChannelErrorKind::kRetryable:
    case ChannelErrorKind::kPermanent:
    case ChannelErrorKind::kOutcomeUnknown:
      result = "failed";
      return now + options_.retry_after_failure;
  }
  result = "failed";
  return now + options_.retry_after_failure;
}

EngagementCollector::ReadResult EngagementCollector::ReadPostEngagement(const std::string& id,
                                                                        absl::Time now) {
  absl::StatusOr<PostRecord> record = publisher::ReadPost(deps_.posts, id);
  if (absl::IsNotFound(record.status())) return ReadResult::kFinished;
  if (!record.ok()) {
    PutBack(kEngagementIndexName, id, now + kAnnounceRetry);
    return ReadResult::kPutOff;
  }
  const v1::Post& post = record->post;
  std::optional<absl::Time> published =
      ReadablePublishTime(post, ReadingGrace(options_.schedule), deps_.channels, now);
  if (!published) return ReadResult::kFinished;
  const std::string network(NetworkLabel(post.network()));
  if (std::optional<absl::Time> wait = AccountWait(post.account(), now)) {
    deps_.metrics.EngagementRead(network, "over_budget");
    PutBack(kEngagementIndexName, id, *wait);
    return ReadResult::kPutOff;
  }
  Channel* channel = *deps_.channels.Find(post.network());
  absl::StatusOr<Engagement> figures = channel->ReadEngagement(post.account(), post.external_id());
  const bool deleted = absl::IsNotFound(figures.status());
  if (!figures.ok() && !deleted) {
    std::string result;
    const absl::Time retry = AfterFailure(post.account(), figures.status(), now, result);
    deps_.metrics.EngagementRead(network, result);
    PutBack(kEngagementIndexName, id, retry);
    return ReadResult::kPutOff;
  }
  const v1::EngagementObserved observed =
      Observation(post, now, deleted ? Engagement{} : *figures, deleted);
  absl::StatusOr<common::PublishAck> ack = deps_.bus.Publish(common::MakeCatalogueEvent(
      common::events::kEngagementObserved, observed, kPublisherSource, now,
      absl::StrCat("engagement.", id, ".", absl::ToUnixMillis(now))));
  if (!ack.ok()) {
    deps_.metrics.EngagementRead(network, "failed");
    PutBack(kEngagementIndexName, id, now + kAnnounceRetry);
    return ReadResult::kPutOff;
  }
  deps_.metrics.EngagementRead(network, deleted ? "deleted" : "observed");
  if (deleted) {
    // Kept out of the schedule from now on (a failure here costs one more
    // reading after the next reconciliation, nothing else).
    (void)deps_.index.Add(kEngagementDeletedName, {{.member = id, .score = ScoreOf(*published)}});
  }
  std::optional<absl::Time> next = options_.schedule.NextReading(*published, now);
  if (deleted || !next) return ReadResult::kFinished;
  PutBack(kEngagementIndexName, id, *next);
  return ReadResult::kAnnounced;
}

EngagementCollector::ReadResult EngagementCollector::ReadAccountFollowers(const std::string& key,
                                                                          absl::Time now) {
  absl::StatusOr<common::KvEntry> entry = deps_.organisation.Get(key);
  if (absl::IsNotFound(entry.status())) return ReadResult::kFinished;
  absl::StatusOr<v1::Account> account = entry.ok() ? AccountFromEntry(*std::move(entry))
                                                   : absl::StatusOr<v1::Account>(entry.status());
  if (!account.ok()) {
    PutBack(kFollowersIndexName, key, now + kAnnounceRetry);
    return ReadResult::kPutOff;
  }
  absl::StatusOr<Channel*> channel = deps_.channels.Find(account->network());
  if (!channel.ok()) return ReadResult::kFinished;
  const std::string network(NetworkLabel(account->network()));
  if (std::optional<absl::Time> wait = AccountWait(account->name(), now)) {
    deps_.metrics.FollowerRead(network, "over_budget");
    PutBack(kFollowersIndexName, key, *wait);
    return ReadResult::kPutOff;
  }
  absl::StatusOr<int64_t> followers = (*channel)->ReadFollowers(account->name());
  if (absl::IsUnimplemented(followers.status())) {
    deps_.metrics.FollowerRead(network, "unsupported");
    PutBack(kFollowersIndexName, key, now + options_.followers_interval);
    return ReadResult::kPutOff;
  }
  if (!followers.ok()) {
    std::string result;
    const absl::Time retry = AfterFailure(account->name(), followers.status(), now, result);
    deps_.metrics.FollowerRead(network, result);
    PutBack(kFollowersIndexName, key, retry);
    return ReadResult::kPutOff;
  }
  v1::FollowersObserved observed;
  observed.set_account(account->name());
  observed.set_network(account->network());
  SetTime(now, observed.mutable_observe_time());
  observed.set_followers(*followers);
  absl::StatusOr<common::PublishAck> ack = deps_.bus.Publish(common::MakeCatalogueEvent(
      common::events::kFollowersObserved, observed, kPublisherSource, now,
      absl::StrCat("followers.", key, ".", absl::ToUnixMillis(now))));
  if (!ack.ok()) {
    deps_.metrics.FollowerRead(network, "failed");
    PutBack(kFollowersIndexName, key, now + kAnnounceRetry);
    return ReadResult::kPutOff;
  }
  deps_.metrics.FollowerRead(network, "observed");
  PutBack(kFollowersIndexName, key, now + options_.followers_interval);
  return ReadResult::kAnnounced;
}

}  // namespace carecast::publisher
