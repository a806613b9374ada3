#include "services/publisher/channels/mastodon_channel.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "services/common/base/clock.h"
#include "services/common/http/curl_http_client.h"
#include "services/publisher/channels/http_channel_support.h"
#include "services/publisher/channels/in_memory_rate_limiter.h"
#include "tests/support/fake_networks/mastodon_fake.h"
#include "tests/support/static_credential_source.h"

namespace carecast::publisher {
namespace {

using carecast::testing::FakeEngagement;
using carecast::testing::FakeFault;
using carecast::testing::FakePost;
using carecast::testing::MastodonFake;
using carecast::testing::StaticCredentialSource;

constexpr char kAccount[] = "spokes/north/accounts/mastodon-main";

ChannelErrorKind KindOf(const absl::Status& status) { return ClassifyChannelError(status).kind; }

class MastodonChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Start().ok());
    credentials_.Set(kAccount, Token("token-1"));
  }

  Credential Token(const std::string& token) const {
    Credential credential;
    credential.access_token = token;
    credential.fields["user_id"] = fake_.settings().account_id;
    return credential;
  }

  std::unique_ptr<MastodonChannel> MakeChannel(absl::Duration call_timeout = absl::Seconds(10)) {
    MastodonChannelOptions options;
    options.base_url = absl::StrCat(fake_.base_url(), "/");  // dropped by the adapter
    options.call_timeout = call_timeout;
    options.media_poll_interval = absl::Milliseconds(20);
    return std::make_unique<MastodonChannel>(options, http_, credentials_, limiter_, clock_);
  }

  static PublishRequest Request(const std::string& key, const std::string& text) {
    PublishRequest request;
    request.post = absl::StrCat("posts/", key);
    request.content_version = 1;
    request.idempotency_key = absl::StrCat(key, ".v1");
    request.account = kAccount;
    request.network = carecast::v1::NETWORK_MASTODON;
    request.text = text;
    return request;
  }

  MastodonFake fake_;
  common::SystemClock clock_;
  common::CurlHttpClient http_;
  StaticCredentialSource credentials_;
  InMemoryRateLimiter limiter_{clock_};
};

TEST_F(MastodonChannelTest, PublishesOnceAndTheKeyReplaysTheFirstStatus) {
  auto channel = MakeChannel();
  EXPECT_EQ(channel->idempotency(), IdempotencyModel::kNativeKey);
  PublishRequest request = Request("p1", "Flu clinics open Saturday #flu https://example.org/flu");

  absl::StatusOr<Receipt> first = channel->Publish(request);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<Receipt> again = channel->Publish(request);
  ASSERT_TRUE(again.ok()) << again.status();

  EXPECT_EQ(again->external_id, first->external_id);
  EXPECT_EQ(first->url, fake_.StatusUrl(first->external_id));
  std::optional<FakePost> post = fake_.FindPost(first->external_id);
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->text, request.text);
  EXPECT_EQ(post->attributes["idempotency_key"], "p1.v1");
  EXPECT_EQ(fake_.idempotent_replays(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(MastodonChannelTest, RepliesInAThread) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> parent = channel->Publish(Request("p1", "Thread 1/2"));
  ASSERT_TRUE(parent.ok()) << parent.status();
  PublishRequest reply = Request("p2", "Thread 2/2");
  reply.in_reply_to = parent->external_id;

  absl::StatusOr<Receipt> child = channel->Publish(reply);

  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(fake_.FindPost(child->external_id)->in_reply_to, parent->external_id);
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(MastodonChannelTest, DeletesAndReportsAMissingStatusAsNotFound) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "To be removed"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();

  ASSERT_TRUE(channel->Delete(kAccount, receipt->external_id).ok());
  absl::Status again = channel->Delete(kAccount, receipt->external_id);

  EXPECT_TRUE(fake_.FindPost(receipt->external_id)->deleted);
  EXPECT_TRUE(absl::IsNotFound(again)) << again;
  EXPECT_EQ(KindOf(again), ChannelErrorKind::kPermanent);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

// What automatic takedown relies on: a delete's 429 is rate-limited with the
// instance's wait, an expired token (no refresh) is auth-expired, and the fake
// counts only the delete that removed the status.
TEST_F(MastodonChannelTest, ADeleteFailsAsRateLimitedOrAuthExpiredAndOnlyTheRealOneCounts) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "To be removed"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.QueueDeleteFault(FakeFault::kTokenExpired);

  absl::Status expired = channel->Delete(kAccount, receipt->external_id);

  EXPECT_EQ(KindOf(expired), ChannelErrorKind::kAuthExpired) << expired;
  EXPECT_EQ(fake_.deletes_accepted(), 0);
  ASSERT_TRUE(channel->Delete(kAccount, receipt->external_id).ok());
  EXPECT_EQ(fake_.deletes_accepted(), 1);
  EXPECT_EQ(fake_.live_posts(), 0);
  EXPECT_TRUE(absl::IsNotFound(channel->Delete(kAccount, receipt->external_id)));
  EXPECT_EQ(fake_.deletes_accepted(), 1);
}

TEST_F(MastodonChannelTest, ADeleteAnswered429IsRateLimitedWithTheInstancesWait) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "To be removed"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.QueueDeleteFault(FakeFault::kRateLimited);

  absl::Status limited = channel->Delete(kAccount, receipt->external_id);

  ChannelFailure failure = ClassifyChannelError(limited);
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited) << limited;
  EXPECT_GT(failure.retry_after, absl::ZeroDuration());
  EXPECT_EQ(fake_.live_posts(), 1);
}

TEST_F(MastodonChannelTest, ListsRecentStatusesNewestFirstAsPlainText) {
  auto channel = MakeChannel();
  absl::Time start = absl::Now() - absl::Seconds(1);
  FakePost old;
  old.author = fake_.settings().account_id;
  old.text = "Last week's post";
  old.create_time = start - absl::Hours(24 * 7);
  fake_.AddExistingPost(old);
  ASSERT_TRUE(channel->Publish(Request("p1", "First")).ok());
  ASSERT_TRUE(channel->Publish(Request("p2", "Second #health\n\nAT&T <3")).ok());
  ASSERT_TRUE(channel->Publish(Request("p3", "Third https://example.org/x?a=1&b=2")).ok());

  absl::StatusOr<std::vector<RemotePost>> two = channel->ListRecent(kAccount, start, 2);
  absl::StatusOr<std::vector<RemotePost>> all = channel->ListRecent(kAccount, start, 10);

  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].text, "Third https://example.org/x?a=1&b=2");
  EXPECT_EQ((*two)[1].text, "Second #health\n\nAT&T <3");
  EXPECT_GE((*two)[1].create_time, start);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 3u);  // not last week's
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

TEST_F(MastodonChannelTest, ReadsEngagement) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "Read me"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.SetEngagement(receipt->external_id, FakeEngagement{7, 3, 2, 0, 0});

  absl::StatusOr<Engagement> engagement = channel->ReadEngagement(kAccount, receipt->external_id);

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 7);
  EXPECT_EQ(engagement->shares, 3);
  EXPECT_EQ(engagement->replies, 2);
  EXPECT_EQ(engagement->impressions, -1);
  EXPECT_EQ(engagement->clicks, -1);
  EXPECT_TRUE(absl::IsNotFound(channel->ReadEngagement(kAccount, "424242").status()));
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(MastodonChannelTest, EngagementLeavesUnreportedCountsAtMinusOneAndADeletedStatusNotFound) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "Read me"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.SetEngagement(receipt->external_id, FakeEngagement{5, -1, 4, 0, 0});

  absl::StatusOr<Engagement> engagement = channel->ReadEngagement(kAccount, receipt->external_id);
  ASSERT_TRUE(channel->Delete(kAccount, receipt->external_id).ok());
  absl::Status deleted = channel->ReadEngagement(kAccount, receipt->external_id).status();

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 5);
  EXPECT_EQ(engagement->shares, -1);
  EXPECT_EQ(engagement->replies, 4);
  EXPECT_TRUE(absl::IsNotFound(deleted)) << deleted;
  EXPECT_EQ(KindOf(deleted), ChannelErrorKind::kPermanent);
}

TEST_F(MastodonChannelTest, AnEngagementRead429IsRateLimitedWithTheInstancesWait) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "Read me"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.QueueReadFault(FakeFault::kRateLimited);  // reset in 2s

  ChannelFailure failure =
      ClassifyChannelError(channel->ReadEngagement(kAccount, receipt->external_id).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GE(failure.retry_after, absl::Milliseconds(500));
  EXPECT_LE(failure.retry_after, absl::Seconds(3));
}

TEST_F(MastodonChannelTest, ReadsFollowersFromVerifyCredentials) {
  auto channel = MakeChannel();
  fake_.SetFollowers(fake_.settings().account_id, 1234);

  absl::StatusOr<int64_t> followers = channel->ReadFollowers(kAccount);

  ASSERT_TRUE(followers.ok()) << followers.status();
  EXPECT_EQ(*followers, 1234);
  EXPECT_EQ(fake_.follower_reads(), 1);
}

TEST_F(MastodonChannelTest, AFollowerRead429IsRateLimitedWithTheInstancesWait) {
  auto channel = MakeChannel();
  fake_.QueueReadFault(FakeFault::kRateLimited);

  ChannelFailure limited = ClassifyChannelError(channel->ReadFollowers(kAccount).status());
  EXPECT_EQ(limited.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GT(limited.retry_after, absl::ZeroDuration());
  EXPECT_EQ(fake_.follower_reads(), 0);
}

TEST_F(MastodonChannelTest, AFollowerReadWithARevokedTokenIsAuthExpired) {
  auto channel = MakeChannel();
  fake_.RevokeToken("token-1");

  absl::Status status = channel->ReadFollowers(kAccount).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kAuthExpired) << status;
  EXPECT_THAT(std::string(status.message()), ::testing::Not(::testing::HasSubstr("token-1")));
  EXPECT_EQ(fake_.follower_reads(), 0);
}

TEST_F(MastodonChannelTest, A429WaitsForTheResetAndThenNothingIsSent) {
  auto channel = MakeChannel();
  fake_.QueueFault(FakeFault::kRateLimited);  // reset in 2s

  absl::Status limited = channel->Publish(Request("p1", "Busy")).status();
  int64_t requests = fake_.requests();
  absl::Status held = channel->Publish(Request("p1", "Busy")).status();

  ChannelFailure failure = ClassifyChannelError(limited);
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GE(failure.retry_after, absl::Milliseconds(500));
  EXPECT_LE(failure.retry_after, absl::Seconds(3));
  EXPECT_EQ(KindOf(held), ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);  // the limiter refused without a request
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(MastodonChannelTest, AServerErrorAfterCommitIsUnknownAndThenFound) {
  auto channel = MakeChannel();
  absl::Time start = absl::Now();
  PublishRequest request = Request("p1", "Committed then 500 #vaccines");
  fake_.QueueFault(FakeFault::kServerErrorAfter);

  absl::Status status = channel->Publish(request).status();
  absl::StatusOr<std::optional<Receipt>> found = channel->FindPublished(request, start);

  ChannelFailure failure = ClassifyChannelError(status);
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_FALSE(failure.may_be_in_flight);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, fake_.posts().front().id);
  EXPECT_EQ((*found)->url, fake_.StatusUrl(fake_.posts().front().id));
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(MastodonChannelTest, AStallAfterCommitIsInFlightAndThenFound) {
  auto channel = MakeChannel(absl::Milliseconds(500));
  absl::Time start = absl::Now();
  PublishRequest request = Request("p1", "Committed, answer late");
  fake_.set_stall(absl::Seconds(10));
  fake_.QueueFault(FakeFault::kTimeoutAfterCommit);

  absl::Status status = channel->Publish(request).status();
  absl::StatusOr<std::optional<Receipt>> found = channel->FindPublished(request, start);

  ChannelFailure failure = ClassifyChannelError(status);
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_TRUE(failure.may_be_in_flight);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, fake_.posts().front().id);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(MastodonChannelTest, AServerErrorBeforeCommitIsFoundAbsent) {
  auto channel = MakeChannel();
  absl::Time start = absl::Now();
  PublishRequest request = Request("p1", "Never stored");
  fake_.QueueFault(FakeFault::kServerErrorBefore);

  absl::Status status = channel->Publish(request).status();
  absl::StatusOr<std::optional<Receipt>> found = channel->FindPublished(request, start);

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kOutcomeUnknown);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(MastodonChannelTest, FindPublishedListsAfterTheKeyIsForgottenAndCreatesNothing) {
  auto channel = MakeChannel();
  absl::Time start = absl::Now();
  PublishRequest request =
      Request("p1", "Walk-in hours:\nMon-Fri 8-5 #care\n\nDetails https://example.org/a?b=1&c=2");
  absl::StatusOr<Receipt> receipt = channel->Publish(request);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.ForgetIdempotencyKeys();
  PublishRequest other_thread = request;
  other_thread.in_reply_to = receipt->external_id;

  absl::StatusOr<std::optional<Receipt>> found = channel->FindPublished(request, start);
  absl::StatusOr<std::optional<Receipt>> not_a_reply = channel->FindPublished(other_thread, start);

  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, receipt->external_id);
  ASSERT_TRUE(not_a_reply.ok()) << not_a_reply.status();
  EXPECT_FALSE(not_a_reply->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(MastodonChannelTest, FindPublishedIgnoresStatusesBeforeTheAttempt) {
  auto channel = MakeChannel();
  FakePost earlier;
  earlier.author = fake_.settings().account_id;
  earlier.text = "Same words";
  earlier.create_time = absl::Now() - absl::Hours(3);
  fake_.AddExistingPost(earlier);

  absl::StatusOr<std::optional<Receipt>> found =
      channel->FindPublished(Request("p1", "Same words"), absl::Now());

  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(MastodonChannelTest, ReadsTheAccountIdOnceWhenTheCredentialHasNone) {
  Credential credential;
  credential.access_token = "token-1";
  credentials_.Set(kAccount, credential);
  auto channel = MakeChannel();

  ASSERT_TRUE(channel->FindPublished(Request("p1", "x"), absl::Now()).ok());
  ASSERT_TRUE(channel->ListRecent(kAccount, absl::Now() - absl::Hours(1), 5).ok());

  EXPECT_EQ(fake_.verify_credentials_calls(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(MastodonChannelTest, AnExpiredTokenIsRefreshedOnceAndTheCallRepeated) {
  auto channel = MakeChannel();
  credentials_.QueueRefresh(kAccount, Token("token-2"));
  fake_.QueueFault(FakeFault::kTokenExpired);

  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "After refresh"));

  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(MastodonChannelTest, ARefusedRefreshIsAuthExpiredNamingTheAccount) {
  auto channel = MakeChannel();
  fake_.RevokeToken("token-1");

  absl::Status status = channel->Publish(Request("p1", "Nobody hears")).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kAuthExpired);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(kAccount));
  EXPECT_THAT(std::string(status.message()), ::testing::Not(::testing::HasSubstr("token-1")));
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(MastodonChannelTest, MissingCredentialsAreAuthExpiredWithoutARequest) {
  auto channel = MakeChannel();
  PublishRequest request = Request("p1", "No account");
  request.account = "spokes/north/accounts/unknown";

  absl::Status status = channel->Publish(request).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kAuthExpired);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(request.account));
  EXPECT_EQ(fake_.requests(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(MastodonChannelTest, ValidationRefusalsArePermanent) {
  auto channel = MakeChannel();
  fake_.QueueFault(FakeFault::kDuplicateRefusal);

  absl::Status scripted = channel->Publish(Request("p1", "Refused")).status();
  absl::Status too_long = channel->Publish(Request("p2", std::string(501, 'a'))).status();

  EXPECT_EQ(KindOf(scripted), ChannelErrorKind::kPermanent);
  EXPECT_EQ(KindOf(too_long), ChannelErrorKind::kPermanent);
  EXPECT_THAT(std::string(too_long.message()), ::testing::HasSubstr("character limit"));
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(MastodonChannelTest, APassedDeadlineSendsNothing) {
  auto channel = MakeChannel();
  PublishRequest request = Request("p1", "Too late");
  request.deadline = absl::Now() - absl::Seconds(1);

  absl::Status status = channel->Publish(request).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kRetryable);
  EXPECT_EQ(fake_.requests(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(MastodonChannelTest, StaysWithinTheInstanceRateLimit) {
  auto channel = MakeChannel();
  fake_.SetRateLimit(3, absl::Minutes(1));
  int published = 0;
  int limited = 0;

  for (int i = 0; i < 6; ++i) {
    absl::StatusOr<Receipt> receipt =
        channel->Publish(Request(absl::StrCat("p", i), absl::StrCat("Post ", i)));
    if (receipt.ok()) {
      ++published;
    } else {
      ChannelFailure failure = ClassifyChannelError(receipt.status());
      EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited) << receipt.status();
      EXPECT_GT(failure.retry_after, absl::ZeroDuration());
      EXPECT_LE(failure.retry_after, absl::Minutes(1));
      ++limited;
    }
  }

  EXPECT_EQ(published, 3);
  EXPECT_EQ(limited, 3);
  EXPECT_EQ(fake_.over_limit_requests(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

TEST_F(MastodonChannelTest, UploadsImagesWithAltTextBeforeTheStatus) {
  auto channel = MakeChannel();
  fake_.AddFile("clinic.png", std::string("\x89PNG\r\n\x1a\nfake-image-bytes", 24), "image/png");
  fake_.AddFile("map.jpg", "jpeg-bytes", "image/jpeg");
  fake_.set_media_processing_polls(2);  // the first upload answers 202, then 206 twice
  PublishRequest request = Request("p1", "New clinic");
  request.media = {
      {absl::StrCat(fake_.base_url(), "/files/clinic.png"), "The new clinic entrance", "image/png"},
      {absl::StrCat(fake_.base_url(), "/files/map.jpg"), "Map to the clinic", ""}};

  absl::StatusOr<Receipt> receipt = channel->Publish(request);

  ASSERT_TRUE(receipt.ok()) << receipt.status();
  std::map<std::string, std::string> media = fake_.media_descriptions();
  ASSERT_EQ(media.size(), 2u);
  EXPECT_EQ(media.begin()->second, "The new clinic entrance");
  EXPECT_EQ(media.rbegin()->second, "Map to the clinic");
  EXPECT_EQ(fake_.FindPost(receipt->external_id)->attributes["media_ids"],
            absl::StrCat(media.begin()->first, ",", media.rbegin()->first));
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(MastodonChannelTest, AnImageThatCannotBeFetchedFailsThePostBeforeAnyCreate) {
  auto channel = MakeChannel();
  PublishRequest request = Request("p1", "Missing image");
  request.media = {
      {absl::StrCat(fake_.base_url(), "/files/missing.png?sig=secret"), "alt", "image/png"}};

  absl::Status status = channel->Publish(request).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kPermanent);
  EXPECT_THAT(std::string(status.message()), ::testing::Not(::testing::HasSubstr("secret")));
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST(MastodonContentToTextTest, RecoversWhatWasPostedFromMastodonHtml) {
  std::string text =
      "Flu shots today! #FluSeason\nBook: https://example.org/a-very-long-path/to/booking?x=1&y=2"
      "\n\nQuestions? Call us <3";
  std::string html = carecast::testing::RenderMastodonContent(text, "https://masto.example");

  std::string plain = MastodonContentToText(html);

  EXPECT_EQ(plain, text);
  EXPECT_TRUE(SameTextAsSent(text, plain));
  EXPECT_FALSE(SameTextAsSent("Flu shots today!", plain));
}

}  // namespace
}  // namespace carecast::publisher
