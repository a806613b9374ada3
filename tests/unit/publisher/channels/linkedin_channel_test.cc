#include "services/publisher/channels/linkedin_channel.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include <gtest/gtest.h>

#include "services/common/base/clock.h"
#include "services/common/http/curl_http_client.h"
#include "services/publisher/channels/in_memory_rate_limiter.h"
#include "tests/support/fake_networks/linkedin_fake.h"
#include "tests/support/static_credential_source.h"

namespace carecast::publisher {
namespace {

using carecast::testing::FakeEngagement;
using carecast::testing::FakeFault;
using carecast::testing::FakePost;
using carecast::testing::LinkedInFake;
using carecast::testing::LinkedInFakeOptions;

constexpr char kAccount[] = "spokes/s1/accounts/li1";
constexpr char kToken[] = "li-token-AQX93kd0";
constexpr char kNewToken[] = "li-token-refreshed-Zp21";
constexpr char kAuthor[] = "urn:li:organization:5515715";

Credential LinkedInCredential(const std::string& token) {
  Credential credential;
  credential.access_token = token;
  credential.fields["author_urn"] = kAuthor;
  return credential;
}

PublishRequest Request(const std::string& text, const std::string& in_reply_to = "") {
  PublishRequest request;
  request.post = "posts/p1";
  request.content_version = 1;
  request.idempotency_key = "p1.v1";
  request.account = kAccount;
  request.network = carecast::v1::NETWORK_LINKEDIN;
  request.text = text;
  request.in_reply_to = in_reply_to;
  return request;
}

ChannelFailure FailureOf(const absl::Status& status) {
  EXPECT_FALSE(status.ok());
  return ClassifyChannelError(status);
}

FakePost ExistingPost(const std::string& text, absl::Time created) {
  static int counter = 0;
  FakePost post;
  post.id = absl::StrCat("urn:li:share:", 6'900'000'000'000'000'000 + ++counter);
  post.author = kAuthor;
  post.text = text;
  post.create_time = created;
  post.attributes["kind"] = "post";
  return post;
}

class LinkedInChannelTest : public ::testing::Test {
 protected:
  void SetUp() override { StartFake(fake_); }

  void StartFake(LinkedInFake& fake) {
    ASSERT_TRUE(fake.Start().ok());
    fake.AcceptToken(kToken);
    fake.SetAuthor(kToken, kAuthor);
    fake.set_stall(absl::Seconds(3));
    credentials_.Set(kAccount, LinkedInCredential(kToken));
  }

  std::unique_ptr<LinkedInChannel> ChannelFor(LinkedInFake& fake,
                                              LinkedInChannelOptions options = {}) {
    options.base_url = fake.base_url();
    return std::make_unique<LinkedInChannel>(options, http_, credentials_, limiter_, clock_);
  }
  LinkedInChannel& channel() {
    if (!channel_) channel_ = ChannelFor(fake_);
    return *channel_;
  }

  LinkedInFake fake_;
  common::CurlHttpClient http_;
  carecast::testing::StaticCredentialSource credentials_;
  common::SystemClock clock_;
  InMemoryRateLimiter limiter_{clock_};
  std::unique_ptr<LinkedInChannel> channel_;
};

TEST_F(LinkedInChannelTest, PublishesEscapedCommentaryAndFindsIt) {
  absl::Time since = absl::Now();
  PublishRequest request =
      Request("Flu clinic (Saturday) #health @team https://example.org/flu_shots");
  absl::StatusOr<Receipt> receipt = channel().Publish(request);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_TRUE(absl::StartsWith(receipt->external_id, "urn:li:share:")) << receipt->external_id;
  EXPECT_EQ(receipt->url, "https://www.linkedin.com/feed/update/" + receipt->external_id + "/");
  std::optional<FakePost> stored = fake_.FindPost(receipt->external_id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->text,
            "Flu clinic \\(Saturday\\) \\#health \\@team https://example.org/flu_shots");

  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, receipt->external_id);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(LinkedInChannelTest, AnInactiveVersionIsPermanentAndNamesIt) {
  auto channel = ChannelFor(fake_, LinkedInChannelOptions{.linkedin_version = "202401"});
  ChannelFailure failure = FailureOf(channel->Publish(Request("Old API")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "202401")) << failure.message;
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(LinkedInChannelTest, RepliesAreCommentsAndCommentsOnComments) {
  absl::Time since = absl::Now();
  absl::StatusOr<Receipt> post = channel().Publish(Request("Open house on Friday"));
  ASSERT_TRUE(post.ok()) << post.status();
  PublishRequest reply = Request("Doors open at 9 (east entrance).", post->external_id);
  absl::StatusOr<Receipt> comment = channel().Publish(reply);
  ASSERT_TRUE(comment.ok()) << comment.status();
  EXPECT_TRUE(absl::StartsWith(comment->external_id, "urn:li:comment:(" + post->external_id + ","))
      << comment->external_id;
  EXPECT_TRUE(absl::StartsWith(comment->url, post->url + "?commentUrn=")) << comment->url;
  EXPECT_EQ(fake_.FindPost(comment->external_id)->in_reply_to, post->external_id);

  absl::StatusOr<Receipt> nested = channel().Publish(Request("Parking too.", comment->external_id));
  ASSERT_TRUE(nested.ok()) << nested.status();
  EXPECT_EQ(fake_.FindPost(nested->external_id)->in_reply_to, comment->external_id);

  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(reply, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, comment->external_id);
  absl::StatusOr<std::optional<Receipt>> top = channel().FindPublished(Request(reply.text), since);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_FALSE(top->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

TEST_F(LinkedInChannelTest, DeletesPostsAndComments) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("To be removed"));
  ASSERT_TRUE(post.ok()) << post.status();
  absl::StatusOr<Receipt> comment = channel().Publish(Request("So is this", post->external_id));
  ASSERT_TRUE(comment.ok()) << comment.status();
  ASSERT_TRUE(channel().Delete(kAccount, comment->external_id).ok());
  EXPECT_TRUE(fake_.FindPost(comment->external_id)->deleted);
  ASSERT_TRUE(channel().Delete(kAccount, post->external_id).ok());
  EXPECT_TRUE(fake_.FindPost(post->external_id)->deleted);
  absl::Status again = channel().Delete(kAccount, post->external_id);
  EXPECT_TRUE(absl::IsNotFound(again)) << again;
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(LinkedInChannelTest, ListsRecentPostsNewestFirst) {
  absl::Time now = absl::Now();
  fake_.AddExistingPost(ExistingPost("old", now - absl::Hours(3)));
  fake_.AddExistingPost(ExistingPost("first \\(one\\)", now - absl::Minutes(30)));
  fake_.AddExistingPost(ExistingPost("second", now - absl::Minutes(10)));
  FakePost other = ExistingPost("another author", now - absl::Minutes(5));
  other.author = "urn:li:organization:1";
  fake_.AddExistingPost(other);

  absl::StatusOr<std::vector<RemotePost>> posts =
      channel().ListRecent(kAccount, now - absl::Hours(1), 10);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 2u);
  EXPECT_EQ((*posts)[0].text, "second");
  EXPECT_EQ((*posts)[1].text, "first (one)");  // unescaped
  EXPECT_LT(absl::AbsDuration((*posts)[1].create_time - (now - absl::Minutes(30))),
            absl::Milliseconds(2));
  absl::StatusOr<std::vector<RemotePost>> one =
      channel().ListRecent(kAccount, now - absl::Hours(1), 1);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].text, "second");
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(LinkedInChannelTest, ReadsSocialActionsAndTheShareStatisticsOfAnOrganizationPost) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("Engaging"));
  ASSERT_TRUE(post.ok()) << post.status();
  ASSERT_TRUE(channel().Publish(Request("A comment", post->external_id)).ok());
  fake_.SetEngagement(
      post->external_id,
      FakeEngagement{.likes = 7, .shares = 4, .replies = 2, .impressions = 1500, .clicks = 38});

  absl::StatusOr<Engagement> engagement = channel().ReadEngagement(kAccount, post->external_id);

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 7);
  EXPECT_EQ(engagement->replies, 3);
  EXPECT_EQ(engagement->impressions, 1500);  // impressionCount, not uniqueImpressionsCount
  EXPECT_EQ(engagement->clicks, 38);
  EXPECT_EQ(engagement->shares, 4);
  EXPECT_EQ(fake_.statistics_requests(), 1);
  absl::StatusOr<Engagement> missing = channel().ReadEngagement(kAccount, "urn:li:share:1");
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(LinkedInChannelTest, AUgcPostsStatisticsAreAskedForUnderUgcPosts) {
  FakePost video = ExistingPost("Our video tour", absl::Now() - absl::Hours(2));
  video.id = "urn:li:ugcPost:7150000000000000001";
  fake_.AddExistingPost(video);
  fake_.SetEngagement(video.id, FakeEngagement{.likes = 3, .impressions = 640, .clicks = 11});

  absl::StatusOr<Engagement> engagement = channel().ReadEngagement(kAccount, video.id);

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->impressions, 640);
  EXPECT_EQ(engagement->clicks, 11);
  EXPECT_EQ(engagement->shares, 0);
}

TEST_F(LinkedInChannelTest, AMemberPostMakesNoStatisticsCall) {
  constexpr char kMember[] = "urn:li:person:8675309";
  Credential member = LinkedInCredential(kToken);
  member.fields["author_urn"] = kMember;
  credentials_.Set(kAccount, member);
  fake_.SetAuthor(kToken, kMember);
  absl::StatusOr<Receipt> post = channel().Publish(Request("A member's own post"));
  ASSERT_TRUE(post.ok()) << post.status();
  fake_.SetEngagement(
      post->external_id,
      FakeEngagement{.likes = 9, .shares = 2, .replies = 1, .impressions = 400, .clicks = 5});

  absl::StatusOr<Engagement> engagement = channel().ReadEngagement(kAccount, post->external_id);

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 9);
  EXPECT_EQ(engagement->replies, 1);
  EXPECT_EQ(engagement->impressions, -1);
  EXPECT_EQ(engagement->clicks, -1);
  EXPECT_EQ(engagement->shares, -1);
  EXPECT_EQ(fake_.statistics_requests(), 0);
}

TEST_F(LinkedInChannelTest, AStatistics403KeepsTheSocialActionsFiguresAndLeavesTheRestUnknown) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("No admin scope"));
  ASSERT_TRUE(post.ok()) << post.status();
  fake_.SetEngagement(
      post->external_id,
      FakeEngagement{.likes = 7, .shares = 4, .replies = 2, .impressions = 1500, .clicks = 38});
  fake_.DenyShareStatistics(kToken);

  absl::StatusOr<Engagement> engagement = channel().ReadEngagement(kAccount, post->external_id);

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 7);
  EXPECT_EQ(engagement->replies, 2);
  EXPECT_EQ(engagement->impressions, -1);
  EXPECT_EQ(engagement->clicks, -1);
  EXPECT_EQ(engagement->shares, -1);
  EXPECT_EQ(fake_.statistics_requests(), 1);
  EXPECT_EQ(credentials_.refresh_calls(), 0);
}

TEST_F(LinkedInChannelTest, MissingStatisticsFieldsAreMinusOneAndFillOnlyWhatSocialActionsLacks) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("Partly counted"));
  ASSERT_TRUE(post.ok()) << post.status();
  // socialActions reports comments but no likes; the statistics lack clicks and shares.
  fake_.SetEngagement(post->external_id, FakeEngagement{.likes = -1, .replies = 5});
  fake_.SetShareStatistics(
      post->external_id,
      FakeEngagement{.likes = 12, .shares = -1, .replies = 99, .impressions = 900, .clicks = -1});

  absl::StatusOr<Engagement> engagement = channel().ReadEngagement(kAccount, post->external_id);

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 12);   // from likeCount
  EXPECT_EQ(engagement->replies, 5);  // socialActions' own, not commentCount
  EXPECT_EQ(engagement->impressions, 900);
  EXPECT_EQ(engagement->clicks, -1);
  EXPECT_EQ(engagement->shares, -1);
}

TEST_F(LinkedInChannelTest, NoStatisticsElementLeavesThoseFiguresUnknown) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("Not counted yet"));
  ASSERT_TRUE(post.ok()) << post.status();
  fake_.SetEngagement(post->external_id, FakeEngagement{.likes = 4, .replies = 1});
  fake_.SetShareStatistics(post->external_id, std::nullopt);

  absl::StatusOr<Engagement> engagement = channel().ReadEngagement(kAccount, post->external_id);

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 4);
  EXPECT_EQ(engagement->replies, 1);
  EXPECT_EQ(engagement->impressions, -1);
  EXPECT_EQ(engagement->clicks, -1);
  EXPECT_EQ(engagement->shares, -1);
  EXPECT_EQ(fake_.statistics_requests(), 1);
}

TEST_F(LinkedInChannelTest, ADeletedOrganizationPostIsNotFoundWithoutAStatisticsCall) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("Gone soon"));
  ASSERT_TRUE(post.ok()) << post.status();
  fake_.SetEngagement(post->external_id, FakeEngagement{.impressions = 50});
  ASSERT_TRUE(channel().Delete(kAccount, post->external_id).ok());

  absl::Status deleted = channel().ReadEngagement(kAccount, post->external_id).status();

  EXPECT_TRUE(absl::IsNotFound(deleted)) << deleted;
  EXPECT_EQ(FailureOf(deleted).kind, ChannelErrorKind::kPermanent);
  EXPECT_EQ(fake_.statistics_requests(), 0);
}

TEST_F(LinkedInChannelTest, AStatistics429IsRateLimitedAndTheNextReadingSendsNothing) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("Busy statistics"));
  ASSERT_TRUE(post.ok()) << post.status();
  fake_.QueueStatisticsFault(FakeFault::kRateLimited);

  ChannelFailure failure =
      FailureOf(channel().ReadEngagement(kAccount, post->external_id).status());
  int64_t requests = fake_.requests();
  ChannelFailure held = FailureOf(channel().ReadEngagement(kAccount, post->external_id).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(failure.retry_after, absl::Minutes(5));  // no Retry-After: options.rate_block
  EXPECT_EQ(held.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);
  EXPECT_EQ(fake_.statistics_requests(), 1);
}

TEST_F(LinkedInChannelTest, AStatistics503FailsTheReadingAsRetryable) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("Flaky statistics"));
  ASSERT_TRUE(post.ok()) << post.status();
  fake_.QueueStatisticsFault(FakeFault::kServerErrorBefore);

  ChannelFailure failure =
      FailureOf(channel().ReadEngagement(kAccount, post->external_id).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kRetryable);
  EXPECT_TRUE(channel().ReadEngagement(kAccount, post->external_id).ok());
}

TEST_F(LinkedInChannelTest, AMissingSummaryIsMinusOneAndADeletedPostIsNotFoundPermanent) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("Half counted"));
  ASSERT_TRUE(post.ok()) << post.status();
  fake_.SetEngagement(post->external_id, FakeEngagement{.likes = -1, .replies = 5});

  absl::StatusOr<Engagement> engagement = channel().ReadEngagement(kAccount, post->external_id);
  ASSERT_TRUE(channel().Delete(kAccount, post->external_id).ok());
  absl::Status deleted = channel().ReadEngagement(kAccount, post->external_id).status();

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, -1);
  EXPECT_EQ(engagement->replies, 5);
  EXPECT_TRUE(absl::IsNotFound(deleted)) << deleted;
  EXPECT_EQ(FailureOf(deleted).kind, ChannelErrorKind::kPermanent);
}

TEST_F(LinkedInChannelTest, AnEngagementRead429IsRateLimitedForTheBlock) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("Busy read"));
  ASSERT_TRUE(post.ok()) << post.status();
  fake_.QueueReadFault(FakeFault::kRateLimited);

  ChannelFailure failure =
      FailureOf(channel().ReadEngagement(kAccount, post->external_id).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(failure.retry_after, absl::Minutes(5));  // no Retry-After: options.rate_block
}

TEST_F(LinkedInChannelTest, ReadsTheOrganizationsFollowersFromNetworkSizes) {
  fake_.SetFollowers(kAuthor, 48213);

  absl::StatusOr<int64_t> followers = channel().ReadFollowers(kAccount);

  ASSERT_TRUE(followers.ok()) << followers.status();
  EXPECT_EQ(*followers, 48213);
  EXPECT_EQ(fake_.follower_reads(), 1);
}

TEST_F(LinkedInChannelTest, AFollowerRead429IsRateLimitedAndTheNextIsRefusedWithoutARequest) {
  fake_.QueueReadFault(FakeFault::kRateLimited);

  ChannelFailure failure = FailureOf(channel().ReadFollowers(kAccount).status());
  int64_t requests = fake_.requests();
  ChannelFailure held = FailureOf(channel().ReadFollowers(kAccount).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(failure.retry_after, absl::Minutes(5));
  EXPECT_EQ(held.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);
  EXPECT_EQ(fake_.follower_reads(), 0);
}

TEST_F(LinkedInChannelTest, AFollowerReadWithARevokedTokenIsAuthExpiredNotNamingIt) {
  fake_.RevokeToken(kToken);

  ChannelFailure failure = FailureOf(channel().ReadFollowers(kAccount).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_FALSE(absl::StrContains(failure.message, kToken)) << failure.message;
  EXPECT_EQ(fake_.follower_reads(), 0);
}

TEST_F(LinkedInChannelTest, AMemberAuthorsFollowersAreUnimplementedWithoutARequest) {
  Credential member = LinkedInCredential(kToken);
  member.fields["author_urn"] = "urn:li:person:8675309";
  credentials_.Set(kAccount, member);

  absl::Status status = channel().ReadFollowers(kAccount).status();

  EXPECT_TRUE(absl::IsUnimplemented(status)) << status;
  EXPECT_EQ(fake_.requests(), 0);
}

TEST_F(LinkedInChannelTest, A429BlocksForFiveMinutesAndTheLimiterThenRefusesWithoutARequest) {
  fake_.QueueFault(FakeFault::kRateLimited);
  ChannelFailure failure = FailureOf(channel().Publish(Request("Throttled")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(failure.retry_after, absl::Minutes(5));
  int64_t requests = fake_.requests();
  ChannelFailure refused = FailureOf(channel().Publish(Request("Throttled")).status());
  EXPECT_EQ(refused.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GT(refused.retry_after, absl::Minutes(4));
  EXPECT_EQ(fake_.requests(), requests);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(LinkedInChannelTest, AServerErrorAfterCommitIsUnknownAndFindPublishedFindsThePost) {
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

TEST_F(LinkedInChannelTest, AStallAfterCommitIsUnknownInFlightAndFindPublishedFindsThePost) {
  absl::Time since = absl::Now();
  auto channel = ChannelFor(fake_, LinkedInChannelOptions{.call_timeout = absl::Milliseconds(500)});
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

TEST_F(LinkedInChannelTest, AServerErrorBeforeCommitIsUnknownAndFindPublishedSaysAbsent) {
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

TEST_F(LinkedInChannelTest, AnExpiredTokenIsRefreshedOnceAndThePostGoesOut) {
  fake_.RevokeToken(kToken);
  fake_.AcceptToken(kNewToken);
  fake_.SetAuthor(kNewToken, kAuthor);
  credentials_.QueueRefresh(kAccount, LinkedInCredential(kNewToken));
  absl::StatusOr<Receipt> receipt = channel().Publish(Request("After a refresh"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(LinkedInChannelTest, ARefusedRefreshIsAuthExpiredNamingTheAccountNotTheToken) {
  fake_.RevokeToken(kToken);
  ChannelFailure failure = FailureOf(channel().Publish(Request("Nobody can post this")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  EXPECT_FALSE(absl::StrContains(failure.message, kToken)) << failure.message;
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST(LinkedInRevokedTokenTest, ARevokedTokenAfterARefreshIsAuthExpiredWithItsCode) {
  LinkedInFake fake(LinkedInFakeOptions{.token_revoked_answer = true});
  ASSERT_TRUE(fake.Start().ok());
  fake.AcceptToken("someone-elses-token");
  common::CurlHttpClient http;
  carecast::testing::StaticCredentialSource credentials;
  credentials.Set(kAccount, LinkedInCredential(kToken));
  credentials.QueueRefresh(kAccount, LinkedInCredential(kNewToken));  // also refused
  common::SystemClock clock;
  InMemoryRateLimiter limiter(clock);
  LinkedInChannel channel(LinkedInChannelOptions{.base_url = fake.base_url()}, http, credentials,
                          limiter, clock);
  ChannelFailure failure = FailureOf(channel.Publish(Request("Revoked")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(failure.message, "REVOKED_ACCESS_TOKEN")) << failure.message;
  EXPECT_FALSE(absl::StrContains(failure.message, kNewToken)) << failure.message;
  EXPECT_EQ(credentials.refresh_calls(), 1);
  EXPECT_EQ(fake.requests(), 2);
  EXPECT_EQ(fake.creates_accepted(), 0);
}

TEST_F(LinkedInChannelTest, ADuplicateIsPermanent) {
  ASSERT_TRUE(channel().Publish(Request("Said once")).ok());
  ChannelFailure failure = FailureOf(channel().Publish(Request("Said once")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "duplicate")) << failure.message;
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(LinkedInChannelTest, MissingAuthorUrnIsPermanent) {
  Credential credential;
  credential.access_token = kToken;
  credentials_.Set(kAccount, credential);
  ChannelFailure failure = FailureOf(channel().Publish(Request("No author")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "author_urn")) << failure.message;
  EXPECT_EQ(fake_.requests(), 0);
}

// LinkedIn announces no budget: the one 429 that says it is spent is the only
// request over the limit; after it the adapter sends nothing until the block ends.
TEST_F(LinkedInChannelTest, AfterTheOnly429SignalNothingMoreReachesTheNetwork) {
  fake_.SetRateLimit(3, absl::Hours(24));
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
    EXPECT_GT(failure.retry_after, absl::Minutes(4));
    ++refused;
  }
  EXPECT_EQ(published, 3);
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(fake_.over_limit_requests(), 1);
  EXPECT_EQ(fake_.requests(), 4);
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

TEST_F(LinkedInChannelTest, FindPublishedStopsAtOlderPostsAndGivesUpPastItsPages) {
  absl::Time now = absl::Now();
  for (int i = 0; i < 60; ++i)
    fake_.AddExistingPost(ExistingPost(absl::StrCat("last week ", i), now - absl::Hours(150)));
  absl::Time since = absl::Now();
  PublishRequest request = Request("Today's post");
  ASSERT_TRUE(channel().Publish(request).ok());
  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_TRUE(found->has_value());
  // A full page ending in posts older than the window is a complete answer.
  absl::StatusOr<std::optional<Receipt>> absent =
      channel().FindPublished(Request("Never sent"), since);
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->has_value());

  // 160 posts since the attempt: three pages of 50 cannot tell.
  for (int i = 0; i < 160; ++i)
    fake_.AddExistingPost(ExistingPost(absl::StrCat("busy day ", i), absl::Now()));
  absl::StatusOr<std::optional<Receipt>> unknown =
      channel().FindPublished(Request("Never sent"), since);
  EXPECT_EQ(FailureOf(unknown.status()).kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

MediaRef HostedImage(const LinkedInFake& fake, const std::string& name, const std::string& alt) {
  return {absl::StrCat(fake.base_url(), "/files/", name), alt, "image/png"};
}

TEST_F(LinkedInChannelTest, UploadsImagesAndPostsOneAsMediaAndSeveralAsMultiImage) {
  fake_.AddFile("ward.png", "png-bytes-ward", "image/png");
  fake_.AddFile("team.png", "png-bytes-team", "image/png");
  PublishRequest one = Request("Our new ward");
  one.media = {HostedImage(fake_, "ward.png", "The new ward, bright and quiet")};
  absl::StatusOr<Receipt> first = channel().Publish(one);
  ASSERT_TRUE(first.ok()) << first.status();
  FakePost stored = *fake_.FindPost(first->external_id);
  EXPECT_TRUE(absl::StartsWith(stored.attributes["image_ids"], "urn:li:image:"));
  EXPECT_EQ(stored.attributes["alt_texts"], R"(["The new ward, bright and quiet"])");

  PublishRequest two = Request("Meet the team");
  two.media = {HostedImage(fake_, "ward.png", "The ward"),
               HostedImage(fake_, "team.png", "Nurses of the ward")};
  absl::StatusOr<Receipt> second = channel().Publish(two);
  ASSERT_TRUE(second.ok()) << second.status();
  stored = *fake_.FindPost(second->external_id);
  std::vector<std::string> ids = absl::StrSplit(stored.attributes["image_ids"], ',');
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(stored.attributes["alt_texts"], R"(["The ward","Nurses of the ward"])");
  EXPECT_EQ(fake_.uploads_accepted(), 3);
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(LinkedInChannelTest, ACommentCarriesOneImageAndRefusesTwo) {
  fake_.AddFile("ward.png", "png-bytes-ward", "image/png");
  absl::StatusOr<Receipt> post = channel().Publish(Request("A post to answer"));
  ASSERT_TRUE(post.ok()) << post.status();
  PublishRequest reply = Request("Here is the map", post->external_id);
  reply.media = {HostedImage(fake_, "ward.png", "Map")};
  absl::StatusOr<Receipt> comment = channel().Publish(reply);
  ASSERT_TRUE(comment.ok()) << comment.status();
  EXPECT_TRUE(
      absl::StartsWith(fake_.FindPost(comment->external_id)->attributes["image_ids"], "urn:li:"));
  reply.media.push_back(HostedImage(fake_, "ward.png", "Again"));
  ChannelFailure failure = FailureOf(channel().Publish(reply).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "at most one image")) << failure.message;
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(LinkedInChannelTest, AnImageThatCannotBeFetchedIsPermanentAndNothingIsSent) {
  PublishRequest request = Request("Missing image");
  request.media = {HostedImage(fake_, "missing.png?sig=secret", "alt")};
  ChannelFailure failure = FailureOf(channel().Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_FALSE(absl::StrContains(failure.message, "secret")) << failure.message;
  EXPECT_EQ(fake_.uploads_accepted(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(LinkedInChannelTest, AnUploadServerErrorIsRetryableAndCreatesNothing) {
  fake_.AddFile("ward.png", "png-bytes-ward", "image/png");
  PublishRequest request = Request("Retry me");
  request.media = {HostedImage(fake_, "ward.png", "The ward")};
  fake_.FailNextUpload(500);
  EXPECT_EQ(FailureOf(channel().Publish(request).status()).kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(fake_.creates_accepted(), 0);
  ASSERT_TRUE(channel().Publish(request).ok());
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(LinkedInChannelTest, MoreThanTwentyImagesArePermanentBeforeAnyRequest) {
  PublishRequest request = Request("A big album");
  for (int i = 0; i < 21; ++i) request.media.push_back(HostedImage(fake_, "a.png", "alt"));
  ChannelFailure failure = FailureOf(channel().Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "at most 20 images")) << failure.message;
  EXPECT_EQ(fake_.requests(), 0);
}

}  // namespace
}  // namespace carecast::publisher
