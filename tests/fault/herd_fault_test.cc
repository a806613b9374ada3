// F7 of the fault matrix (docs/reliability.md): a herd. 500 posts fall due in
// the same second on one Mastodon account whose instance (the local Mastodon
// fake) allows 100 requests per 4 s window and answers 429 with its
// X-RateLimit-Reset beyond that. Two publisher processes share the account's
// budget (Redis). A user must see every post published exactly once (one
// create committed per post at the instance, no Idempotency-Key replay), none
// before its time, and the reset honoured: few 429s, not a storm of calls
// while the budget is spent.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "carecast/v1/planner_service.grpc.pb.h"

#include "tests/fault/fault_test.h"
#include "tests/support/fake_networks/mastodon_fake.h"

namespace carecast::testing {
namespace {

constexpr char kAccount[] = "spokes/st-marys/accounts/mastodon-main";
constexpr int kHerd = 500;
constexpr int64_t kRateLimit = 100;
constexpr absl::Duration kRateWindow = absl::Seconds(4);
constexpr int kPublishers = 2;
constexpr int kConcurrency = 8;  // CARECAST_PUBLISHER_DISPATCH_CONCURRENCY's default

MastodonFakeSettings HerdSettings() {
  MastodonFakeSettings settings;
  settings.rate_limit = kRateLimit;
  settings.rate_window = kRateWindow;
  return settings;
}

class HerdFaultTest : public FaultTest {
 protected:
  HerdFaultTest() : mastodon_(HerdSettings()) {}

  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    mastodon_.set_threads(2 * kPublishers * kConcurrency);
    ASSERT_TRUE(mastodon_.Start().ok());
    secrets_dir_ = std::filesystem::path(sandbox_dir()) / "channel-secrets";
    std::filesystem::create_directories(secrets_dir_);
    std::ofstream(std::filesystem::path(secrets_dir_) / "mastodon-main.json")
        << R"({"network": "mastodon", "account": ")" << kAccount
        << R"(", "access_token": "mastodon-token-1"})";
    sealing_key_ = std::filesystem::path(sandbox_dir()) / "token-sealing.key";
    std::ofstream(sealing_key_) << std::string(64, 'a') << "\n";
    auto planner = Start(kPlannerBinary, ChannelEnv());
    ASSERT_TRUE(planner.ok()) << planner.status();
    planner_ = *std::move(planner);
    stub_ = v1::PlannerService::NewStub(ChannelTo(planner_));
    ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
    ASSERT_TRUE(CreateAccountOn(*stub_, "mastodon-main", v1::NETWORK_MASTODON).ok());
  }
  void TearDown() override {
    mastodon_.Stop();
    FaultTest::TearDown();
  }

  Env ChannelEnv() const {
    return {{"CARECAST_CHANNEL_MASTODON_BASE_URL", mastodon_.base_url()},
            {"CARECAST_CHANNEL_SECRETS_DIR", secrets_dir_},
            {"CARECAST_CHANNEL_TOKEN_SEALING_KEY_FILE", sealing_key_}};
  }

  // Polls the planner until every post of `posts` has left SCHEDULED and
  // PUBLISHING (or `timeout` passes); the posts as last seen.
  std::map<std::string, v1::Post> WaitForAllEnded(const std::vector<std::string>& posts,
                                                  absl::Duration timeout) {
    std::map<std::string, v1::Post> last;
    const absl::Time deadline = absl::Now() + timeout;
    std::vector<std::string> open = posts;
    while (!open.empty() && absl::Now() < deadline) {
      std::vector<std::string> still;
      for (const std::string& name : open) {
        const v1::Post post =
            WaitForPostState(*stub_, name, v1::POST_STATE_UNSPECIFIED, absl::ZeroDuration());
        last[name] = post;
        if (post.state() == v1::POST_STATE_SCHEDULED || post.state() == v1::POST_STATE_PUBLISHING ||
            post.state() == v1::POST_STATE_UNSPECIFIED)
          still.push_back(name);
      }
      open = std::move(still);
      if (!open.empty()) absl::SleepFor(absl::Milliseconds(500));
    }
    return last;
  }

  MastodonFake mastodon_;
  std::string secrets_dir_;
  std::string sealing_key_;
  ServiceProcess planner_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

std::string Seconds(absl::Duration d) {
  return absl::FormatDuration(absl::Trunc(d, absl::Milliseconds(100)));
}

TEST_F(HerdFaultTest, FiveHundredPostsDueInOneSecondOnARateLimitedAccountGoOutOnceEach) {
  std::vector<ServiceProcess> publishers;
  for (int i = 1; i <= kPublishers; ++i) {
    Env env = ChannelEnv();
    env["CARECAST_PUBLISHER_ID"] = absl::StrCat("publisher-", i);
    auto publisher = Start(kPublisherBinary, env);
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publishers.push_back(*std::move(publisher));
  }
  // All due in the same second, far enough ahead to schedule them all first.
  const absl::Time due = absl::Now() + absl::Seconds(40);
  const absl::Time scheduling = absl::Now();
  const std::vector<std::string> posts =
      ScheduleBurst(*stub_, kHerd, due, absl::ZeroDuration(), "herd", kAccount);
  ASSERT_EQ(posts.size(), static_cast<size_t>(kHerd));
  ASSERT_LT(absl::Now(), due) << "scheduling took longer than the lead time";
  std::cout << "did: " << kPublishers << " publishers; scheduled " << kHerd
            << " posts on one Mastodon account, all due at the same instant, in "
            << Seconds(absl::Now() - scheduling) << "; the instance allows " << kRateLimit
            << " requests per " << absl::FormatDuration(kRateWindow) << "\n";

  const std::map<std::string, v1::Post> ended = WaitForAllEnded(posts, absl::Seconds(150));
  const absl::Time done = absl::Now();

  // What the instance committed, per post (the Idempotency-Key names it).
  std::map<std::string, int> creates;
  absl::Time first_create = absl::InfiniteFuture();
  absl::Time last_create = absl::InfinitePast();
  for (const FakePost& post : mastodon_.posts()) {
    ++creates[post.attributes.count("idempotency_key") ? post.attributes.at("idempotency_key")
                                                       : ""];
    first_create = std::min(first_create, post.create_time);
    last_create = std::max(last_create, post.create_time);
  }
  int published = 0;
  int visible = 0;
  int once = 0;
  for (const std::string& name : posts) {
    const v1::Post& post = ended.at(name);
    const std::string key =
        absl::StrCat(name.substr(name.find('/') + 1), ".v", post.content_version());
    const int n = creates.count(key) ? creates.at(key) : 0;
    if (n == 1) ++once;
    if (post.state() == v1::POST_STATE_PUBLISHED) {
      ++published;
      EXPECT_EQ(n, 1) << name << ": " << n << " creates at the instance";
    } else if (post.state() == v1::POST_STATE_NEEDS_HUMAN ||
               post.state() == v1::POST_STATE_FAILED) {
      ++visible;
      EXPECT_LE(n, 1) << name;
    } else {
      ADD_FAILURE() << name << " did not end: " << post.ShortDebugString();
    }
  }
  std::cout << "found: " << published << " of " << kHerd << " PUBLISHED, " << visible
            << " NEEDS_HUMAN or FAILED; " << once << " with exactly one create at the instance, "
            << mastodon_.creates_accepted() << " creates in all, " << mastodon_.idempotent_replays()
            << " Idempotency-Key replays (a second call)\n";
  EXPECT_EQ(published, kHerd);
  EXPECT_EQ(mastodon_.creates_accepted(), kHerd);
  EXPECT_EQ(mastodon_.idempotent_replays(), 0);

  // None before its time (the instance runs on this machine's clock).
  EXPECT_GE(first_create, due) << "a post was created before its time";
  // The reset honoured: a 429 can only meet the calls already in flight when the
  // budget ran out (each publisher's workers), once per window.
  const int64_t windows = absl::Ceil(last_create - first_create, kRateWindow) / kRateWindow + 1;
  const int64_t bound = windows * kPublishers * kConcurrency;
  std::cout << "found: the first create " << Seconds(first_create - due)
            << " after the due time, the last " << Seconds(last_create - due) << " after ("
            << windows << " windows; " << kHerd << " posts at " << kRateLimit << " per "
            << absl::FormatDuration(kRateWindow) << " need at least "
            << Seconds((kHerd / kRateLimit - 1) * kRateWindow) << "); all ended "
            << Seconds(done - due) << " after the due time\n";
  std::cout << "found: " << mastodon_.requests() << " requests at the instance, "
            << mastodon_.over_limit_requests() << " answered 429 (bound " << bound << ")\n";
  EXPECT_LE(mastodon_.over_limit_requests(), bound) << "a call storm while the budget was spent";
  // How often a post was claimed and found the budget spent (rescheduled to the reset).
  double waits = 0;
  for (const ServiceProcess& publisher : publishers) {
    waits += ScrapeSeries(publisher.http_port,
                          R"(carecast_publisher_rate_limited_total{network="mastodon"})")
                 .value_or(0);
  }
  std::cout << "found: " << waits << " times a claimed post found the budget spent and was "
            << "rescheduled to the reset (carecast_publisher_rate_limited_total)\n";
}

}  // namespace
}  // namespace carecast::testing
