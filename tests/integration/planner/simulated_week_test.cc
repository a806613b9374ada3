// The planning half over simulated time, on a real nats-server (JetStream)
// and redis-server: a FakeClock steps through a week of 20 spokes x 3 sandbox
// accounts with hourly cadences, blackouts, a 200-item evergreen library and
// content queued every day; then a smaller organisation rides out a three-day
// publisher outage. Publishing is done by the real publisher core (sandbox
// channel, the same FakeClock, its loop driven by RunCycle), which tells the
// planner a post went out the way production does: the post record in the
// shared posts bucket, which the recycle pass settles from. A third test pins
// the recycle-pass bug the week's empty-slot check found (evergreen.cc).
#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/topology.h"
#include "services/common/redis/redis_client.h"
#include "services/common/redis/redis_sorted_index.h"
#include "services/common/store/outbox.h"
#include "services/planner/engine_guard.h"
#include "services/planner/planner.h"
#include "services/planner/planner_metrics.h"
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/channels/sandbox_channel.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher.h"
#include "services/publisher/publisher_metrics.h"
#include "tests/support/local_servers.h"
#include "tests/support/local_servers_test.h"
#include "tests/support/shared_text_engine.h"

namespace carecast::planner {
namespace {

constexpr absl::Duration kDeadline = absl::Seconds(20);
// The cadence every account gets: hourly 07:00-22:00 local, posts at least 90
// minutes apart (so every other slot at most) and at most 5 a local day.
constexpr char kHourly[] =
    "FREQ=DAILY;BYHOUR=7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22;BYMINUTE=0";
constexpr absl::Duration kSpacing = absl::Minutes(90);
constexpr int kDailyCap = 5;
constexpr int kFirstHour = 7;
constexpr int kLastHour = 22;
// The simulation looks this long after each hour's slots: the publisher's
// lateness, so cooldowns anchored to publication differ from slot times.
constexpr absl::Duration kLookAfterSlot = absl::Minutes(5);

common::Caller MakeCaller(std::string subject, common::Role role) {
  common::Caller caller;
  caller.principal.subject = std::move(subject);
  caller.principal.roles = {role};
  caller.principal.spokes = {"*"};
  caller.role = role;
  return caller;
}

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

absl::Time T(const google::protobuf::Timestamp& ts) { return absl::FromUnixSeconds(ts.seconds()); }

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

// The season rule restated independently of evergreen_rules.cc: inclusive
// month-day windows that may wrap the new year; none means every day.
bool InSeasonOracle(const v1::EvergreenItem& item, absl::CivilDay day) {
  if (item.seasons().empty()) return true;
  const int d = day.month() * 100 + day.day();
  for (const v1::SeasonalWindow& w : item.seasons()) {
    const int start = w.start_month() * 100 + w.start_day();
    const int end = w.end_month() * 100 + w.end_day();
    if (start <= end ? (start <= d && d <= end) : (d >= start || d <= end)) return true;
  }
  return false;
}

struct AccountInfo {
  std::string name;  // spokes/{spoke}/accounts/{account}
  std::string spoke;
  absl::TimeZone zone;
};

struct BlackoutInfo {
  std::string spoke;  // empty: the whole organisation
  absl::Time start;
  absl::Time end;
};

// What the simulation needs from each planner call made by a person.
struct CallCount {
  int setup = 0;
  int week = 0;
  bool in_week = false;
  void Add() { ++(in_week ? week : setup); }
};

// The planner "process" and a publisher "process", each on its own connections.
class SimulatedWeekTest : public testing::LocalServersTest {
 protected:
  void SetUp() override {
    LocalServersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    common::NatsOptions options;
    options.url = nats_server_->url();
    options.name = "planner";
    auto conn = common::NatsConnection::Connect(options, logger_);
    ASSERT_TRUE(conn.ok()) << conn.status();
    nats_ = *std::move(conn);
    ASSERT_TRUE(common::EnsureStreams(*nats_, {}).ok());
    common::RedisOptions redis_options;
    redis_options.url = redis_server_->url();
    auto redis = common::RedisClient::Connect(redis_options, logger_);
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    index_ = std::make_unique<common::RedisSortedIndex>(*redis_, "carecast:");
    auto core = Planner::Create(options_, {.buckets = *nats_,
                                           .bus = *nats_,
                                           .index = *index_,
                                           .clock = clock_,
                                           .guard = guard_,
                                           .metrics = metrics_,
                                           .logger = logger_});
    ASSERT_TRUE(core.ok()) << core.status();
    planner_ = *std::move(core);
    auto posts = nats_->OpenBucket(common::BucketSpecFor(common::buckets::kPosts, {}));
    ASSERT_TRUE(posts.ok()) << posts.status();
    posts_ = *std::move(posts);
    sandbox_dir_ = nats_server_->dir() + "/sandbox";
  }

  void TearDown() override {
    publisher_.reset();
    LocalServersTest::TearDown();
  }

  // The publisher process: started (again) on its own connections; the
  // durable consumer and the index check at Start catch up on what it missed.
  struct PublisherProcess {
    common::CapturingLogger logger;
    prometheus::Registry registry;
    publisher::PublisherMetrics metrics{registry};
    std::unique_ptr<common::NatsConnection> nats;
    std::unique_ptr<common::KeyValueStore> posts, contents, control, outbox;
    std::unique_ptr<common::RedisClient> redis;
    std::unique_ptr<common::RedisSortedIndex> index;
    std::unique_ptr<publisher::SandboxChannel> sandbox;
    publisher::ChannelRegistry channels;
    std::unique_ptr<publisher::Publisher> core;
  };

  void StartPublisher() {
    auto p = std::make_unique<PublisherProcess>();
    common::NatsOptions options;
    options.url = nats_server_->url();
    options.name = "publisher";
    auto conn = common::NatsConnection::Connect(options, p->logger);
    ASSERT_TRUE(conn.ok()) << conn.status();
    p->nats = *std::move(conn);
    p->posts = *p->nats->OpenBucket(common::BucketSpecFor(common::buckets::kPosts, {}));
    p->contents = *p->nats->OpenBucket(common::BucketSpecFor(common::buckets::kContents, {}));
    p->control = *p->nats->OpenBucket(common::BucketSpecFor(common::buckets::kControl, {}));
    p->outbox = *p->nats->OpenBucket(common::BucketSpecFor(common::kOutboxBucket, {}));
    common::RedisOptions redis_options;
    redis_options.url = redis_server_->url();
    auto client = common::RedisClient::Connect(redis_options, p->logger);
    ASSERT_TRUE(client.ok()) << client.status();
    p->redis = *std::move(client);
    p->index = std::make_unique<common::RedisSortedIndex>(*p->redis, "carecast:");
    auto sandbox = publisher::SandboxChannel::Open(sandbox_dir_, "pub-1", clock_);
    ASSERT_TRUE(sandbox.ok()) << sandbox.status();
    p->sandbox = *std::move(sandbox);
    ASSERT_TRUE(p->channels.Register(v1::NETWORK_SANDBOX, *p->sandbox).ok());
    publisher::PublisherOptions po;
    po.publisher_id = "pub-1";
    po.run_loop = false;  // RunCycle, on the fake clock
    // Posts reach the index by their events (awaited in Dispatch); the
    // periodic whole-bucket passes are not what this test is about.
    po.index_reconcile_period = absl::Hours(24 * 365);
    po.due_sweep_period = absl::Hours(24 * 365);
    auto core = publisher::Publisher::Create(po, {.bus = *p->nats,
                                                  .posts = *p->posts,
                                                  .contents = *p->contents,
                                                  .control = *p->control,
                                                  .index = *p->index,
                                                  .channels = p->channels,
                                                  .clock = clock_,
                                                  .logger = p->logger,
                                                  .metrics = p->metrics,
                                                  .outbox = *p->outbox});
    ASSERT_TRUE(core.ok()) << core.status();
    p->core = *std::move(core);
    ASSERT_TRUE(p->core->Start().ok());
    publisher_ = std::move(p);
  }

  // Spokes with three sandbox accounts each, the cadence on every account.
  void MakeOrganisation(int spokes, const std::vector<std::string>& zones) {
    for (int s = 0; s < spokes; ++s) {
      const std::string spoke = absl::StrCat("spoke-", s);
      v1::CreateSpokeRequest create;
      create.set_spoke_id(spoke);
      create.mutable_spoke()->set_display_name(absl::StrCat("Spoke ", s));
      calls_.Add();
      ASSERT_TRUE(planner_->CreateSpoke(strategist_, create).ok());
      const std::string& zone = zones[static_cast<size_t>(s) % zones.size()];
      for (const char* id : {"main", "clinic", "events"}) {
        v1::CreateAccountRequest account;
        account.set_parent("spokes/" + spoke);
        account.set_account_id(id);
        account.mutable_account()->set_network(v1::NETWORK_SANDBOX);
        account.mutable_account()->set_handle(absl::StrCat("@", spoke, "-", id));
        account.mutable_account()->set_time_zone(zone);
        calls_.Add();
        ASSERT_TRUE(planner_->CreateAccount(strategist_, account).ok());
        const std::string name = absl::StrCat("spokes/", spoke, "/accounts/", id);
        v1::SetCadenceRequest cadence;
        cadence.mutable_cadence()->set_name(name + "/cadence");
        v1::CadenceSlot* slot = cadence.mutable_cadence()->add_slots();
        slot->set_rrule(kHourly);
        slot->set_start_local_time("2027-01-04T07:00:00");
        cadence.mutable_cadence()->mutable_min_spacing()->set_seconds(
            absl::ToInt64Seconds(kSpacing));
        cadence.mutable_cadence()->set_daily_cap(kDailyCap);
        calls_.Add();
        auto set = planner_->SetCadence(strategist_, cadence);
        ASSERT_TRUE(set.ok()) << set.status();
        accounts_.push_back({name, "spokes/" + spoke, Zone(zone)});
      }
    }
  }

  void Blackout(const std::string& spoke, absl::Time start, absl::Time end) {
    v1::CreateBlackoutRequest req;
    req.mutable_blackout()->set_spoke(spoke);
    *req.mutable_blackout()->mutable_start_time() = Ts(start);
    *req.mutable_blackout()->mutable_end_time() = Ts(end);
    req.mutable_blackout()->set_reason("Dark period");
    calls_.Add();
    auto made = planner_->CreateBlackout(strategist_, req);
    ASSERT_TRUE(made.ok()) << made.status();
    blackouts_.push_back({spoke, start, end});
  }

  // Created, submitted and approved (three calls by two people).
  v1::Content ApprovedContent(const std::string& text) {
    v1::CreateContentRequest create;
    create.mutable_content()->set_text(text);
    // Fixed ids, so item names (the last tie-break of ChooseItem) and with
    // them the whole simulation repeat from run to run; scrambled (a bijection
    // mod a prime), so that order is not the order the items were made in.
    constexpr int64_t kPrime = 100'003;
    create.set_content_id(absl::StrFormat("c%06d", (contents_made_++ * int64_t{7'919}) % kPrime));
    calls_.Add();
    auto created = planner_->CreateContent(writer_, create);
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return {};
    v1::SubmitContentRequest submit;
    submit.set_name(created->content().name());
    calls_.Add();
    EXPECT_TRUE(planner_->SubmitContent(writer_, submit).ok());
    v1::ApproveContentRequest approve;
    approve.set_name(created->content().name());
    approve.set_version(1);
    calls_.Add();
    auto approved = planner_->ApproveContent(reviewer_, approve);
    EXPECT_TRUE(approved.ok()) << approved.status();
    return approved.ok() ? approved->content() : v1::Content();
  }

  void CreateItem(v1::EvergreenItem item) {
    v1::CreateEvergreenItemRequest req;
    *req.mutable_item() = std::move(item);
    calls_.Add();
    auto made = planner_->CreateEvergreenItem(strategist_, req);
    ASSERT_TRUE(made.ok()) << made.status();
    items_[made->item().name()] = made->item();
  }

  // A person queues one new piece of content on every account of `spoke`.
  void QueueNewContent(const std::string& spoke, const std::string& text) {
    v1::Content content = ApprovedContent(text);
    v1::AddToQueueRequest req;
    req.set_content(content.name());
    for (const AccountInfo& a : accounts_) {
      if (a.spoke == spoke) req.add_accounts(a.name);
    }
    calls_.Add();
    auto queued = planner_->AddToQueue(publisher_caller_, req);
    ASSERT_TRUE(queued.ok()) << queued.status();
    for (const v1::QueuePlacement& placed : queued->placements()) {
      ASSERT_EQ(placed.code(), 0) << placed.account() << ": " << placed.message();
      awaiting_index_.insert(publisher::PostIdFromName(placed.post().name()));
    }
  }

  // What production runs every evergreen_period, as the planner's service caller.
  void RecyclePass() {
    auto made = planner_->RecycleEvergreen(service_, v1::RecycleEvergreenRequest());
    ASSERT_TRUE(made.ok()) << made.status();
    for (const v1::Post& p : made->posts()) {
      awaiting_index_.insert(publisher::PostIdFromName(p.name()));
    }
    pass_times_.push_back(clock_.Now());
  }

  // The publisher's dispatch at the current time: once the posts made since
  // the last dispatch are in its due index (their events consumed), cycles
  // until nothing due is left. Returns how many it published.
  int Dispatch() {
    PublisherProcess* p = publisher_.get();
    EXPECT_NE(p, nullptr);
    if (p == nullptr) return 0;
    const bool indexed = testing::PollUntil(
        [&] {
          auto members =
              p->index->RangeByScore(publisher::kDueIndexName, -1e18, 1e18, 0, 1'000'000);
          if (!members.ok()) return false;
          std::set<std::string> in;
          for (const common::ScoredMember& m : *members) in.insert(m.member);
          return std::all_of(awaiting_index_.begin(), awaiting_index_.end(),
                             [&](const std::string& id) { return in.contains(id); });
        },
        kDeadline);
    EXPECT_TRUE(indexed) << "the publisher did not index the new posts";
    awaiting_index_.clear();
    int published = 0;
    for (int round = 0; round < 100; ++round) {
      publisher::CycleStats stats = p->core->RunCycle();
      EXPECT_FALSE(stats.index_unavailable);
      published += stats.published;
      if (stats.examined == 0) break;
    }
    return published;
  }

  std::vector<v1::Post> AllPosts() {
    std::vector<v1::Post> out;
    absl::Status scanned = posts_->Scan("", [&](std::string_view, const common::KvEntry& entry) {
      absl::StatusOr<publisher::PostRecord> record = publisher::PostFromEntry(entry);
      if (!record.ok()) return record.status();
      out.push_back(std::move(record->post));
      return absl::OkStatus();
    });
    EXPECT_TRUE(scanned.ok()) << scanned;
    return out;
  }

  std::vector<publisher::SandboxCall> SandboxCalls() {
    auto calls = publisher::ReadSandboxCalls(sandbox_dir_);
    EXPECT_TRUE(calls.ok()) << calls.status();
    return calls.ok() ? *calls : std::vector<publisher::SandboxCall>{};
  }

  const AccountInfo& Account(const std::string& name) const {
    for (const AccountInfo& a : accounts_) {
      if (a.name == name) return a;
    }
    ADD_FAILURE() << "unknown account " << name;
    return accounts_.front();
  }

  bool BlackedOut(const std::string& spoke, absl::Time at) const {
    return std::any_of(blackouts_.begin(), blackouts_.end(), [&](const BlackoutInfo& b) {
      return (b.spoke.empty() || b.spoke == spoke) && b.start <= at && at < b.end;
    });
  }

  // Posts not cancelled, by account, earliest slot first.
  static std::map<std::string, std::vector<v1::Post>> ByAccount(
      const std::vector<v1::Post>& posts) {
    std::map<std::string, std::vector<v1::Post>> out;
    for (const v1::Post& p : posts) {
      if (p.state() != v1::POST_STATE_CANCELLED) out[p.account()].push_back(p);
    }
    for (auto& [account, list] : out) {
      std::sort(list.begin(), list.end(), [](const v1::Post& a, const v1::Post& b) {
        return T(a.publish_time()) < T(b.publish_time());
      });
    }
    return out;
  }

  // The cadence, read from the posts themselves: each on a slot (on the hour,
  // 07:00-22:00 local), one per slot, spaced, within the daily cap, never in
  // a blackout that applies to its spoke.
  void ExpectCadenceKept(const std::vector<v1::Post>& posts) {
    for (const auto& [account, list] : ByAccount(posts)) {
      const AccountInfo& info = Account(account);
      std::map<absl::CivilDay, int> per_day;
      for (size_t i = 0; i < list.size(); ++i) {
        const absl::Time at = T(list[i].publish_time());
        const absl::CivilSecond local = absl::ToCivilSecond(at, info.zone);
        EXPECT_TRUE(local.minute() == 0 && local.second() == 0 && local.hour() >= kFirstHour &&
                    local.hour() <= kLastHour)
            << list[i].name() << " at " << local << " is not a slot";
        ++per_day[absl::CivilDay(local)];
        EXPECT_FALSE(BlackedOut(info.spoke, at)) << list[i].name() << " in a blackout";
        if (i == 0) continue;
        const absl::Time before = T(list[i - 1].publish_time());
        EXPECT_NE(at, before) << "one slot, two posts: " << list[i - 1].name() << ", "
                              << list[i].name();
        EXPECT_GE(at - before, kSpacing) << list[i - 1].name() << ", " << list[i].name();
      }
      for (const auto& [day, n] : per_day) EXPECT_LE(n, kDailyCap) << account << " on " << day;
    }
  }

  // Publish calls the sandbox received, by post; each must have delivered.
  std::map<std::string, std::vector<publisher::SandboxCall>> CallsByPost() {
    std::map<std::string, std::vector<publisher::SandboxCall>> out;
    for (publisher::SandboxCall& call : SandboxCalls()) {
      EXPECT_EQ(call.result, "delivered") << call.post;
      EXPECT_FALSE(call.repeat) << call.post << " was sent twice";
      out[call.post].push_back(std::move(call));
    }
    return out;
  }

  // Every post due by `until` went out exactly once (one channel call) within
  // the late tolerance of its slot; none due later went out. Returns how many.
  int ExpectPublishedOnceOnTime(const std::vector<v1::Post>& posts, absl::Time until) {
    std::map<std::string, std::vector<publisher::SandboxCall>> calls = CallsByPost();
    int published = 0;
    for (const v1::Post& p : posts) {
      if (p.state() == v1::POST_STATE_CANCELLED) continue;
      const absl::Time slot = T(p.publish_time());
      if (slot > until) {
        EXPECT_EQ(p.state(), v1::POST_STATE_SCHEDULED) << p.name();
        EXPECT_FALSE(calls.contains(p.name())) << p.name() << " went out early";
        continue;
      }
      EXPECT_EQ(p.state(), v1::POST_STATE_PUBLISHED)
          << p.name() << " due " << slot << ": " << p.failure_reason();
      if (p.state() != v1::POST_STATE_PUBLISHED) continue;
      ++published;
      EXPECT_EQ(calls[p.name()].size(), 1u) << p.name();
      EXPECT_GE(T(p.published_time()), slot) << p.name();
      EXPECT_LE(T(p.published_time()), slot + options_.evergreen_late_tolerance) << p.name();
    }
    EXPECT_EQ(calls.size(), static_cast<size_t>(published)) << "calls for posts not published";
    return published;
  }

  // Each item's published recurrences per account, from the posts: on an
  // account the item names, in season (local day), before its review expiry,
  // within its repeat cap, each slot at least the cooldown after the previous
  // recurrence's actual publication. Returns how many were checked.
  int ExpectEvergreenRulesKept(const std::vector<v1::Post>& posts) {
    std::map<std::pair<std::string, std::string>, std::vector<v1::Post>> runs;
    for (const v1::Post& p : posts) {
      if (!p.evergreen_item().empty() && p.state() == v1::POST_STATE_PUBLISHED) {
        runs[{p.evergreen_item(), p.account()}].push_back(p);
      }
    }
    int checked = 0;
    for (auto& [key, list] : runs) {
      const auto found = items_.find(key.first);
      if (found == items_.end()) {
        ADD_FAILURE() << "a post of an unknown item " << key.first;
        continue;
      }
      const v1::EvergreenItem& item = found->second;
      const AccountInfo& info = Account(key.second);
      EXPECT_NE(std::find(item.accounts().begin(), item.accounts().end(), key.second),
                item.accounts().end())
          << key.first << " recycled on " << key.second;
      EXPECT_LE(list.size(), static_cast<size_t>(item.max_repeats())) << key.first;
      std::sort(list.begin(), list.end(), [](const v1::Post& a, const v1::Post& b) {
        return T(a.publish_time()) < T(b.publish_time());
      });
      const absl::Duration cooldown = absl::Seconds(item.cooldown().seconds());
      for (size_t i = 0; i < list.size(); ++i, ++checked) {
        const absl::Time slot = T(list[i].publish_time());
        EXPECT_TRUE(InSeasonOracle(item, absl::ToCivilDay(slot, info.zone)))
            << list[i].name() << " out of season";
        EXPECT_LT(slot, T(item.review_expire_time())) << list[i].name() << " after review expiry";
        if (i == 0) continue;
        EXPECT_GE(slot, T(list[i - 1].published_time()) + cooldown)
            << list[i].name() << " within the cooldown of " << list[i - 1].name();
      }
    }
    return checked;
  }

  // Whether `item` could take `slot` on the account at the recycle pass at
  // `pass`, from the account's posts: the item's state as that pass settled it.
  static bool EligibleAt(const v1::EvergreenItem& item, const AccountInfo& info,
                         const std::vector<v1::Post>& posts, absl::Time slot, absl::Time pass) {
    const absl::Time expiry = T(item.review_expire_time());
    if (expiry <= pass || slot >= expiry) return false;
    if (!InSeasonOracle(item, absl::ToCivilDay(slot, info.zone))) return false;
    int repeats = 0;
    absl::Time last = absl::InfinitePast();
    for (const v1::Post& p : posts) {
      if (p.evergreen_item() != item.name() || T(p.create_time()) > pass) continue;
      const bool published = p.state() == v1::POST_STATE_PUBLISHED && T(p.published_time()) <= pass;
      const bool ended = p.state() == v1::POST_STATE_FAILED && T(p.update_time()) <= pass;
      if (!published && !ended) return false;  // its recurrence was pending
      if (!published) continue;
      ++repeats;
      last = std::max(last, T(p.published_time()));
    }
    return repeats < item.max_repeats() && slot >= last + absl::Seconds(item.cooldown().seconds());
  }

  // Why a cadence slot is empty.
  enum class Empty { kUnreached, kBlackout, kNotFree, kNoEligibleItem };

  // What the design promises for a cadence slot left empty: at the last
  // recycle pass that reached it, it was not free (a blackout, or the spacing
  // or daily cap against the posts made by then), or no item naming the
  // account was eligible for it (a failure names the item that was).
  Empty ExpectEmptySlotExplained(const AccountInfo& info, const std::vector<v1::Post>& posts,
                                 absl::Time slot) {
    const absl::Duration lead = options_.min_lead_time + absl::Seconds(1);
    std::optional<absl::Time> pass;
    for (absl::Time p : pass_times_) {
      if (p + lead <= slot && slot < p + options_.evergreen_fill_ahead) pass = p;
    }
    if (!pass) return Empty::kUnreached;
    if (BlackedOut(info.spoke, slot)) return Empty::kBlackout;
    const absl::CivilDay day = absl::ToCivilDay(slot, info.zone);
    int same_day = 0;
    for (const v1::Post& p : posts) {
      if (T(p.create_time()) > *pass) continue;
      const absl::Time at = T(p.publish_time());
      if (absl::AbsDuration(at - slot) < kSpacing) return Empty::kNotFree;
      same_day += absl::ToCivilDay(at, info.zone) == day ? 1 : 0;
    }
    if (same_day >= kDailyCap) return Empty::kNotFree;
    for (const auto& [name, item] : items_) {
      if (std::find(item.accounts().begin(), item.accounts().end(), info.name) ==
          item.accounts().end()) {
        continue;
      }
      EXPECT_FALSE(EligibleAt(item, info, posts, slot, *pass))
          << info.name << " slot " << absl::ToCivilSecond(slot, info.zone) << " left empty by the "
          << "pass at " << *pass << " though " << name << " was eligible";
    }
    return Empty::kNoEligibleItem;
  }

  struct SlotTally {
    int slots = 0;
    int filled = 0;
    std::map<Empty, int> empty;
  };

  // Every cadence slot in [start, end) on every account: filled at most once
  // (ExpectCadenceKept) and, when empty, explained.
  SlotTally ExpectSlotsFilled(const std::vector<v1::Post>& posts, absl::Time start,
                              absl::Time end) {
    std::map<std::string, std::vector<v1::Post>> live = ByAccount(posts);
    SlotTally tally;
    for (const AccountInfo& info : accounts_) {
      const std::vector<v1::Post>& list = live[info.name];
      std::set<absl::Time> taken;
      for (const v1::Post& p : list) taken.insert(T(p.publish_time()));
      const absl::CivilDay last = absl::ToCivilDay(end, info.zone);
      for (absl::CivilDay day = absl::ToCivilDay(start, info.zone); day <= last; ++day) {
        for (int h = kFirstHour; h <= kLastHour; ++h) {
          const absl::Time slot = absl::FromCivil(
              absl::CivilSecond(day.year(), day.month(), day.day(), h, 0, 0), info.zone);
          if (slot < start || slot >= end) continue;
          ++tally.slots;
          if (taken.contains(slot)) {
            ++tally.filled;
            continue;
          }
          const Empty why = ExpectEmptySlotExplained(info, list, slot);
          ++tally.empty[why];
          // Only slots before the first pass are out of every pass's reach.
          if (why == Empty::kUnreached) {
            EXPECT_LT(slot, pass_times_.front() + options_.min_lead_time + absl::Seconds(1))
                << info.name << " " << slot << " was never looked at";
          }
        }
      }
    }
    return tally;
  }

  static std::string Describe(const SlotTally& t) {
    auto n = [&](Empty e) {
      const auto it = t.empty.find(e);
      return it == t.empty.end() ? 0 : it->second;
    };
    return absl::StrCat(t.slots, " cadence slots, ", t.filled,
                        " filled; empty: ", n(Empty::kNotFree), " by spacing or the daily cap, ",
                        n(Empty::kBlackout), " in blackouts, ", n(Empty::kNoEligibleItem),
                        " with no eligible item, ", n(Empty::kUnreached), " before the first pass");
  }

  common::CapturingLogger logger_;
  common::FakeClock clock_;
  prometheus::Registry registry_;
  PlannerMetrics metrics_{registry_};
  EngineGuard guard_{testing::SharedTextEngine()};
  PlannerOptions options_;
  std::unique_ptr<common::NatsConnection> nats_;
  std::unique_ptr<common::RedisClient> redis_;
  std::unique_ptr<common::RedisSortedIndex> index_;
  std::unique_ptr<Planner> planner_;
  std::unique_ptr<common::KeyValueStore> posts_;
  std::unique_ptr<PublisherProcess> publisher_;
  std::string sandbox_dir_;

  common::Caller strategist_ = MakeCaller("alice", common::Role::kStrategist);
  common::Caller writer_ = MakeCaller("wendy", common::Role::kContentDeveloper);
  common::Caller reviewer_ = MakeCaller("rita", common::Role::kComplianceReviewer);
  common::Caller publisher_caller_ = MakeCaller("paul", common::Role::kPublisher);
  common::Caller service_ = MakeCaller("carecast-planner", common::Role::kService);

  CallCount calls_;
  int64_t contents_made_ = 0;
  std::vector<AccountInfo> accounts_;
  std::vector<BlackoutInfo> blackouts_;
  std::map<std::string, v1::EvergreenItem> items_;  // by name, as created
  std::set<std::string> awaiting_index_;            // post ids made since the last dispatch
  std::vector<absl::Time> pass_times_;
};

// Monday 8 March 2027 00:00 UTC: the week holds the US change to summer time
// (Sunday 14 March), so Chicago and New York slots move an hour in UTC.
const absl::Time kMonday =
    absl::FromCivil(absl::CivilSecond(2027, 3, 8, 0, 0, 0), absl::UTCTimeZone());
constexpr int kHoursPerDay = 24;

class SimulatedWeek : public SimulatedWeekTest {
 protected:
  // 20 spokes x 3 accounts in four zones, an organisation-wide blackout and
  // one per spoke, and 200 items: each for the 12 accounts of a group of four
  // spokes (four zones), 40 per group, so the library runs short at times; cooldowns
  // of 4 to 7 days, half of them used once only, some seasonal (ending or
  // starting mid-week, or out of season all week), some whose medical review
  // expires mid-week.
  void SetUpOrganisation() {
    clock_.Set(kMonday - absl::Hours(1));
    const std::vector<std::string> zones = {"America/Chicago", "Europe/London", "Australia/Sydney",
                                            "America/New_York"};
    ASSERT_NO_FATAL_FAILURE(MakeOrganisation(kSpokes, zones));
    ASSERT_NO_FATAL_FAILURE(Blackout("", kMonday + absl::Hours(2 * kHoursPerDay + 13),
                                     kMonday + absl::Hours(2 * kHoursPerDay + 16)));
    for (int s = 0; s < kSpokes; ++s) {
      const absl::Time start = kMonday + absl::Hours((s % 7) * kHoursPerDay + 8 + s % 6);
      ASSERT_NO_FATAL_FAILURE(
          Blackout(absl::StrCat("spokes/spoke-", s), start, start + absl::Hours(4)));
    }
    for (int i = 0; i < kItems; ++i) {
      const int group = i % (kSpokes / 4);  // spokes 4 * group to 4 * group + 3
      const int kind = i / (kSpokes / 4);   // 0-39: the same mix for every group
      v1::EvergreenItem item;
      item.set_content(
          ApprovedContent(absl::StrCat("Everyday health tip ", i, ": drink water, walk, sleep."))
              .name());
      for (const AccountInfo& a : accounts_) {
        const int spoke = std::stoi(a.spoke.substr(std::string("spokes/spoke-").size()));
        if (spoke / 4 == group) item.add_accounts(a.name);
      }
      item.mutable_cooldown()->set_seconds(
          absl::ToInt64Seconds(absl::Hours(kHoursPerDay * (4 + kind % 4))));
      item.set_max_repeats(kind % 2 == 0 ? 1 : 10);
      auto season = [&](int sm, int sd, int em, int ed) {
        v1::SeasonalWindow* w = item.add_seasons();
        w->set_start_month(sm);
        w->set_start_day(sd);
        w->set_end_month(em);
        w->set_end_day(ed);
      };
      if (kind % 10 == 7) season(3, 10, 3, 12);  // Wednesday to Friday
      if (kind % 10 == 8) season(11, 1, 3, 9);   // the winter, ending Tuesday
      if (kind % 20 == 9) season(6, 1, 8, 31);   // not this week
      const bool expires = kind % 5 == 3;
      *item.mutable_review_expire_time() = Ts(kMonday + absl::Hours(expires ? 84 : 24 * 180));
      item.set_on_review_expiry(v1::REVIEW_EXPIRY_ACTION_REVIEW);
      ASSERT_NO_FATAL_FAILURE(CreateItem(item));
    }
  }

  // Hour by hour, five minutes past: the publisher dispatches what is due,
  // the recycle pass runs, and at 06:05 UTC one new piece of content is
  // written, approved and queued for each spoke of the day's half (even
  // spokes one day, odd the next). Returns the posts the publisher reported published.
  int RunWeek() {
    calls_.in_week = true;
    int published = 0;
    for (int hour = 0; hour < 7 * kHoursPerDay; ++hour) {
      clock_.Set(kMonday + absl::Hours(hour) + kLookAfterSlot);
      published += Dispatch();
      if (hour % kPassEveryHours == 0) RecyclePass();
      if (hour % kHoursPerDay == 6) {
        const int day = hour / kHoursPerDay;
        for (int s = day % 2; s < kSpokes; s += 2) {
          QueueNewContent(absl::StrCat("spokes/spoke-", s),
                          absl::StrCat("News from spoke ", s, ", day ", day, "."));
        }
      }
      if (HasFailure()) break;
    }
    calls_.in_week = false;
    return published;
  }

  // Production runs the pass every evergreen_period (5 minutes); one every
  // 12 simulated hours still reaches every slot (it fills 24 hours ahead) and
  // keeps the test fast. An item freed by a publication waits for the next
  // pass, which the empty-slot check accounts for (it knows the pass times).
  static constexpr int kPassEveryHours = 12;
  static constexpr int kSpokes = 20;
  static constexpr int kItems = 200;
};

TEST_F(SimulatedWeek, EverySlotIsFilledOnceAndNoRuleIsBroken) {
  const auto started = absl::Now();
  ASSERT_NO_FATAL_FAILURE(SetUpOrganisation());
  ASSERT_NO_FATAL_FAILURE(StartPublisher());
  const int reported = RunWeek();
  ASSERT_FALSE(HasFailure());
  const absl::Time end = kMonday + absl::Hours(7 * kHoursPerDay);

  const std::vector<v1::Post> posts = AllPosts();
  ExpectCadenceKept(posts);
  const int published = ExpectPublishedOnceOnTime(posts, clock_.Now());
  EXPECT_EQ(published, reported);
  const int recycled = ExpectEvergreenRulesKept(posts);
  const SlotTally tally = ExpectSlotsFilled(posts, kMonday, end);
  // Not vacuous: the library and the queue both filled slots.
  EXPECT_GT(recycled, 0);
  EXPECT_GT(published - recycled, 0);
  std::cout << "simulated week: " << kSpokes << " spokes x 3 accounts, " << Describe(tally) << ", "
            << published << " posts published (" << recycled << " recycled), " << calls_.week
            << " calls made by people during the week (" << calls_.setup << " more at setup), "
            << pass_times_.size() << " recycle passes; took " << absl::Now() - started << "\n";
}

// What the week found (see ExpectEmptySlotExplained): a slot no item may take
// must not use up the spacing and daily cap of its day. One London account,
// one item whose cooldown ends Tuesday 15:05: Tuesday's 07:00-15:00 slots are
// free but not for it, and it must get 16:00, not be pushed to another day.
TEST_F(SimulatedWeekTest, ASlotNoItemMayTakeDoesNotHideTheLaterSlotsOfItsDay) {
  clock_.Set(kMonday - absl::Hours(1));
  ASSERT_NO_FATAL_FAILURE(MakeOrganisation(1, {"Europe/London"}));
  const std::string account = accounts_.front().name;
  v1::EvergreenItem item;
  item.set_content(ApprovedContent("Know the signs of a stroke: act FAST.").name());
  item.add_accounts(account);
  item.mutable_cooldown()->set_seconds(absl::ToInt64Seconds(absl::Hours(32)));
  item.set_max_repeats(10);
  *item.mutable_review_expire_time() = Ts(kMonday + absl::Hours(24 * 180));
  item.set_on_review_expiry(v1::REVIEW_EXPIRY_ACTION_REVIEW);
  ASSERT_NO_FATAL_FAILURE(CreateItem(item));
  ASSERT_NO_FATAL_FAILURE(StartPublisher());

  // Monday 07:00, published 07:05: the cooldown runs to Tuesday 15:05.
  clock_.Set(kMonday + kLookAfterSlot);
  ASSERT_NO_FATAL_FAILURE(RecyclePass());
  clock_.Set(kMonday + absl::Hours(7) + kLookAfterSlot);
  ASSERT_EQ(Dispatch(), 1);
  // Tuesday 06:05: the pass settles the publication and reaches Tuesday.
  clock_.Set(kMonday + absl::Hours(24 + 6) + kLookAfterSlot);
  auto made = planner_->RecycleEvergreen(service_, v1::RecycleEvergreenRequest());
  ASSERT_TRUE(made.ok()) << made.status();
  ASSERT_EQ(made->posts_size(), 1) << "the item was eligible for Tuesday 16:00-22:00";
  EXPECT_EQ(T(made->posts(0).publish_time()), kMonday + absl::Hours(24 + 16));
}

// Two spokes (Chicago, London), 24 items with weekly cooldowns on all six
// accounts (few enough that the outage uses them all up, and that items
// published on Monday are needed again a week later). Publishers are down for
// 72 hours, Tuesday 09:05 to Friday 09:05 UTC, while the recycle pass keeps
// running; the simulation ends the next Wednesday.
class PublisherOutage : public SimulatedWeekTest {
 protected:
  void SetUpOrganisation() {
    clock_.Set(kMonday - absl::Hours(1));
    ASSERT_NO_FATAL_FAILURE(MakeOrganisation(2, {"America/Chicago", "Europe/London"}));
    for (int i = 0; i < kItems; ++i) {
      v1::EvergreenItem item;
      item.set_content(
          ApprovedContent(absl::StrCat("Weekly reminder ", i, ": book a check-up.")).name());
      for (const AccountInfo& a : accounts_) item.add_accounts(a.name);
      item.mutable_cooldown()->set_seconds(absl::ToInt64Seconds(kCooldown));
      item.set_max_repeats(5);
      *item.mutable_review_expire_time() = Ts(kMonday + absl::Hours(24 * 180));
      item.set_on_review_expiry(v1::REVIEW_EXPIRY_ACTION_REVIEW);
      ASSERT_NO_FATAL_FAILURE(CreateItem(item));
    }
  }

  // The sandbox calls made at `at`, by account.
  std::map<std::string, int> CallsAt(absl::Time at,
                                     const std::map<std::string, v1::Post>& by_name) {
    std::map<std::string, int> out;
    for (const publisher::SandboxCall& call : SandboxCalls()) {
      if (call.time != at) continue;
      const auto post = by_name.find(call.post);
      EXPECT_NE(post, by_name.end()) << call.post;
      if (post != by_name.end()) ++out[post->second.account()];
    }
    return out;
  }

  static constexpr int kItems = 24;
  static constexpr absl::Duration kCooldown = absl::Hours(24 * 7);
  static constexpr int kDownFromHour = 33;
  static constexpr int kBackAtHour = 105;
  static constexpr int kEndHour = 216;
};

TEST_F(PublisherOutage, RecycledPostsDoNotBurstAndCooldownsCountFromPublication) {
  const auto started = absl::Now();
  ASSERT_NO_FATAL_FAILURE(SetUpOrganisation());
  ASSERT_NO_FATAL_FAILURE(StartPublisher());
  const absl::Time back = kMonday + absl::Hours(kBackAtHour) + kLookAfterSlot;
  int published_on_return = 0;
  for (int hour = 0; hour < kEndHour && !HasFailure(); ++hour) {
    clock_.Set(kMonday + absl::Hours(hour) + kLookAfterSlot);
    if (hour == kDownFromHour) publisher_.reset();
    if (hour == kBackAtHour) {
      ASSERT_NO_FATAL_FAILURE(StartPublisher());
    }
    if (publisher_ != nullptr) {
      const int published = Dispatch();
      if (hour == kBackAtHour) published_on_return = published;
    }
    // Every other hour (production: every 5 minutes), and right after the return.
    if (hour % 2 == 0 || hour == kBackAtHour) RecyclePass();
  }
  ASSERT_FALSE(HasFailure());
  const std::vector<v1::Post> posts = AllPosts();
  std::map<std::string, v1::Post> by_name;
  for (const v1::Post& p : posts) by_name[p.name()] = p;
  ExpectCadenceKept(posts);
  const SlotTally tally = ExpectSlotsFilled(posts, kMonday, kMonday + absl::Hours(kEndHour));

  // On return, at most one post per account goes out: the one whose slot is
  // within the late tolerance; the recurrences that missed theirs fail.
  const absl::Duration tolerance = options_.evergreen_late_tolerance;
  std::map<std::string, int> burst = CallsAt(back, by_name);
  for (const auto& [account, n] : burst) EXPECT_LE(n, 1) << account << " got a burst";
  int due_on_return = 0;
  for (const v1::Post& p : posts) {
    const absl::Time slot = T(p.publish_time());
    due_on_return += slot >= back - tolerance && slot <= back ? 1 : 0;
  }
  EXPECT_GT(due_on_return, 0) << "no recurrence was still within its tolerance on return";
  EXPECT_EQ(published_on_return, due_on_return);
  std::map<std::string, std::vector<publisher::SandboxCall>> calls = CallsByPost();
  int missed = 0;
  for (const v1::Post& p : posts) {
    const absl::Time slot = T(p.publish_time());
    if (slot > clock_.Now()) continue;
    if (slot < back - tolerance && slot >= kMonday + absl::Hours(kDownFromHour)) {
      ++missed;
      EXPECT_EQ(p.state(), v1::POST_STATE_FAILED) << p.name() << " missed its slot in the outage";
      EXPECT_NE(p.failure_reason().find("not published late"), std::string::npos) << p.name();
      EXPECT_FALSE(calls.contains(p.name())) << p.name() << " was published late";
      continue;
    }
    EXPECT_EQ(p.state(), v1::POST_STATE_PUBLISHED) << p.name() << ": " << p.failure_reason();
    EXPECT_EQ(calls[p.name()].size(), 1u) << p.name();
    EXPECT_LE(T(p.published_time()) - slot, tolerance) << p.name() << " published late";
  }
  EXPECT_GT(missed, 0) << "the outage made no recurrence miss its slot";

  // The pass kept running but piled nothing up: while nothing was published,
  // an item had at most one recurrence per account.
  std::map<std::pair<std::string, std::string>, int> made_in_outage;
  for (const v1::Post& p : posts) {
    const absl::Time made = T(p.create_time());
    if (made >= kMonday + absl::Hours(kDownFromHour) && made < back) {
      const int n = ++made_in_outage[std::make_pair(p.evergreen_item(), p.account())];
      EXPECT_EQ(n, 1) << p.evergreen_item() << " recurred twice on " << p.account()
                      << " in the outage";
    }
  }

  // Cooldowns count from the actual publication: from the posts, and as the
  // planner holds them (anchor and repeats of every item on every account).
  const int recycled = ExpectEvergreenRulesKept(posts);
  int came_round = 0;
  for (const auto& [name, created] : items_) {
    v1::GetEvergreenItemRequest get;
    get.set_name(name);
    auto item = planner_->GetEvergreenItem(strategist_, get);
    ASSERT_TRUE(item.ok()) << item.status();
    for (const AccountInfo& a : accounts_) {
      absl::Time last = absl::InfinitePast();
      int repeats = 0;
      for (const v1::Post& p : posts) {
        if (p.evergreen_item() != name || p.account() != a.name ||
            p.state() != v1::POST_STATE_PUBLISHED || T(p.published_time()) > pass_times_.back()) {
          continue;
        }
        ++repeats;
        last = std::max(last, T(p.published_time()));
      }
      came_round += repeats > 1 ? 1 : 0;
      const auto state = item->item().account_states().find(a.name);
      const int held = state == item->item().account_states().end() ? 0 : state->second.repeats();
      EXPECT_EQ(held, repeats) << name << " on " << a.name;
      if (repeats > 0 && state != item->item().account_states().end()) {
        EXPECT_EQ(T(state->second.last_publish_time()), last) << name << " on " << a.name;
      }
    }
  }
  EXPECT_GT(came_round, 0) << "no item came round after its weekly cooldown";
  std::cout << "publisher outage: 2 spokes x 3 accounts, " << recycled
            << " recycled posts published, " << missed
            << " missed their slot in the outage and failed, " << published_on_return
            << " published on return; " << Describe(tally) << "; took " << absl::Now() - started
            << "\n";
}

}  // namespace
}  // namespace carecast::planner
