// InstagramChannel against the local Instagram fake, over real HTTP
// (CurlHttpClient): the two phases and every container state, a crash between
// them, the publishing quota, replies, listing, engagement, every error kind,
// and rate-limit compliance measured at the fake.
#include "services/publisher/channels/instagram_channel.h"

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
#include "tests/support/fake_networks/instagram_fake.h"
#include "tests/support/static_credential_source.h"

namespace carecast::publisher {
namespace {

using ::carecast::testing::FakeFault;
using ::carecast::testing::FakePost;
using ::carecast::testing::InstagramFake;

constexpr char kAccount[] = "spokes/north/accounts/ig-main";
constexpr char kToken[] = "ig-token-5d2a";
constexpr char kNewToken[] = "ig-token-8e4b";
constexpr char kImage[] = "https://cdn.example.org/flu-clinic.jpg";
constexpr char kAlt[] = "A nurse giving a flu shot";

ChannelFailure FailureOf(const absl::Status& status) {
  EXPECT_FALSE(status.ok());
  return ClassifyChannelError(status);
}

class InstagramChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Start().ok());
    fake_.AcceptToken(kToken);
    credentials_.Set(kAccount, Credential{kToken, {{"ig_user_id", fake_.ig_user_id()}}});
    channel_ = MakeChannel(Options());
  }

  InstagramChannelOptions Options() {
    InstagramChannelOptions options;
    options.base_url = fake_.base_url();
    options.call_timeout = absl::Seconds(5);
    options.container_poll_initial = absl::Milliseconds(10);
    options.container_poll_max = absl::Milliseconds(40);
    return options;
  }
  std::unique_ptr<InstagramChannel> MakeChannel(const InstagramChannelOptions& options) {
    return std::make_unique<InstagramChannel>(options, http_, credentials_, limiter_, clock_);
  }

  // A post whose save_progress records into `progress_`, as the publisher
  // stores channel_progress.
  PublishRequest Request(const std::string& caption) {
    PublishRequest request;
    request.post = "posts/p1";
    request.content_version = 1;
    request.idempotency_key = "p1.v1";
    request.account = kAccount;
    request.network = carecast::v1::NETWORK_INSTAGRAM;
    request.text = caption;
    request.media.push_back({kImage, kAlt, "image/jpeg"});
    request.save_progress = [this](std::string_view key, std::string_view value) {
      progress_[std::string(key)] = std::string(value);
      return absl::OkStatus();
    };
    return request;
  }
  // The same post on a later attempt: what the earlier attempt saved.
  PublishRequest Again(const std::string& caption) {
    PublishRequest request = Request(caption);
    request.progress = progress_;
    return request;
  }

  // Declared first, so it stops last: the client's pooled keep-alive
  // connections are closed by then and the server need not wait them out.
  InstagramFake fake_;
  common::FakeClock clock_{absl::Now()};
  common::CurlHttpClient http_;
  carecast::testing::StaticCredentialSource credentials_;
  InMemoryRateLimiter limiter_{clock_};
  std::unique_ptr<InstagramChannel> channel_;
  std::map<std::string, std::string> progress_;
};

TEST_F(InstagramChannelTest, PublishesAnImageInTwoPhases) {
  EXPECT_EQ(channel_->idempotency(), IdempotencyModel::kTwoPhase);
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("Flu shots today #health"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->url, InstagramFake::PermalinkOf(receipt->external_id));
  std::optional<FakePost> media = fake_.FindPost(receipt->external_id);
  ASSERT_TRUE(media.has_value());
  EXPECT_EQ(media->text, "Flu shots today #health");
  EXPECT_EQ(media->attributes["media_url"], kImage);
  EXPECT_EQ(media->attributes["alt_text"], kAlt);
  // The container id was saved before the second phase, and that container is done.
  ASSERT_EQ(progress_.count("container_id"), 1u);
  EXPECT_EQ(media->attributes["container_id"], progress_["container_id"]);
  EXPECT_EQ(fake_.ContainerStatus(progress_["container_id"]), "PUBLISHED");
  EXPECT_EQ(fake_.containers_created(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(InstagramChannelTest, RefusesAPostWithoutAnImage) {
  PublishRequest request = Request("Words only.");
  request.media.clear();
  ChannelFailure failure = FailureOf(channel_->Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "Instagram needs an image")) << failure.message;
  EXPECT_EQ(fake_.requests(), 0);
}

TEST_F(InstagramChannelTest, WaitsWhileTheContainerIsProcessing) {
  fake_.set_status_reads_to_finish(3);
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("Processing takes a moment."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(InstagramChannelTest, ContainerStillProcessingIsRetryableAndReusedNextAttempt) {
  fake_.set_status_reads_to_finish(4);
  InstagramChannelOptions hasty = Options();
  hasty.max_status_reads = 2;
  ChannelFailure failure = FailureOf(MakeChannel(hasty)->Publish(Request("Slow image.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(fake_.ContainerStatus(progress_["container_id"]), "IN_PROGRESS");
  absl::StatusOr<Receipt> receipt = channel_->Publish(Again("Slow image."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(fake_.containers_created(), 1);  // the saved container, not a new one
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(InstagramChannelTest, CrashBetweenThePhasesNeverPublishesTwice) {
  fake_.QueueFault(FakeFault::kServerErrorAfter);
  ChannelFailure failure = FailureOf(channel_->Publish(Request("Crash test caption.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  ASSERT_EQ(fake_.creates_accepted(), 1);
  ASSERT_EQ(progress_.count("container_id"), 1u);

  absl::StatusOr<Receipt> receipt = channel_->Publish(Again("Crash test caption."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->external_id, fake_.posts().back().id);
  EXPECT_EQ(receipt->url, InstagramFake::PermalinkOf(receipt->external_id));
  EXPECT_EQ(fake_.publish_calls(), 1);  // the status said PUBLISHED: not called again
  EXPECT_EQ(fake_.creates_accepted(), 1);

  absl::StatusOr<std::optional<Receipt>> found =
      channel_->FindPublished(Again("Crash test caption."), absl::Now());
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, receipt->external_id);
}

TEST_F(InstagramChannelTest, ServerErrorBeforeCommitIsNotPublishedAndTheContainerIsReused) {
  absl::Time since = absl::Now();
  fake_.QueueFault(FakeFault::kServerErrorBefore);
  ChannelFailure failure = FailureOf(channel_->Publish(Request("Before commit.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_FALSE(failure.may_be_in_flight);
  absl::StatusOr<std::optional<Receipt>> found =
      channel_->FindPublished(Again("Before commit."), since);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());  // the container is FINISHED, not PUBLISHED
  EXPECT_EQ(fake_.creates_accepted(), 0);

  absl::StatusOr<Receipt> receipt = channel_->Publish(Again("Before commit."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(fake_.containers_created(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(InstagramChannelTest, StallAfterCommitIsInFlightAndThenFound) {
  InstagramChannelOptions impatient = Options();
  impatient.call_timeout = absl::Milliseconds(500);
  fake_.set_stall(absl::Seconds(5));
  fake_.QueueFault(FakeFault::kTimeoutAfterCommit);
  absl::Time since = absl::Now();
  ChannelFailure failure =
      FailureOf(MakeChannel(impatient)->Publish(Request("Stalled answer.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_TRUE(failure.may_be_in_flight);
  absl::StatusOr<std::optional<Receipt>> found =
      channel_->FindPublished(Again("Stalled answer."), since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, fake_.posts().back().id);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(InstagramChannelTest, ExpiredContainerIsReplacedOnTheNextAttempt) {
  fake_.set_status_reads_to_finish(100);
  InstagramChannelOptions hasty = Options();
  hasty.max_status_reads = 1;
  absl::Time since = absl::Now();
  EXPECT_EQ(FailureOf(MakeChannel(hasty)->Publish(Request("Expiring.")).status()).kind,
            ChannelErrorKind::kRetryable);
  fake_.ExpireContainer(progress_["container_id"]);
  absl::StatusOr<std::optional<Receipt>> found = channel_->FindPublished(Again("Expiring."), since);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());

  fake_.set_status_reads_to_finish(0);
  absl::StatusOr<Receipt> receipt = channel_->Publish(Again("Expiring."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(fake_.containers_created(), 2);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(InstagramChannelTest, ContainerErrorIsPermanentWithMetasText) {
  PublishRequest request = Request("Broken image.");
  // The container fails as soon as it exists.
  request.save_progress = [this](std::string_view key, std::string_view value) {
    progress_[std::string(key)] = std::string(value);
    fake_.FailContainer(std::string(value), "Error: the image's aspect ratio is not supported");
    return absl::OkStatus();
  };
  ChannelFailure failure = FailureOf(channel_->Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "aspect ratio")) << failure.message;
  EXPECT_EQ(fake_.publish_calls(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(InstagramChannelTest, UnsavedContainerIdIsRetryableAndNothingIsPublished) {
  PublishRequest request = Request("Cannot save.");
  request.save_progress = [](std::string_view, std::string_view) {
    return absl::UnavailableError("store unreachable");
  };
  EXPECT_EQ(FailureOf(channel_->Publish(request).status()).kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(fake_.containers_created(), 1);
  EXPECT_EQ(fake_.publish_calls(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(InstagramChannelTest, MediaFetchFailureIsRetryable) {
  fake_.FailNextMediaFetch();
  EXPECT_EQ(FailureOf(channel_->Publish(Request("Image host down.")).status()).kind,
            ChannelErrorKind::kRetryable);
  EXPECT_TRUE(channel_->Publish(Request("Image host down.")).ok());
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(InstagramChannelTest, SpentPublishingQuotaMakesNoContainer) {
  fake_.set_quota_used_elsewhere(50);
  ChannelFailure failure = FailureOf(channel_->Publish(Request("Over quota.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(failure.retry_after, absl::Hours(1));
  EXPECT_EQ(fake_.containers_created(), 0);
  int64_t requests = fake_.requests();
  EXPECT_EQ(FailureOf(channel_->Publish(Request("Over quota.")).status()).kind,
            ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);  // held by the limiter
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(InstagramChannelTest, CachedQuotaCountsOwnPublications) {
  fake_.set_quota_used_elsewhere(49);
  ASSERT_TRUE(channel_->Publish(Request("The last slot.")).ok());
  int64_t requests = fake_.requests();
  ChannelFailure failure = FailureOf(channel_->Publish(Request("One too many.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);  // decided from the cached quota
  EXPECT_EQ(fake_.containers_created(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(InstagramChannelTest, ThrottleRefusalWaitsAndTheLimiterThenHoldsCalls) {
  fake_.QueueFault(FakeFault::kRateLimited);  // played on media_publish
  ChannelFailure failure = FailureOf(channel_->Publish(Request("Throttled.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(failure.retry_after, absl::Minutes(1));
  int64_t requests = fake_.requests();
  EXPECT_EQ(FailureOf(channel_->Publish(Again("Throttled.")).status()).kind,
            ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(InstagramChannelTest, ARefusedTokenIsRefreshedAndTheCreateSentOnceMore) {
  // An operator put a new token in the account's token file.
  fake_.AcceptToken(kNewToken);
  fake_.RevokeToken(kToken);  // 400, code 190 subcode 463
  credentials_.QueueRefresh(kAccount, Credential{kNewToken, {{"ig_user_id", fake_.ig_user_id()}}});
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("Meet our midwives."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  // Refreshed once; the container, its status reads and media_publish all
  // went with the new token after the first refusal.
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(credentials_.rejected_tokens(), std::vector<std::string>{kToken});
  EXPECT_EQ(fake_.containers_created(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(InstagramChannelTest, ARefusedTokenThatCannotBeRefreshedAsksForAReconnect) {
  fake_.RevokeToken(kToken);  // nothing queued: Refresh answers UNAUTHENTICATED
  ChannelFailure failure = FailureOf(channel_->Publish(Request("Any caption.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  EXPECT_TRUE(absl::StrContains(failure.message, "reconnect")) << failure.message;
  EXPECT_FALSE(absl::StrContains(failure.message, kToken)) << failure.message;
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(credentials_.rejected_tokens(), std::vector<std::string>{kToken});
  EXPECT_EQ(fake_.containers_created(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(InstagramChannelTest, ARefusedTokenWhoseRefreshIsUnavailableIsRetryable) {
  fake_.RevokeToken(kToken);
  credentials_.FailRefresh(kAccount, absl::UnavailableError("token store unavailable"));
  ChannelFailure failure = FailureOf(channel_->Publish(Request("Any caption.")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRetryable);
  EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.containers_created(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(InstagramChannelTest, RepliesAsACommentAndFindsTheReply) {
  absl::StatusOr<Receipt> parent = channel_->Publish(Request("Meet our new nurses."));
  ASSERT_TRUE(parent.ok()) << parent.status();
  absl::Time since = absl::Now();
  PublishRequest reply = Request("Welcome, everyone!");
  reply.media.clear();
  reply.in_reply_to = parent->external_id;
  absl::StatusOr<Receipt> comment = channel_->Publish(reply);
  ASSERT_TRUE(comment.ok()) << comment.status();
  EXPECT_EQ(fake_.FindPost(comment->external_id)->in_reply_to, parent->external_id);
  absl::StatusOr<std::optional<Receipt>> found = channel_->FindPublished(reply, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, comment->external_id);
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(InstagramChannelTest, FindPublishedWithoutAContainerMatchesTheCaption) {
  absl::Time since = absl::Now();
  PublishRequest request = Request("Found by caption.");
  ASSERT_TRUE(channel_->Publish(request).ok());
  absl::StatusOr<std::optional<Receipt>> found = channel_->FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  absl::StatusOr<std::optional<Receipt>> other =
      channel_->FindPublished(Request("Never posted."), since);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_FALSE(other->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(InstagramChannelTest, CannotDeleteFeedMedia) {
  absl::Status status = channel_->Delete(kAccount, "17900000000000009");
  EXPECT_EQ(FailureOf(status).kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(status.message(), "cannot delete")) << status;
  EXPECT_EQ(fake_.requests(), 0);
}

TEST_F(InstagramChannelTest, ListsRecentMediaNewestFirst) {
  FakePost old;
  old.author = fake_.ig_user_id();
  old.text = "Long ago";
  old.create_time = absl::Now() - absl::Hours(5);
  fake_.AddExistingPost(old);
  absl::Time since = absl::Now() - absl::Hours(1);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Receipt> receipt = channel_->Publish(Request(absl::StrCat("Caption ", i)));
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    ids.push_back(receipt->external_id);
  }
  absl::StatusOr<std::vector<RemotePost>> listed = channel_->ListRecent(kAccount, since, 10);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].external_id, ids[2]);
  EXPECT_EQ((*listed)[0].text, "Caption 2");
  EXPECT_EQ((*listed)[0].url, InstagramFake::PermalinkOf(ids[2]));
  absl::StatusOr<std::vector<RemotePost>> two = channel_->ListRecent(kAccount, since, 2);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->size(), 2u);
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

TEST_F(InstagramChannelTest, ReadsEngagement) {
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("Engage!"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.SetEngagement(receipt->external_id, {.likes = 11, .replies = 4, .impressions = 480});
  absl::StatusOr<Engagement> engagement = channel_->ReadEngagement(kAccount, receipt->external_id);
  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 11);
  EXPECT_EQ(engagement->replies, 4);
  EXPECT_EQ(engagement->shares, -1);
  EXPECT_EQ(engagement->impressions, 480);  // the media's reach, from its insights
  // Without instagram_manage_insights the reach is unknown; the rest is read.
  fake_.SetEngagement(receipt->external_id, {.likes = 12, .replies = 4, .impressions = -1});
  engagement = channel_->ReadEngagement(kAccount, receipt->external_id);
  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 12);
  EXPECT_EQ(engagement->impressions, -1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(InstagramChannelTest, HiddenLikesAreMinusOneAndAMissingMediaIsNotFoundPermanent) {
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("Likes hidden."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.SetEngagement(receipt->external_id, {.likes = -1, .replies = 2});

  absl::StatusOr<Engagement> engagement = channel_->ReadEngagement(kAccount, receipt->external_id);
  // Media removed in the app: the Graph API answers code 100 subcode 33.
  absl::Status gone = channel_->ReadEngagement(kAccount, "17900000000000099").status();

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, -1);
  EXPECT_EQ(engagement->replies, 2);
  EXPECT_TRUE(absl::IsNotFound(gone)) << gone;
  EXPECT_EQ(FailureOf(gone).kind, ChannelErrorKind::kPermanent);
}

TEST_F(InstagramChannelTest, AThrottledEngagementReadIsRateLimitedWithMetasWait) {
  absl::StatusOr<Receipt> receipt = channel_->Publish(Request("Busy."));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.QueueReadFault(FakeFault::kRateLimited);

  ChannelFailure failure =
      FailureOf(channel_->ReadEngagement(kAccount, receipt->external_id).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(failure.retry_after, absl::Minutes(1));
}

TEST_F(InstagramChannelTest, ReadsTheAccountsFollowers) {
  fake_.SetFollowers(fake_.ig_user_id(), 3902);

  absl::StatusOr<int64_t> followers = channel_->ReadFollowers(kAccount);

  ASSERT_TRUE(followers.ok()) << followers.status();
  EXPECT_EQ(*followers, 3902);
  EXPECT_EQ(fake_.follower_reads(), 1);
}

TEST_F(InstagramChannelTest, AThrottledFollowerReadIsRateLimitedAndTheNextIsHeld) {
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

TEST_F(InstagramChannelTest, AFollowerReadWithAnExpiredTokenAsksForAReconnect) {
  fake_.RevokeToken(kToken);  // nothing queued: Refresh answers UNAUTHENTICATED

  ChannelFailure failure = FailureOf(channel_->ReadFollowers(kAccount).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  EXPECT_FALSE(absl::StrContains(failure.message, kToken)) << failure.message;
  EXPECT_EQ(fake_.follower_reads(), 0);
}

TEST_F(InstagramChannelTest, NeverGoesOverTheRateLimitMeasuredAtTheFake) {
  fake_.SetRateLimit(10, absl::Minutes(10));
  int published = 0;
  int rate_limited = 0;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<Receipt> receipt = channel_->Publish(Request(absl::StrCat("Tip #", i)));
    if (receipt.ok()) {
      ++published;
      continue;
    }
    ChannelFailure failure = ClassifyChannelError(receipt.status());
    ASSERT_EQ(failure.kind, ChannelErrorKind::kRateLimited) << failure.message;
    ++rate_limited;
  }
  EXPECT_GE(published, 1);
  EXPECT_GE(rate_limited, 1);
  EXPECT_EQ(fake_.over_limit_requests(), 0);
  EXPECT_EQ(fake_.creates_accepted(), published);
}

}  // namespace
}  // namespace carecast::publisher
