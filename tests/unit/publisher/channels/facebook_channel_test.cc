// FacebookChannel against the local Facebook Page fake, over real HTTP
// (CurlHttpClient): publish, reply, delete, list, engagement, every error kind,
// reconciliation after an unknown outcome, and rate-limit compliance measured
// at the fake.
#include "services/publisher/channels/facebook_channel.h"

#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <gtest/gtest.h>

#include "services/common/base/clock.h"
#include "services/common/http/curl_http_client.h"
#include "services/publisher/channels/in_memory_rate_limiter.h"
#include "tests/support/fake_networks/facebook_fake.h"
#include "tests/support/static_credential_source.h"

namespace carecast::publisher {
namespace {

using ::carecast::testing::FacebookFake;
using ::carecast::testing::FakeFault;
using ::carecast::testing::FakePost;

constexpr char kAccount[] = "spokes/north/accounts/fb-main";
constexpr char kToken[] = "page-token-7c1f";
constexpr char kNewToken[] = "page-token-9d2e";

ChannelFailure FailureOf(const absl::Status& status) {
  EXPECT_FALSE(status.ok());
  return ClassifyChannelError(status);
}

class FacebookChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Start().ok());
    fake_.AcceptToken(kToken);
    credentials_.Set(kAccount, Credential{kToken, {{"page_id", fake_.page_id()}}});
    channel_ = MakeChannel(limiter_);
  }

  std::unique_ptr<FacebookChannel> MakeChannel(RateLimiter& limiter,
                                               absl::Duration call_timeout = absl::Seconds(5)) {
    FacebookChannelOptions options;
    options.base_url = fake_.base_url();
    options.call_timeout = call_timeout;
    return std::make_unique<FacebookChannel>(options, http_, credentials_, limiter, clock_);
  }

  static PublishRequest Request(const std::string& text, const std::string& in_reply_to = "") {
    PublishRequest request;
    request.post = "posts/p1";
    request.content_version = 1;
    request.idempotency_key = "p1.v1";
    request.account = kAccount;
    request.network = carecast::v1::NETWORK_FACEBOOK;
    request.text = text;
    request.in_reply_to = in_reply_to;
    return request;
  }

  // The fake stamps posts with the real time; the channel's clock starts there.
  // Declared first, so it stops last: the client's pooled keep-alive
  // connections are closed by then and the server need not wait them out.
  FacebookFake fake_;
  common::FakeClock clock_{absl::Now()};
  common::CurlHttpClient http_;
  carecast::testing::StaticCredentialSource credentials_;
  InMemoryRateLimiter limiter_{clock_};
  std::unique_ptr<FacebookChannel> channel_;
};

TEST_F(FacebookChannelTest, PublishesToThePageFeedOnce) {
  EXPECT_EQ(channel_->idempotency(), IdempotencyModel::kNone);
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("Flu shots this Saturday, 9-1."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_TRUE(absl::StartsWith(receipt->external_id, fake_.page_id() + "_"));
  EXPECT_EQ(receipt->url, FacebookFake::PermalinkOf(receipt->external_id));
  std::optional<FakePost> stored = fake_.FindPost(receipt->external_id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->text, "Flu shots this Saturday, 9-1.");
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(FacebookChannelTest, RepliesAsACommentAndFindsTheReply) {
  absl::StatusOr<Receipt> parent = channel_->Publish(Request("Clinic hours changed."));
  ASSERT_TRUE(parent.ok()) << parent.status();
  absl::Time since = absl::Now();
  PublishRequest reply = Request("Open until 8pm on weekdays.", parent->external_id);
  absl::StatusOr<Receipt> receipt = channel_->Publish(reply);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  std::optional<FakePost> stored = fake_.FindPost(receipt->external_id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->in_reply_to, parent->external_id);
  EXPECT_EQ(fake_.creates_accepted(), 2);

  absl::StatusOr<std::optional<Receipt>> found = channel_->FindPublished(reply, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, receipt->external_id);
  // The parent post is not mistaken for the reply, nor the other way round.
  absl::StatusOr<std::optional<Receipt>> top =
      channel_->FindPublished(Request("Open until 8pm on weekdays."), since);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_FALSE(top->has_value());
}

TEST_F(FacebookChannelTest, DeletesAPostAndReportsAMissingOne) {
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("Parking lot B is closed."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_TRUE(channel_->Delete(kAccount, receipt->external_id).ok());
  EXPECT_TRUE(fake_.FindPost(receipt->external_id)->deleted);
  absl::Status again = channel_->Delete(kAccount, receipt->external_id);
  EXPECT_TRUE(absl::IsNotFound(again)) << again;
  EXPECT_EQ(ClassifyChannelError(again).kind, ChannelErrorKind::kPermanent);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(FacebookChannelTest, ListsRecentPostsNewestFirst) {
  FakePost old;
  old.author = fake_.page_id();
  old.id = fake_.page_id() + "_1";
  old.text = "Posted long ago";
  old.create_time = absl::Now() - absl::Hours(3);
  fake_.AddExistingPost(old);
  absl::Time since = absl::Now() - absl::Hours(1);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Receipt> receipt = channel_->Publish(Request(absl::StrCat("Update ", i)));
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    ids.push_back(receipt->external_id);
  }
  absl::StatusOr<std::vector<RemotePost>> listed = channel_->ListRecent(kAccount, since, 10);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].external_id, ids[2]);
  EXPECT_EQ((*listed)[0].text, "Update 2");
  EXPECT_EQ((*listed)[0].url, FacebookFake::PermalinkOf(ids[2]));
  EXPECT_EQ((*listed)[2].external_id, ids[0]);
  absl::StatusOr<std::vector<RemotePost>> two = channel_->ListRecent(kAccount, since, 2);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->size(), 2u);
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

TEST_F(FacebookChannelTest, ReadsEngagement) {
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("Blood drive on Friday."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.SetEngagement(receipt->external_id,
                      {.likes = 7, .shares = 3, .replies = 2, .impressions = 950, .clicks = 12});
  ASSERT_TRUE(channel_->Publish(Request("Thank you!", receipt->external_id)).ok());
  absl::StatusOr<Engagement> engagement = channel_->ReadEngagement(kAccount, receipt->external_id);
  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 7);
  EXPECT_EQ(engagement->shares, 3);
  EXPECT_EQ(engagement->replies, 3);        // two counted by the network, one comment of ours
  EXPECT_EQ(engagement->impressions, 950);  // post_impressions from the post's insights
  EXPECT_EQ(engagement->clicks, 12);        // post_clicks
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(FacebookChannelTest, WithoutInsightsPermissionImpressionsAndClicksAreUnknown) {
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("Walk-in clinic open."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  // A negative figure: the fake refuses the insights call with (#10), as Meta
  // does for a token without read_insights.
  fake_.SetEngagement(receipt->external_id,
                      {.likes = 5, .shares = 1, .replies = 0, .impressions = -1, .clicks = 9});
  absl::StatusOr<Engagement> engagement = channel_->ReadEngagement(kAccount, receipt->external_id);
  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 5);
  EXPECT_EQ(engagement->shares, 1);
  EXPECT_EQ(engagement->impressions, -1);
  EXPECT_EQ(engagement->clicks, -1);
}

TEST_F(FacebookChannelTest, AnEdgeLeftOutIsMinusOneAndADeletedPostIsNotFoundPermanent) {
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("Flu clinic hours."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.SetEngagement(receipt->external_id, {.likes = -1, .shares = 0, .replies = 4});

  absl::StatusOr<Engagement> engagement = channel_->ReadEngagement(kAccount, receipt->external_id);
  ASSERT_TRUE(channel_->Delete(kAccount, receipt->external_id).ok());
  absl::Status deleted = channel_->ReadEngagement(kAccount, receipt->external_id).status();

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, -1);  // no reactions edge
  EXPECT_EQ(engagement->shares, 0);  // Facebook leaves "shares" out while there are none
  EXPECT_EQ(engagement->replies, 4);
  EXPECT_TRUE(absl::IsNotFound(deleted)) << deleted;
  EXPECT_EQ(FailureOf(deleted).kind, ChannelErrorKind::kPermanent);
}

TEST_F(FacebookChannelTest, AThrottledEngagementReadIsRateLimitedWithMetasWait) {
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("Parking is free today."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.QueueReadFault(FakeFault::kRateLimited);

  ChannelFailure failure =
      FailureOf(channel_->ReadEngagement(kAccount, receipt->external_id).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(failure.retry_after, absl::Minutes(1));  // Meta states whole minutes
}

TEST_F(FacebookChannelTest, ReadsThePagesFollowers) {
  fake_.SetFollowers(fake_.page_id(), 20417);

  absl::StatusOr<int64_t> followers = channel_->ReadFollowers(kAccount);

  ASSERT_TRUE(followers.ok()) << followers.status();
  EXPECT_EQ(*followers, 20417);
  EXPECT_EQ(fake_.follower_reads(), 1);
}

TEST_F(FacebookChannelTest, AThrottledFollowerReadIsRateLimitedAndTheNextIsHeld) {
  fake_.QueueReadFault(FakeFault::kRateLimited);

  ChannelFailure failure = FailureOf(channel_->ReadFollowers(kAccount).status());
  int64_t requests = fake_.requests();
  ChannelFailure held = FailureOf(channel_->ReadFollowers(kAccount).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(failure.retry_after, absl::Minutes(1));
  EXPECT_EQ(held.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);
  EXPECT_EQ(fake_.follower_reads(), 0);
}

TEST_F(FacebookChannelTest, AFollowerReadWithAnExpiredPageTokenAsksForAReconnect) {
  fake_.RevokeToken(kToken);  // nothing queued: Refresh answers UNAUTHENTICATED

  ChannelFailure failure = FailureOf(channel_->ReadFollowers(kAccount).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  EXPECT_FALSE(absl::StrContains(failure.message, kToken)) << failure.message;
  EXPECT_EQ(fake_.follower_reads(), 0);
}

TEST_F(FacebookChannelTest, ThrottleRefusalWaitsAndTheLimiterThenHoldsCalls) {
  fake_.QueueFault(FakeFault::kRateLimited);
  ChannelFailure failure = FailureOf(channel_->Publish(Request("Visiting hours update.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  // The fake's window ends within seconds: Meta states whole minutes.
  EXPECT_EQ(failure.retry_after, absl::Minutes(1));
  int64_t requests = fake_.requests();
  ChannelFailure held = FailureOf(channel_->Publish(Request("Visiting hours update.")).status());
  EXPECT_EQ(held.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);  // refused here, never sent
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(FacebookChannelTest, ThrottleRefusalWaitsTheTimeMetaStates) {
  fake_.SetRateLimit(1, absl::Minutes(30));
  // Another replica (its own limiter) spends the Page's budget.
  InMemoryRateLimiter other_limiter(clock_);
  std::unique_ptr<FacebookChannel> other = MakeChannel(other_limiter);
  ASSERT_TRUE(other->Publish(Request("First post.")).ok());
  ChannelFailure failure = FailureOf(channel_->Publish(Request("Second post.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GE(failure.retry_after, absl::Minutes(29));
  EXPECT_LE(failure.retry_after, absl::Minutes(31));
  EXPECT_EQ(fake_.over_limit_requests(), 1);
  int64_t requests = fake_.requests();
  ChannelFailure held = FailureOf(channel_->Publish(Request("Second post.")).status());
  EXPECT_EQ(held.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(FacebookChannelTest, ServerErrorAfterCommitIsUnknownAndThenFound) {
  absl::Time since = absl::Now();
  fake_.QueueFault(FakeFault::kServerErrorAfter);
  PublishRequest request = Request("Flu clinic moved to Hall C.");
  ChannelFailure failure = FailureOf(channel_->Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_FALSE(failure.may_be_in_flight);
  ASSERT_EQ(fake_.creates_accepted(), 1);
  absl::StatusOr<std::optional<Receipt>> found = channel_->FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, fake_.posts().back().id);
  EXPECT_EQ((*found)->url, FacebookFake::PermalinkOf(fake_.posts().back().id));
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(FacebookChannelTest, StallAfterCommitIsInFlightAndThenFound) {
  std::unique_ptr<FacebookChannel> impatient = MakeChannel(limiter_, absl::Milliseconds(500));
  fake_.set_stall(absl::Seconds(5));
  absl::Time since = absl::Now();
  fake_.QueueFault(FakeFault::kTimeoutAfterCommit);
  PublishRequest request = Request("Road works at the east entrance.");
  ChannelFailure failure = FailureOf(impatient->Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_TRUE(failure.may_be_in_flight);
  absl::StatusOr<std::optional<Receipt>> found = channel_->FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(FacebookChannelTest, ServerErrorBeforeCommitIsThenNotFound) {
  absl::Time since = absl::Now();
  fake_.QueueFault(FakeFault::kServerErrorBefore);
  PublishRequest request = Request("Pharmacy closes early today.");
  ChannelFailure failure = FailureOf(channel_->Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  absl::StatusOr<std::optional<Receipt>> found = channel_->FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(FacebookChannelTest, ARefusedTokenIsRefreshedAndTheCreateSentOnceMore) {
  // An operator put a new Page token in the account's token file.
  fake_.AcceptToken(kNewToken);
  fake_.RevokeToken(kToken);  // 400, code 190 subcode 463
  credentials_.QueueRefresh(kAccount, Credential{kNewToken, {{"page_id", fake_.page_id()}}});
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("New visiting hours."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(credentials_.rejected_tokens(), std::vector<std::string>{kToken});
  EXPECT_EQ(fake_.creates_accepted(), 1);
  EXPECT_EQ(fake_.CountWithText("New visiting hours."), 1);
  // The next call goes with the new token at once.
  ASSERT_TRUE(channel_->ReadEngagement(kAccount, receipt->external_id).ok());
  EXPECT_EQ(credentials_.refresh_calls(), 1);
}

TEST_F(FacebookChannelTest, ARefusedTokenThatCannotBeRefreshedAsksForAReconnect) {
  fake_.RevokeToken(kToken);  // nothing queued: Refresh answers UNAUTHENTICATED
  ChannelFailure failure = FailureOf(channel_->Publish(Request("Any text.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  EXPECT_TRUE(absl::StrContains(failure.message, "reconnect")) << failure.message;
  EXPECT_FALSE(absl::StrContains(failure.message, kToken)) << failure.message;
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(credentials_.rejected_tokens(), std::vector<std::string>{kToken});
  EXPECT_EQ(fake_.requests(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(FacebookChannelTest, ARefusedTokenWhoseRefreshIsUnavailableIsRetryable) {
  fake_.RevokeToken(kToken);
  credentials_.FailRefresh(kAccount, absl::UnavailableError("token store unavailable"));
  ChannelFailure failure = FailureOf(channel_->Publish(Request("Any text.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRetryable);
  EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.requests(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(FacebookChannelTest, ARefreshedTokenRefusedTooIsAuthExpired) {
  fake_.RevokeToken(kToken);
  fake_.RevokeToken(kNewToken);
  credentials_.QueueRefresh(kAccount, Credential{kNewToken, {{"page_id", fake_.page_id()}}});
  ChannelFailure failure = FailureOf(channel_->Publish(Request("Any text.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  EXPECT_FALSE(absl::StrContains(failure.message, kNewToken)) << failure.message;
  EXPECT_EQ(credentials_.refresh_calls(), 1);  // once, not in a loop
  EXPECT_EQ(fake_.requests(), 2);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(FacebookChannelTest, MissingCredentialsAreAuthExpiredNamingTheAccount) {
  PublishRequest request = Request("Any text.");
  request.account = "spokes/north/accounts/unknown";
  ChannelFailure failure = FailureOf(channel_->Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(failure.message, request.account)) << failure.message;
  EXPECT_EQ(fake_.requests(), 0);
}

TEST_F(FacebookChannelTest, DuplicateMessageIsPermanent) {
  ASSERT_TRUE(channel_->Publish(Request("Masks required in the ER.")).ok());
  ChannelFailure failure =
      FailureOf(channel_->Publish(Request("Masks required in the ER.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "duplicate")) << failure.message;
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(FacebookChannelTest, RefusesWhatItCannotSendWithoutSending) {
  PublishRequest too_many = Request("Look at our new wing.");
  for (int i = 0; i < 11; ++i)
    too_many.media.push_back({"https://cdn.example.org/wing.jpg", "The new wing", "image/jpeg"});
  ChannelFailure failure = FailureOf(channel_->Publish(too_many).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "at most 10 images")) << failure.message;
  PublishRequest late = Request("Too late.");
  late.deadline = clock_.Now() - absl::Seconds(1);
  EXPECT_EQ(FailureOf(channel_->Publish(late).status()).kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(fake_.requests(), 0);
}

TEST_F(FacebookChannelTest, FindPublishedReadsSeveralPagesAndSaysWhenItCannotTell) {
  absl::Time since = absl::Now();
  PublishRequest request = Request("The first of many posts.");
  ASSERT_TRUE(channel_->Publish(request).ok());
  for (int i = 0; i < 60; ++i) {
    FakePost other;
    other.author = fake_.page_id();
    other.id = absl::StrCat(fake_.page_id(), "_9", i);
    other.text = absl::StrCat("Someone else's post ", i);
    fake_.AddExistingPost(other);
  }
  absl::StatusOr<std::optional<Receipt>> found = channel_->FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_TRUE(found->has_value());

  FacebookChannelOptions options;
  options.base_url = fake_.base_url();
  options.max_find_pages = 1;
  FacebookChannel shallow(options, http_, credentials_, limiter_, clock_);
  ChannelFailure failure = FailureOf(shallow.FindPublished(request, since).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(FacebookChannelTest, NeverGoesOverTheRateLimitMeasuredAtTheFake) {
  fake_.SetRateLimit(5, absl::Minutes(10));
  int published = 0;
  int rate_limited = 0;
  for (int i = 0; i < 8; ++i) {
    absl::StatusOr<Receipt> receipt = channel_->Publish(Request(absl::StrCat("Tip #", i)));
    if (receipt.ok()) {
      ++published;
      continue;
    }
    ChannelFailure failure = ClassifyChannelError(receipt.status());
    ASSERT_EQ(failure.kind, ChannelErrorKind::kRateLimited) << failure.message;
    EXPECT_GT(failure.retry_after, absl::ZeroDuration());
    ++rate_limited;
  }
  EXPECT_GE(published, 2);
  EXPECT_GE(rate_limited, 1);
  EXPECT_EQ(fake_.over_limit_requests(), 0);
  EXPECT_EQ(fake_.creates_accepted(), published);
}

MediaRef HostedImage(const FacebookFake& fake, const std::string& name, const std::string& alt) {
  return {absl::StrCat(fake.base_url(), "/files/", name), alt, "image/jpeg"};
}

TEST_F(FacebookChannelTest, AddsUnpublishedPhotosWithAltTextAndAttachesThemToThePost) {
  fake_.AddFile("wing.jpg", "jpeg-bytes-wing", "image/jpeg");
  fake_.AddFile("garden.jpg", "jpeg-bytes-garden", "image/jpeg");
  PublishRequest one = Request("Our new wing opens Monday.");
  one.media = {HostedImage(fake_, "wing.jpg", "The new wing from the car park")};
  absl::StatusOr<Receipt> first = channel_->Publish(one);
  ASSERT_TRUE(first.ok()) << first.status();
  std::map<std::string, std::string> alt = fake_.photo_alt_texts();
  ASSERT_EQ(alt.size(), 1u);
  EXPECT_EQ(alt.begin()->second, "The new wing from the car park");
  EXPECT_EQ(fake_.FindPost(first->external_id)->attributes["attached_media"], alt.begin()->first);

  PublishRequest two = Request("The healing garden is open too.");
  two.media = {HostedImage(fake_, "garden.jpg", "The garden"),
               HostedImage(fake_, "wing.jpg", "The wing behind the garden")};
  absl::StatusOr<Receipt> second = channel_->Publish(two);
  ASSERT_TRUE(second.ok()) << second.status();
  alt = fake_.photo_alt_texts();
  ASSERT_EQ(alt.size(), 3u);
  auto garden = std::next(alt.begin());
  EXPECT_EQ(garden->second, "The garden");
  EXPECT_EQ(std::next(garden)->second, "The wing behind the garden");
  EXPECT_EQ(fake_.FindPost(second->external_id)->attributes["attached_media"],
            absl::StrCat(garden->first, ",", std::next(garden)->first));
  EXPECT_EQ(fake_.uploads_accepted(), 3);
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(FacebookChannelTest, ACommentNamesOneImageByUrlAndRefusesTwo) {
  fake_.AddFile("wing.jpg", "jpeg-bytes-wing", "image/jpeg");
  absl::StatusOr<Receipt> post = channel_->Publish(Request("A post to answer."));
  ASSERT_TRUE(post.ok()) << post.status();
  PublishRequest reply = Request("Here is the entrance.", post->external_id);
  reply.media = {HostedImage(fake_, "wing.jpg", "The entrance")};
  absl::StatusOr<Receipt> comment = channel_->Publish(reply);
  ASSERT_TRUE(comment.ok()) << comment.status();
  EXPECT_EQ(fake_.FindPost(comment->external_id)->attributes["attachment_url"], reply.media[0].url);
  reply.media.push_back(HostedImage(fake_, "wing.jpg", "Again"));
  ChannelFailure failure = FailureOf(channel_->Publish(reply).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "at most one image")) << failure.message;
  EXPECT_EQ(fake_.uploads_accepted(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(FacebookChannelTest, AnImageThatCannotBeFetchedIsPermanentAndNothingIsSent) {
  PublishRequest request = Request("Missing image.");
  request.media = {HostedImage(fake_, "missing.jpg?sig=secret", "alt")};
  ChannelFailure failure = FailureOf(channel_->Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_FALSE(absl::StrContains(failure.message, "secret")) << failure.message;
  EXPECT_EQ(fake_.uploads_accepted(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(FacebookChannelTest, APhotoServerErrorIsRetryableAndCreatesNothing) {
  fake_.AddFile("wing.jpg", "jpeg-bytes-wing", "image/jpeg");
  PublishRequest request = Request("Retry me.");
  request.media = {HostedImage(fake_, "wing.jpg", "The wing")};
  fake_.FailNextUpload(500);
  EXPECT_EQ(FailureOf(channel_->Publish(request).status()).kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(fake_.creates_accepted(), 0);
  ASSERT_TRUE(channel_->Publish(request).ok());
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

}  // namespace
}  // namespace carecast::publisher
