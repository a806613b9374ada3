#include "bench/metrics/event_workload.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/metrics/figure_labels.h"

namespace carecast::bench {
namespace {

namespace events = common::events;
using metrics::ToProto;

constexpr v1::Network kNetworks[] = {
    v1::NETWORK_SANDBOX,  v1::NETWORK_X,         v1::NETWORK_FACEBOOK,
    v1::NETWORK_LINKEDIN, v1::NETWORK_INSTAGRAM, v1::NETWORK_MASTODON,
    v1::NETWORK_BLUESKY,  v1::NETWORK_WORDPRESS, v1::NETWORK_WEBHOOK};
constexpr int kNetworkCount = sizeof(kNetworks) / sizeof(kNetworks[0]);
const absl::Time kStart = absl::FromUnixSeconds(1'790'000'000);
const absl::Duration kSpan = absl::Hours(24 * 30);

int64_t Reported(int64_t figure) { return figure < 0 ? 0 : figure; }

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A 32-hex-digit id like the services' NewId(), fixed by (salt, i).
std::string HexId(uint64_t salt, int64_t i) {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx",
                static_cast<unsigned long long>(Mix(salt * 1'000'003 + static_cast<uint64_t>(i))),
                static_cast<unsigned long long>(Mix(~salt ^ static_cast<uint64_t>(i))));
  return buf;
}

std::string Millis(absl::Time t) { return absl::StrCat(absl::ToUnixMillis(t)); }

// Builds the stream; one method per kind of fact.
class Generator {
 public:
  explicit Generator(const WorkloadOptions& options) : options_(options), rng_(options.seed) {}

  Workload Run();

 private:
  // `id` as the producing service mints it (e.g. "post.{id}.v1.published").
  template <class Payload>
  void Emit(const common::EventDef<Payload>& kind, const Payload& payload, absl::Time at,
            const std::string& id) {
    out_.events.push_back(common::MakeCatalogueEvent(kind, payload, "/carecast/bench", at, id));
    ++out_.expected.by_kind[std::string(kind.subject)];
  }
  int Uniform(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::string SpokeId(int spoke) const { return absl::StrCat("s", spoke); }
  std::string Account(int spoke, v1::Network network) const {
    return absl::StrCat("spokes/", SpokeId(spoke), "/accounts/", metrics::NetworkLabel(network));
  }
  void Objectives();
  void Post(int64_t i, absl::Time at);
  void Readings(const v1::Post& post, int spoke, absl::Time published);
  void Mention(int64_t i, absl::Time at);
  void Followers(int64_t i, absl::Time at);

  const WorkloadOptions options_;
  std::mt19937 rng_;
  Workload out_;
  std::map<std::string, int64_t> latest_followers_;  // by account
};

void Generator::Objectives() {
  const absl::Time defined = kStart - absl::Hours(1);
  auto add = [&](const std::string& id, v1::Kpi kpi, double target, const std::string& spoke,
                 const std::string& campaign) {
    v1::ObjectiveCreated m;
    v1::Objective& o = *m.mutable_objective();
    o.set_name(absl::StrCat("objectives/", id));
    o.set_kpi(kpi);
    o.set_target(target);
    o.set_spoke(spoke);
    o.set_campaign(campaign);
    if (id != "all-posts") {
      *o.mutable_start_time() = ToProto(kStart);
      *o.mutable_end_time() = ToProto(kStart + kSpan);
    }
    m.set_actor("strategist@example.org");
    Emit(events::kObjectiveCreated, m, defined, absl::StrCat("objective.", id, ".created"));
  };
  add("all-posts", v1::KPI_POSTS_PUBLISHED, 1000, "", "");
  for (int c = 0; c < 6; ++c)
    add(absl::StrCat("campaign-", c, "-reach"), v1::KPI_REACH, 1e6, "",
        absl::StrCat("campaigns/c", c));
  for (int s = 0; s < 4; ++s) {
    add(absl::StrCat("spoke-", s, "-posts"), v1::KPI_POSTS_PUBLISHED, 500, SpokeId(s), "");
    add(absl::StrCat("spoke-", s, "-clicks"), v1::KPI_LINK_CLICKS, 5000, SpokeId(s), "");
  }
  add("positive-mentions", v1::KPI_POSITIVE_MENTION_RATIO, 0.6, "", "");
  add("negative-mentions", v1::KPI_NEGATIVE_MENTION_RATIO, 0.1, "", "");
  add("inbox-closed", v1::KPI_INBOX_ITEMS_CLOSED, 10000, "", "");
  add("first-response", v1::KPI_INBOX_FIRST_RESPONSE_SECONDS, 3600, "", "");
  add("engagement-rate", v1::KPI_ENGAGEMENT_RATE, 0.05, "", "");
  add("follower-growth", v1::KPI_FOLLOWER_GROWTH, 2000, "", "");
}

void Generator::Post(int64_t i, absl::Time at) {
  const v1::Network network = kNetworks[Uniform(kNetworkCount)];
  const int spoke = Uniform(options_.spokes);
  const int campaign = Uniform(options_.campaigns + 2);  // the last two: no campaign
  v1::Post post;
  const std::string id = HexId(1, i);
  post.set_name(absl::StrCat("posts/", id));
  post.set_content(absl::StrCat("contents/", HexId(2, i / 3)));
  post.set_account(Account(spoke, network));
  post.set_network(network);
  if (campaign < options_.campaigns) post.set_campaign(absl::StrCat("campaigns/c", campaign));
  post.set_text("Flu clinics are open this weekend at every spoke; bring your card and a friend.");
  post.set_content_version(1);
  *post.mutable_publish_time() = ToProto(at);
  *post.mutable_update_time() = ToProto(at);
  ExpectedFigures& x = out_.expected;
  auto fail = [&](v1::PostState state, absl::Time when) {
    v1::PostFailed m;
    *m.mutable_post() = post;
    m.mutable_post()->set_state(state);
    *m.mutable_post()->mutable_update_time() = ToProto(when);
    m.set_publisher_id("publisher-0");
    m.set_reason("channel refused the request");
    Emit(events::kPostFailed, m, when,
         absl::StrCat("post.", id, ".v1.", metrics::PostStateLabel(state), ".", Millis(when)));
    ++x.failed[{network, state}];
  };
  const int outcome = Uniform(100);
  if (outcome >= 95) return fail(v1::POST_STATE_FAILED, at);
  if (outcome >= 90) {
    fail(v1::POST_STATE_NEEDS_HUMAN, at);
    ++x.needing_human[network];
    return;
  }
  absl::Time published = at;
  if (outcome >= 85) {
    fail(v1::POST_STATE_FAILED, at);
    published = at + absl::Minutes(10);  // the retry went through
  }
  v1::PostPublished m;
  *m.mutable_post() = post;
  m.mutable_post()->set_state(v1::POST_STATE_PUBLISHED);
  m.mutable_post()->set_external_id(absl::StrCat("1790", i));
  *m.mutable_post()->mutable_published_time() = ToProto(published);
  m.set_publisher_id("publisher-0");
  Emit(events::kPostPublished, m, published, absl::StrCat("post.", id, ".v1.published"));
  ++x.published[network];
  ++x.all_posts_objective;
  Readings(m.post(), spoke, published);
}

void Generator::Readings(const v1::Post& post, int spoke, absl::Time published) {
  const bool reports_impressions = post.network() != v1::NETWORK_MASTODON;
  const bool reports_clicks =
      post.network() == v1::NETWORK_X || post.network() == v1::NETWORK_LINKEDIN;
  v1::EngagementObserved m;
  m.set_post(post.name());
  m.set_account(post.account());
  m.set_network(post.network());
  m.set_campaign(post.campaign());
  m.set_content(post.content());
  m.set_external_id(post.external_id());
  *m.mutable_published_time() = ToProto(published);
  const int64_t base = 50 + Uniform(500);
  const std::string id = post.name().substr(6);
  absl::Time at = published;
  for (int r = 0; r < options_.readings_per_post; ++r) {
    at += absl::Hours(r == 0 ? 1 : 24 * r);
    const int64_t k = r + 1;
    *m.mutable_observe_time() = ToProto(at);
    m.set_impressions(reports_impressions ? base * k * 10 : -1);
    m.set_likes(base * k / 10);
    m.set_shares(base * k / 40);
    m.set_replies(base * k / 60);
    m.set_clicks(reports_clicks ? base * k / 20 : -1);
    Emit(events::kEngagementObserved, m, at, absl::StrCat("engagement.", id, ".", Millis(at)));
  }
  // The collector read the same figures again (nothing moved since).
  const absl::Time again = at + absl::Hours(24);
  Emit(events::kEngagementObserved, m, again, absl::StrCat("engagement.", id, ".", Millis(again)));
  const std::pair<v1::Network, std::string> place{post.network(), SpokeId(spoke)};
  ExpectedFigures& x = out_.expected;
  x.impressions[place] += Reported(m.impressions());
  x.interactions[place] +=
      Reported(m.likes()) + Reported(m.shares()) + Reported(m.replies()) + Reported(m.clicks());
  x.clicks[place] += Reported(m.clicks());
}

void Generator::Mention(int64_t i, absl::Time at) {
  static constexpr v1::Sentiment kMix[] = {v1::SENTIMENT_POSITIVE, v1::SENTIMENT_POSITIVE,
                                           v1::SENTIMENT_NEUTRAL, v1::SENTIMENT_NEGATIVE};
  const v1::Network network = kNetworks[Uniform(kNetworkCount)];
  const int spoke = Uniform(options_.spokes);
  const v1::Sentiment sentiment = kMix[Uniform(4)];
  v1::MentionClassified m;
  v1::Mention& mention = *m.mutable_mention();
  const std::string id = HexId(3, i);
  mention.set_name(absl::StrCat("mentions/", id));
  mention.set_network(network);
  mention.set_external_id(absl::StrCat("ext-m", i));
  mention.set_author_handle(absl::StrCat("@person", i % 5000));
  mention.set_text("Thanks to the team at the clinic, the wait was short and everyone was kind.");
  mention.set_account(Account(spoke, network));
  mention.mutable_classification()->set_sentiment(sentiment);
  mention.mutable_classification()->set_sentiment_score(sentiment == v1::SENTIMENT_NEGATIVE ? -0.6
                                                                                            : 0.7);
  *mention.mutable_create_time() = ToProto(at - absl::Minutes(2));
  *mention.mutable_receive_time() = ToProto(at);
  Emit(events::kMentionClassified, m, at, absl::StrCat("mention.", id, ".classified"));
  ++out_.expected.mentions[sentiment];
  if (i % 2 != 0) return;  // every other mention needs an answer
  v1::InboxItemChanged item;
  v1::InboxItem& inbox = *item.mutable_inbox_item();
  inbox.set_name(absl::StrCat("inboxItems/", id));
  inbox.set_mention(mention.name());
  inbox.set_state(v1::INBOX_ITEM_STATE_NEW);
  inbox.set_network(network);
  inbox.set_spoke(SpokeId(spoke));
  inbox.set_author_handle(mention.author_handle());
  inbox.set_text(mention.text());
  const absl::Time created = at + absl::Minutes(1);
  *inbox.mutable_create_time() = ToProto(created);
  item.set_actor("listener");
  Emit(events::kInboxCreated, item, created, absl::StrCat("inbox.", id, ".created"));
  if (Uniform(10) >= 7) {
    ++out_.expected.open_items;
    return;
  }
  const absl::Time closed = created + absl::Minutes(5 + Uniform(2 * 24 * 60));
  inbox.set_state(v1::INBOX_ITEM_STATE_RESOLVED);
  *inbox.mutable_close_time() = ToProto(closed);
  inbox.set_closed_by("agent@example.org");
  inbox.set_resolution("answered");
  item.set_actor("agent@example.org");
  Emit(events::kInboxClosed, item, closed, absl::StrCat("inbox.", id, ".closed"));
  ++out_.expected.closed_items;
}

void Generator::Followers(int64_t i, absl::Time at) {
  const int accounts = options_.spokes * kNetworkCount;
  const int a = static_cast<int>(i % accounts);
  const int spoke = a / kNetworkCount;
  const v1::Network network = kNetworks[a % kNetworkCount];
  v1::FollowersObserved m;
  m.set_account(Account(spoke, network));
  m.set_network(network);
  *m.mutable_observe_time() = ToProto(at);
  m.set_followers(1000 + a * 7 + i / accounts * 3);
  Emit(events::kFollowersObserved, m, at,
       absl::StrCat("followers.", SpokeId(spoke), ".", metrics::NetworkLabel(network), ".",
                    Millis(at)));
  latest_followers_[m.account()] = m.followers();
}

Workload Generator::Run() {
  Objectives();
  // Per 100 events: about 12 posts (each about 5 events with its readings), 20
  // mentions (with 10 inbox items created, 7 closed) and 5 follower counts.
  const int64_t posts = options_.events * 12 / 100;
  const int64_t mentions = options_.events * 20 / 100;
  const int64_t counts = options_.events * 5 / 100;
  for (int64_t i = 0; i < posts; ++i) Post(i, kStart + kSpan * (static_cast<double>(i) / posts));
  for (int64_t i = 0; i < mentions; ++i)
    Mention(i, kStart + kSpan * (static_cast<double>(i) / mentions));
  for (int64_t i = 0; i < counts; ++i)
    Followers(i, kStart + kSpan * (static_cast<double>(i) / counts));
  ExpectedFigures& x = out_.expected;
  for (int a = 0; a < options_.spokes * kNetworkCount; ++a) {
    const v1::Network network = kNetworks[a % kNetworkCount];
    const int spoke = a / kNetworkCount;
    auto it = latest_followers_.find(Account(spoke, network));
    if (it != latest_followers_.end()) x.followers[{network, SpokeId(spoke)}] += it->second;
  }
  // The stream holds them in the order they happened.
  std::stable_sort(out_.events.begin(), out_.events.end(),
                   [](const common::Event& a, const common::Event& b) { return a.time < b.time; });
  x.events = static_cast<int64_t>(out_.events.size());
  return std::move(out_);
}

}  // namespace

Workload MakeWorkload(const WorkloadOptions& options) { return Generator(options).Run(); }

}  // namespace carecast::bench
