#include "services/publisher/channels/x_channel.h"

#include <iterator>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <gtest/gtest.h>

#include "services/common/base/clock.h"
#include "services/common/http/curl_http_client.h"
#include "services/publisher/channels/in_memory_rate_limiter.h"
#include "tests/support/fake_networks/x_fake.h"
#include "tests/support/static_credential_source.h"

namespace carecast::publisher {
namespace {

using carecast::testing::FakeEngagement;
using carecast::testing::FakeFault;
using carecast::testing::FakePost;
using carecast::testing::XFake;
using carecast::testing::XFakeOptions;

constexpr char kAccount[] = "spokes/s1/accounts/x1";
constexpr char kToken[] = "x-token-7f3a9c";
constexpr char kNewToken[] = "x-token-refreshed-51be";
constexpr char kUserId[] = "2244994945";

Credential XCredential(const std::string& token) {
  Credential credential;
  credential.access_token = token;
  credential.fields["user_id"] = kUserId;
  return credential;
}

PublishRequest Request(const std::string& text, const std::string& in_reply_to = "") {
  PublishRequest request;
  request.post = "posts/p1";
  request.content_version = 1;
  request.idempotency_key = "p1.v1";
  request.account = kAccount;
  request.network = carecast::v1::NETWORK_X;
  request.text = text;
  request.in_reply_to = in_reply_to;
  return request;
}

ChannelFailure FailureOf(const absl::Status& status) {
  EXPECT_FALSE(status.ok());
  return ClassifyChannelError(status);
}

class XChannelTest : public ::testing::Test {
 protected:
  void SetUp() override { StartFake(fake_); }

  void StartFake(XFake& fake) {
    ASSERT_TRUE(fake.Start().ok());
    fake.AcceptToken(kToken);
    fake.SetUser(kToken, kUserId);
    fake.set_stall(absl::Seconds(3));
    credentials_.Set(kAccount, XCredential(kToken));
  }

  std::unique_ptr<XChannel> ChannelFor(XFake& fake, XChannelOptions options = {}) {
    options.base_url = fake.base_url();
    return std::make_unique<XChannel>(options, http_, credentials_, limiter_, clock_);
  }
  XChannel& channel() {
    if (!channel_) channel_ = ChannelFor(fake_);
    return *channel_;
  }

  XFake fake_;
  common::CurlHttpClient http_;
  carecast::testing::StaticCredentialSource credentials_;
  common::SystemClock clock_;
  InMemoryRateLimiter limiter_{clock_};
  std::unique_ptr<XChannel> channel_;
};

TEST_F(XChannelTest, PublishesAndFindsThePostDespiteTheLinkRewrite) {
  absl::Time since = absl::Now();
  PublishRequest request = Request("Flu shot clinics open Saturday https://example.org/flu");
  absl::StatusOr<Receipt> receipt = channel().Publish(request);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->url, "https://x.com/i/web/status/" + receipt->external_id);
  std::optional<FakePost> stored = fake_.FindPost(receipt->external_id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(absl::StrContains(stored->text, "https://t.co/")) << stored->text;
  EXPECT_EQ(stored->author, kUserId);

  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, receipt->external_id);
  EXPECT_EQ((*found)->url, receipt->url);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(XChannelTest, RepliesInAThreadAndTellsRepliesFromPosts) {
  absl::Time since = absl::Now();
  absl::StatusOr<Receipt> parent = channel().Publish(Request("Clinic hours change next week"));
  ASSERT_TRUE(parent.ok()) << parent.status();
  PublishRequest reply = Request("Details: Monday to Friday, 8 to 6.", parent->external_id);
  absl::StatusOr<Receipt> child = channel().Publish(reply);
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(fake_.FindPost(child->external_id)->in_reply_to, parent->external_id);

  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(reply, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, child->external_id);
  // The same text as a top-level post is not the reply.
  absl::StatusOr<std::optional<Receipt>> top = channel().FindPublished(Request(reply.text), since);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_FALSE(top->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(XChannelTest, DeletesAndReportsAMissingPostAsNotFound) {
  absl::StatusOr<Receipt> receipt = channel().Publish(Request("A post to take down"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_TRUE(channel().Delete(kAccount, receipt->external_id).ok());
  EXPECT_TRUE(fake_.FindPost(receipt->external_id)->deleted);
  absl::Status again = channel().Delete(kAccount, receipt->external_id);
  EXPECT_TRUE(absl::IsNotFound(again)) << again;
  EXPECT_EQ(FailureOf(again).kind, ChannelErrorKind::kPermanent);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

// What automatic takedown relies on: a 429 on a delete is rate-limited with the
// network's wait, and the fake counts only the delete that removed the post.
TEST_F(XChannelTest, ADeleteAnswered429IsRateLimitedAndCountedOnlyOnceItWorks) {
  absl::StatusOr<Receipt> receipt = channel().Publish(Request("A post to take down later"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.QueueDeleteFault(FakeFault::kRateLimited);

  absl::Status limited = channel().Delete(kAccount, receipt->external_id);

  EXPECT_EQ(FailureOf(limited).kind, ChannelErrorKind::kRateLimited) << limited;
  EXPECT_EQ(fake_.deletes_accepted(), 0);
  EXPECT_EQ(fake_.live_posts(), 1);
}

TEST_F(XChannelTest, ListsTheAccountsRecentPostsNewestFirst) {
  absl::Time now = absl::Now();
  fake_.AddExistingPost({.author = kUserId, .text = "old", .create_time = now - absl::Hours(3)});
  std::string first = fake_.AddExistingPost(
      {.author = kUserId, .text = "first", .create_time = now - absl::Minutes(30)});
  fake_.AddExistingPost({.author = kUserId,
                         .text = "second",
                         .in_reply_to = first,
                         .create_time = now - absl::Minutes(10)});
  fake_.AddExistingPost(
      {.author = "99", .text = "someone else", .create_time = now - absl::Minutes(5)});

  absl::StatusOr<std::vector<RemotePost>> posts =
      channel().ListRecent(kAccount, now - absl::Hours(1), 10);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 2u);
  EXPECT_EQ((*posts)[0].text, "second");
  EXPECT_EQ((*posts)[0].in_reply_to, first);
  EXPECT_EQ((*posts)[1].text, "first");
  EXPECT_EQ((*posts)[1].url, XChannel::PostUrl(first));
  EXPECT_LT(absl::AbsDuration((*posts)[1].create_time - (now - absl::Minutes(30))),
            absl::Seconds(1));

  absl::StatusOr<std::vector<RemotePost>> one =
      channel().ListRecent(kAccount, now - absl::Hours(1), 1);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].text, "second");
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(XChannelTest, ReadsEngagementFromPublicMetrics) {
  absl::StatusOr<Receipt> receipt = channel().Publish(Request("Engaging post"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.SetEngagement(receipt->external_id,
                      FakeEngagement{.likes = 5, .shares = 2, .replies = 3, .impressions = 100});
  fake_.SetQuotes(receipt->external_id, 1);
  absl::StatusOr<Engagement> engagement = channel().ReadEngagement(kAccount, receipt->external_id);
  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 5);
  EXPECT_EQ(engagement->shares, 3);  // retweets + quotes
  EXPECT_EQ(engagement->replies, 3);
  EXPECT_EQ(engagement->impressions, 100);
  EXPECT_EQ(engagement->clicks, -1);

  absl::StatusOr<Engagement> missing = channel().ReadEngagement(kAccount, "987654321");
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(XChannelTest, UnreportedMetricsAreMinusOneAndADeletedPostIsNotFoundPermanent) {
  absl::StatusOr<Receipt> receipt = channel().Publish(Request("Half measured"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.SetEngagement(receipt->external_id,
                      FakeEngagement{.likes = 4, .shares = -1, .replies = 1, .impressions = -1});

  absl::StatusOr<Engagement> engagement = channel().ReadEngagement(kAccount, receipt->external_id);
  ASSERT_TRUE(channel().Delete(kAccount, receipt->external_id).ok());
  absl::Status deleted = channel().ReadEngagement(kAccount, receipt->external_id).status();

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 4);
  EXPECT_EQ(engagement->shares, -1);
  EXPECT_EQ(engagement->replies, 1);
  EXPECT_EQ(engagement->impressions, -1);
  EXPECT_TRUE(absl::IsNotFound(deleted)) << deleted;
  EXPECT_EQ(FailureOf(deleted).kind, ChannelErrorKind::kPermanent);
}

TEST_F(XChannelTest, AnEngagementRead429IsRateLimitedUntilTheReset) {
  absl::StatusOr<Receipt> receipt = channel().Publish(Request("Busy read"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.QueueReadFault(FakeFault::kRateLimited);  // reset 2 s ahead

  ChannelFailure failure =
      FailureOf(channel().ReadEngagement(kAccount, receipt->external_id).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GT(failure.retry_after, absl::ZeroDuration());
  EXPECT_LE(failure.retry_after, absl::Seconds(4));
}

TEST_F(XChannelTest, ReadsFollowersFromUsersMe) {
  fake_.SetFollowers(kUserId, 8812);

  absl::StatusOr<int64_t> followers = channel().ReadFollowers(kAccount);

  ASSERT_TRUE(followers.ok()) << followers.status();
  EXPECT_EQ(*followers, 8812);
  EXPECT_EQ(fake_.follower_reads(), 1);
}

TEST_F(XChannelTest, AFollowerRead429IsRateLimitedAndTheLimiterThenHoldsTheNext) {
  fake_.QueueReadFault(FakeFault::kRateLimited);

  ChannelFailure failure = FailureOf(channel().ReadFollowers(kAccount).status());
  int64_t requests = fake_.requests();
  ChannelFailure held = FailureOf(channel().ReadFollowers(kAccount).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GT(failure.retry_after, absl::ZeroDuration());
  EXPECT_EQ(held.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);
  EXPECT_EQ(fake_.follower_reads(), 0);
}

TEST_F(XChannelTest, AFollowerReadWithARevokedTokenIsAuthExpiredWithoutTheToken) {
  fake_.RevokeToken(kToken);

  ChannelFailure failure = FailureOf(channel().ReadFollowers(kAccount).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_FALSE(absl::StrContains(failure.message, kToken)) << failure.message;
  EXPECT_EQ(fake_.follower_reads(), 0);
}

TEST_F(XChannelTest, A429WaitsForTheResetAndTheLimiterThenRefusesWithoutARequest) {
  fake_.QueueFault(FakeFault::kRateLimited);
  absl::StatusOr<Receipt> first = channel().Publish(Request("Rate limited"));
  ChannelFailure failure = FailureOf(first.status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  // The fake's reset is 2 s ahead, rounded up to the second.
  EXPECT_GT(failure.retry_after, absl::ZeroDuration());
  EXPECT_LE(failure.retry_after, absl::Seconds(4));

  int64_t requests = fake_.requests();
  absl::StatusOr<Receipt> second = channel().Publish(Request("Rate limited"));
  ChannelFailure refused = FailureOf(second.status());
  EXPECT_EQ(refused.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GT(refused.retry_after, absl::ZeroDuration());
  EXPECT_EQ(fake_.requests(), requests);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(XChannelTest, AServerErrorAfterCommitIsUnknownAndFindPublishedFindsThePost) {
  absl::Time since = absl::Now();
  fake_.QueueFault(FakeFault::kServerErrorAfter);
  PublishRequest request = Request("Committed, then 500");
  ChannelFailure failure = FailureOf(channel().Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_FALSE(failure.may_be_in_flight);
  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, fake_.posts().back().id);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(XChannelTest, AStallAfterCommitIsUnknownInFlightAndFindPublishedFindsThePost) {
  absl::Time since = absl::Now();
  auto channel = ChannelFor(fake_, XChannelOptions{.call_timeout = absl::Milliseconds(500)});
  fake_.QueueFault(FakeFault::kTimeoutAfterCommit);
  PublishRequest request = Request("Committed, then silence");
  ChannelFailure failure = FailureOf(channel->Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_TRUE(failure.may_be_in_flight);
  absl::StatusOr<std::optional<Receipt>> found = channel->FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(XChannelTest, AServerErrorBeforeCommitIsUnknownAndFindPublishedSaysAbsent) {
  absl::Time since = absl::Now();
  fake_.QueueFault(FakeFault::kServerErrorBefore);
  PublishRequest request = Request("Never committed");
  ChannelFailure failure = FailureOf(channel().Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(XChannelTest, AnExpiredTokenIsRefreshedOnceAndThePostGoesOut) {
  fake_.RevokeToken(kToken);
  fake_.AcceptToken(kNewToken);
  fake_.SetUser(kNewToken, kUserId);
  credentials_.QueueRefresh(kAccount, XCredential(kNewToken));
  absl::StatusOr<Receipt> receipt = channel().Publish(Request("After a refresh"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(XChannelTest, ARefusedRefreshIsAuthExpiredNamingTheAccountNotTheToken) {
  fake_.RevokeToken(kToken);
  absl::Status status = channel().Publish(Request("Nobody can post this")).status();
  ChannelFailure failure = FailureOf(status);
  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  EXPECT_FALSE(absl::StrContains(failure.message, kToken)) << failure.message;
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(XChannelTest, MissingCredentialsAreAuthExpired) {
  PublishRequest request = Request("Whose account?");
  request.account = "spokes/s1/accounts/unknown";
  ChannelFailure failure = FailureOf(channel().Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(failure.message, request.account));
  EXPECT_EQ(fake_.requests(), 0);
}

TEST_F(XChannelTest, DuplicateContentIsPermanent) {
  ASSERT_TRUE(channel().Publish(Request("Said once")).ok());
  ChannelFailure failure = FailureOf(channel().Publish(Request("Said once")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "duplicate")) << failure.message;

  fake_.QueueFault(FakeFault::kDuplicateRefusal);
  ChannelFailure scripted = FailureOf(channel().Publish(Request("Said elsewhere")).status());
  EXPECT_EQ(scripted.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(scripted.message, "duplicate")) << scripted.message;
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(XChannelTest, StaysWithinTheAnnouncedBudget) {
  fake_.SetRateLimit(3, absl::Minutes(15));
  int published = 0;
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    absl::StatusOr<Receipt> receipt = channel().Publish(Request(absl::StrCat("Post number ", i)));
    if (receipt.ok()) {
      ++published;
      continue;
    }
    ChannelFailure failure = ClassifyChannelError(receipt.status());
    EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited) << failure.message;
    EXPECT_GT(failure.retry_after, absl::Minutes(14));
    EXPECT_LE(failure.retry_after, absl::Minutes(15) + absl::Seconds(1));
    ++refused;
  }
  EXPECT_EQ(published, 3);
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(fake_.over_limit_requests(), 0);
  EXPECT_EQ(fake_.requests(), 3);
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

TEST_F(XChannelTest, APassedDeadlineSendsNothing) {
  PublishRequest request = Request("Too late");
  request.deadline = absl::Now() - absl::Seconds(1);
  ChannelFailure failure = FailureOf(channel().Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(fake_.requests(), 0);
}

// Images are hosted by the fake itself (GET /files/<name>), as in the Mastodon tests.
MediaRef HostedImage(const XFake& fake, const std::string& name, const std::string& alt) {
  return {absl::StrCat(fake.base_url(), "/files/", name), alt, "image/png"};
}

TEST_F(XChannelTest, UploadsImagesSetsTheirAltTextAndAttachesThemToThePost) {
  fake_.AddFile("clinic.png", std::string("\x89PNG\r\n\x1a\nclinic", 14), "image/png");
  fake_.AddFile("map.png", std::string("\x89PNG\r\n\x1a\nmap", 11), "image/png");
  PublishRequest one = Request("The new clinic");
  one.media = {HostedImage(fake_, "clinic.png", "The new clinic entrance")};
  absl::StatusOr<Receipt> first = channel().Publish(one);
  ASSERT_TRUE(first.ok()) << first.status();
  std::map<std::string, std::string> alt = fake_.media_alt_texts();
  ASSERT_EQ(alt.size(), 1u);
  EXPECT_EQ(alt.begin()->second, "The new clinic entrance");
  EXPECT_EQ(fake_.FindPost(first->external_id)->attributes["media_ids"], alt.begin()->first);

  PublishRequest two = Request("How to find the clinic");
  two.media = {HostedImage(fake_, "clinic.png", "The entrance"),
               HostedImage(fake_, "map.png", "Map from the bus stop")};
  absl::StatusOr<Receipt> second = channel().Publish(two);
  ASSERT_TRUE(second.ok()) << second.status();
  alt = fake_.media_alt_texts();
  ASSERT_EQ(alt.size(), 3u);
  auto it = std::next(alt.begin());
  EXPECT_EQ(it->second, "The entrance");
  EXPECT_EQ(std::next(it)->second, "Map from the bus stop");
  EXPECT_EQ(fake_.FindPost(second->external_id)->attributes["media_ids"],
            absl::StrCat(it->first, ",", std::next(it)->first));
  EXPECT_EQ(fake_.uploads_accepted(), 3);
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(XChannelTest, AnImageThatCannotBeFetchedIsPermanentAndNothingIsSent) {
  PublishRequest request = Request("Missing image");
  request.media = {HostedImage(fake_, "missing.png?sig=secret", "alt")};
  ChannelFailure failure = FailureOf(channel().Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "image 1")) << failure.message;
  EXPECT_FALSE(absl::StrContains(failure.message, "secret")) << failure.message;
  EXPECT_EQ(fake_.uploads_accepted(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(XChannelTest, AnUploadServerErrorIsRetryableAndCreatesNothing) {
  fake_.AddFile("clinic.png", "png-bytes", "image/png");
  PublishRequest request = Request("Retry me");
  request.media = {HostedImage(fake_, "clinic.png", "The clinic")};
  fake_.FailNextUpload(503);
  ChannelFailure failure = FailureOf(channel().Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(fake_.creates_accepted(), 0);
  // The retry uploads again and posts once.
  ASSERT_TRUE(channel().Publish(request).ok());
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(XChannelTest, MoreThanFourImagesOrNoAltTextArePermanentBeforeAnyRequest) {
  PublishRequest five = Request("Five pictures");
  for (int i = 0; i < 5; ++i) five.media.push_back(HostedImage(fake_, "a.png", "alt"));
  ChannelFailure failure = FailureOf(channel().Publish(five).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "at most 4 images")) << failure.message;
  PublishRequest no_alt = Request("No alt text");
  no_alt.media = {HostedImage(fake_, "a.png", "  ")};
  failure = FailureOf(channel().Publish(no_alt).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "alt text")) << failure.message;
  EXPECT_EQ(fake_.requests(), 0);
}

TEST(XChannelPagingTest, FindPublishedFollowsNextTokenAndGivesUpPastItsPages) {
  XFake fake(XFakeOptions{.max_page_size = 2});
  ASSERT_TRUE(fake.Start().ok());
  fake.SetUser(kToken, kUserId);
  common::CurlHttpClient http;
  carecast::testing::StaticCredentialSource credentials;
  credentials.Set(kAccount, XCredential(kToken));
  common::SystemClock clock;
  InMemoryRateLimiter limiter(clock);
  XChannel channel(XChannelOptions{.base_url = fake.base_url(), .max_find_pages = 3}, http,
                   credentials, limiter, clock);
  absl::Time since = absl::Now();
  PublishRequest request = Request("The oldest of five");
  ASSERT_TRUE(channel.Publish(request).ok());
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(channel.Publish(Request(absl::StrCat("Newer post ", i))).ok());

  absl::StatusOr<std::optional<Receipt>> found = channel.FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_TRUE(found->has_value());  // on the third page, the last one

  // Two more posts: the last of three pages now says there is more.
  for (int i = 4; i < 6; ++i)
    ASSERT_TRUE(channel.Publish(Request(absl::StrCat("Newer post ", i))).ok());
  absl::StatusOr<std::optional<Receipt>> absent =
      channel.FindPublished(Request("Not there at all"), since);
  EXPECT_EQ(FailureOf(absent.status()).kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(fake.creates_accepted(), 7);
}

}  // namespace
}  // namespace carecast::publisher
