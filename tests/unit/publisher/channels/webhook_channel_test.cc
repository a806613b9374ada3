#include "services/publisher/channels/webhook_channel.h"

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <nlohmann/json.hpp>

#include "services/common/base/clock.h"
#include "services/common/http/curl_http_client.h"
#include "services/publisher/channels/in_memory_rate_limiter.h"
#include "tests/support/fake_networks/webhook_fake.h"
#include "tests/support/static_credential_source.h"

namespace carecast::publisher {
namespace {

using carecast::testing::FakeEngagement;
using carecast::testing::FakeFault;
using carecast::testing::StaticCredentialSource;
using carecast::testing::WebhookFake;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAccount[] = "spokes/north/accounts/intranet";
constexpr char kSecret[] = "carecast-webhook-test-secret";

ChannelErrorKind KindOf(const absl::Status& status) { return ClassifyChannelError(status).kind; }

Credential Secret(const std::string& secret) {
  Credential credential;
  credential.fields["secret"] = secret;
  return credential;
}

// A source whose secret changes after the first Get, as when an operator
// replaces the account's token file while a delivery is on its way. Refresh
// answers as a file-backed source does for an account without a refresh
// token (it would mark the account disconnected).
class RotatingSecretSource final : public CredentialSource {
 public:
  RotatingSecretSource(std::string first, std::string then)
      : first_(std::move(first)), then_(std::move(then)) {}
  absl::StatusOr<Credential> Get(std::string_view) override {
    std::lock_guard lock(mu_);
    return Secret(gets_++ == 0 ? first_ : then_);
  }
  absl::StatusOr<Credential> Refresh(std::string_view, std::string_view) override {
    std::lock_guard lock(mu_);
    ++refresh_calls_;
    return absl::UnauthenticatedError("the account must be reconnected");
  }
  int refresh_calls() const {
    std::lock_guard lock(mu_);
    return refresh_calls_;
  }

 private:
  mutable std::mutex mu_;
  const std::string first_;
  const std::string then_;
  int gets_ = 0;
  int refresh_calls_ = 0;
};

class WebhookChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Start().ok());
    credentials_.Set(kAccount, Secret(kSecret));
  }

  std::unique_ptr<WebhookChannel> MakeChannel(absl::Duration call_timeout = absl::Seconds(10),
                                              CredentialSource* credentials = nullptr) {
    WebhookChannelOptions options;
    options.base_url = fake_.endpoint();
    options.call_timeout = call_timeout;
    return std::make_unique<WebhookChannel>(
        options, http_, credentials != nullptr ? *credentials : credentials_, limiter_, clock_);
  }

  static PublishRequest Request(const std::string& key, const std::string& text) {
    PublishRequest request;
    request.post = absl::StrCat("posts/", key);
    request.content_version = 3;
    request.idempotency_key = absl::StrCat(key, ".v3");
    request.account = kAccount;
    request.network = carecast::v1::NETWORK_WEBHOOK;
    request.text = text;
    return request;
  }

  WebhookFake fake_;
  common::SystemClock clock_;
  common::CurlHttpClient http_;
  StaticCredentialSource credentials_;
  InMemoryRateLimiter limiter_{clock_};
};

TEST(WebhookSignatureTest, IsLowercaseHexHmacSha256OfTheDocumentedString) {
  // Expected values from `openssl dgst -sha256 -hmac shh-secret`.
  EXPECT_EQ(WebhookSignature("shh-secret", WebhookStringToSign("1700000000", "POST", "/hook",
                                                               R"({"id":"p1.v1"})")),
            "sha256=e5b5a0efa1e0546f2b95e1c6b1a098c76c67a222d1713ba5e53d930b6a6a703f");
  EXPECT_EQ(
      WebhookSignature("shh-secret", WebhookStringToSign("1700000000", "GET", "/hook/p1.v1", "")),
      "sha256=386499732fdacff3d86834968866e43e77b77ae83969bef8c8d656cf21e0565e");
}

TEST_F(WebhookChannelTest, DeliversTheDocumentedSignedBodyOnce) {
  auto channel = MakeChannel();
  EXPECT_EQ(channel->idempotency(), IdempotencyModel::kNativeKey);
  PublishRequest request = Request("p1", "Visiting hours change on Monday");
  request.media = {{"https://cdn.example/ward.jpg", "The new ward", "image/jpeg"}};

  absl::StatusOr<Receipt> receipt = channel->Publish(request);

  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->url, fake_.ItemUrl(receipt->external_id));
  nlohmann::json body = nlohmann::json::parse(fake_.DeliveryBody("p1.v3"), nullptr, false);
  ASSERT_TRUE(body.is_object());
  EXPECT_EQ(body["id"], "p1.v3");
  EXPECT_EQ(body["post"], "posts/p1");
  EXPECT_EQ(body["account"], kAccount);
  EXPECT_EQ(body["content_version"], 3);
  EXPECT_EQ(body["text"], request.text);
  EXPECT_TRUE(body["in_reply_to"].is_null());
  ASSERT_EQ(body["media"].size(), 1u);
  EXPECT_EQ(body["media"][0]["url"], "https://cdn.example/ward.jpg");
  EXPECT_EQ(body["media"][0]["alt_text"], "The new ward");
  EXPECT_EQ(body["media"][0]["mime_type"], "image/jpeg");
  ASSERT_TRUE(body["sent_at"].is_string());
  EXPECT_TRUE(ParseIsoTime(body["sent_at"].get<std::string>()).has_value());
  EXPECT_EQ(fake_.signature_failures(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(WebhookChannelTest, ARepeatedDeliveryGetsTheFirstAnswer) {
  auto channel = MakeChannel();
  PublishRequest request = Request("p1", "Once");

  absl::StatusOr<Receipt> first = channel->Publish(request);
  absl::StatusOr<Receipt> again = channel->Publish(request);

  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->external_id, first->external_id);
  EXPECT_EQ(fake_.repeated_deliveries(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(WebhookChannelTest, WithoutReceiverDedupeTheAdapterStillSendsOnce) {
  fake_.set_dedupe(false);
  auto channel = MakeChannel();
  absl::Time start = absl::Now();
  PublishRequest request = Request("p1", "One delivery, then only reads");
  fake_.QueueFault(FakeFault::kServerErrorAfter);

  absl::Status status = channel->Publish(request).status();
  absl::StatusOr<std::optional<Receipt>> found = channel->FindPublished(request, start);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  ASSERT_TRUE(channel->ListRecent(kAccount, start, 10).ok());
  ASSERT_TRUE(channel->ReadEngagement(kAccount, (*found)->external_id).ok());
  ASSERT_TRUE(channel->Delete(kAccount, (*found)->external_id).ok());

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kOutcomeUnknown);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(WebhookChannelTest, RepliesInAThread) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> parent = channel->Publish(Request("p1", "Update 1"));
  ASSERT_TRUE(parent.ok()) << parent.status();
  PublishRequest reply = Request("p2", "Update 2");
  reply.in_reply_to = parent->external_id;

  absl::StatusOr<Receipt> child = channel->Publish(reply);

  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(fake_.FindPost(child->external_id)->in_reply_to, parent->external_id);
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(WebhookChannelTest, DeletesAndReportsAMissingItemAsNotFound) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "Remove me"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();

  ASSERT_TRUE(channel->Delete(kAccount, receipt->external_id).ok());
  absl::Status again = channel->Delete(kAccount, receipt->external_id);

  EXPECT_TRUE(fake_.FindPost(receipt->external_id)->deleted);
  EXPECT_TRUE(absl::IsNotFound(again)) << again;
  EXPECT_EQ(KindOf(again), ChannelErrorKind::kPermanent);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(WebhookChannelTest, ListsRecentItemsNewestFirst) {
  auto channel = MakeChannel();
  absl::Time start = absl::Now() - absl::Seconds(2);
  carecast::testing::FakePost old;
  old.text = "Older";
  old.create_time = start - absl::Hours(2);
  fake_.AddExistingPost(old);
  for (int i = 1; i <= 3; ++i)
    ASSERT_TRUE(channel->Publish(Request(absl::StrCat("p", i), absl::StrCat("Item ", i))).ok());

  absl::StatusOr<std::vector<RemotePost>> two = channel->ListRecent(kAccount, start, 2);
  absl::StatusOr<std::vector<RemotePost>> all = channel->ListRecent(kAccount, start, 10);

  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].text, "Item 3");
  EXPECT_EQ((*two)[1].text, "Item 2");
  EXPECT_EQ((*two)[0].url, fake_.ItemUrl((*two)[0].external_id));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 3u);
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

TEST_F(WebhookChannelTest, CountsTheReceiverLeavesOutAreMinusOneAndA429IsRateLimited) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "Count some"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.SetEngagement(receipt->external_id, FakeEngagement{6, -1, 2, -1, 1});

  absl::StatusOr<Engagement> partial = channel->ReadEngagement(kAccount, receipt->external_id);
  fake_.QueueReadFault(FakeFault::kRateLimited);
  ChannelFailure limited =
      ClassifyChannelError(channel->ReadEngagement(kAccount, receipt->external_id).status());

  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_EQ(partial->likes, 6);
  EXPECT_EQ(partial->shares, -1);
  EXPECT_EQ(partial->replies, 2);
  EXPECT_EQ(partial->impressions, -1);
  EXPECT_EQ(partial->clicks, 1);
  EXPECT_EQ(limited.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GT(limited.retry_after, absl::ZeroDuration());
  EXPECT_LE(limited.retry_after, absl::Seconds(4));
}

TEST_F(WebhookChannelTest, FollowersAreUnimplementedWithoutARequest) {
  auto channel = MakeChannel();

  absl::Status status = channel->ReadFollowers(kAccount).status();

  EXPECT_TRUE(absl::IsUnimplemented(status)) << status;
  EXPECT_EQ(ClassifyChannelError(status).kind, ChannelErrorKind::kPermanent);
  EXPECT_EQ(fake_.requests(), 0);
}

TEST_F(WebhookChannelTest, ReadsEngagementOrNoneWhenTheReceiverReportsNone) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "Count me"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.SetEngagement(receipt->external_id, FakeEngagement{5, 4, 3, 200, 9});

  absl::StatusOr<Engagement> reported = channel->ReadEngagement(kAccount, receipt->external_id);
  fake_.set_reports_engagement(false);
  absl::StatusOr<Engagement> none = channel->ReadEngagement(kAccount, receipt->external_id);

  ASSERT_TRUE(reported.ok()) << reported.status();
  EXPECT_EQ(reported->likes, 5);
  EXPECT_EQ(reported->shares, 4);
  EXPECT_EQ(reported->replies, 3);
  EXPECT_EQ(reported->impressions, 200);
  EXPECT_EQ(reported->clicks, 9);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->likes, -1);
  EXPECT_EQ(none->impressions, -1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(WebhookChannelTest, A429WaitsForRetryAfterAndThenNothingIsSent) {
  auto channel = MakeChannel();
  fake_.QueueFault(FakeFault::kRateLimited);  // reset in 2s

  absl::Status limited = channel->Publish(Request("p1", "Busy")).status();
  int64_t requests = fake_.requests();
  absl::Status held = channel->Publish(Request("p1", "Busy")).status();

  ChannelFailure failure = ClassifyChannelError(limited);
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GE(failure.retry_after, absl::Seconds(1));
  EXPECT_LE(failure.retry_after, absl::Seconds(4));
  EXPECT_EQ(KindOf(held), ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WebhookChannelTest, AServerErrorAfterCommitIsUnknownAndThenFound) {
  auto channel = MakeChannel();
  absl::Time start = absl::Now();
  PublishRequest request = Request("p1", "Committed then 500");
  fake_.QueueFault(FakeFault::kServerErrorAfter);

  absl::Status status = channel->Publish(request).status();
  absl::StatusOr<std::optional<Receipt>> found = channel->FindPublished(request, start);

  ChannelFailure failure = ClassifyChannelError(status);
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_FALSE(failure.may_be_in_flight);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, fake_.posts().front().id);
  EXPECT_EQ((*found)->url, fake_.ItemUrl(fake_.posts().front().id));
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(WebhookChannelTest, AStallAfterCommitIsInFlightAndThenFound) {
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

TEST_F(WebhookChannelTest, AServerErrorBeforeCommitIsFoundAbsent) {
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

TEST_F(WebhookChannelTest, AWrongSecretIsAuthExpiredAndNeverShown) {
  credentials_.Set(kAccount, Secret("not-the-shared-secret"));
  auto channel = MakeChannel();

  absl::Status status = channel->Publish(Request("p1", "Unsigned")).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kAuthExpired);
  EXPECT_THAT(std::string(status.message()), HasSubstr("check the shared secret"));
  EXPECT_THAT(std::string(status.message()), HasSubstr(kAccount));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("not-the-shared-secret")));
  EXPECT_EQ(fake_.signature_failures(), 1);
  // No bearer token, so nothing to refresh: Refresh would mark the account
  // disconnected (a refused signature can also be a clock more than five
  // minutes off) and could never hand out a rotated secret.
  EXPECT_EQ(credentials_.refresh_calls(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WebhookChannelTest, ARotatedSecretIsPickedUpOnce) {
  fake_.set_secret("rotated-secret");
  RotatingSecretSource credentials(kSecret, "rotated-secret");
  auto channel = MakeChannel(absl::Seconds(10), &credentials);

  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "After rotation"));

  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(credentials.refresh_calls(), 0);
  EXPECT_EQ(fake_.signature_failures(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(WebhookChannelTest, ASecondRefusalAfterARotationIsAuthExpired) {
  fake_.set_secret("the-receivers-secret");
  RotatingSecretSource credentials(kSecret, "rotated-but-still-wrong");
  auto channel = MakeChannel(absl::Seconds(10), &credentials);

  absl::Status status = channel->Publish(Request("p1", "Still refused")).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kAuthExpired);
  EXPECT_THAT(std::string(status.message()), HasSubstr(kAccount));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("rotated-but-still-wrong")));
  EXPECT_EQ(credentials.refresh_calls(), 0);
  EXPECT_EQ(fake_.signature_failures(), 2);  // once per secret, no loop
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WebhookChannelTest, AReceiverRefusalAfterVerificationIsAuthExpired) {
  auto channel = MakeChannel();
  fake_.QueueFault(FakeFault::kTokenExpired);

  absl::Status status = channel->Publish(Request("p1", "Refused")).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kAuthExpired);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WebhookChannelTest, ADuplicateRefusalIsPermanent) {
  auto channel = MakeChannel();
  fake_.QueueFault(FakeFault::kDuplicateRefusal);

  absl::Status status = channel->Publish(Request("p1", "Twice?")).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kPermanent);
  EXPECT_THAT(std::string(status.message()), HasSubstr("duplicate"));
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WebhookChannelTest, MissingSecretIsAuthExpiredWithoutARequest) {
  credentials_.Set(kAccount, Credential{});
  auto channel = MakeChannel();

  absl::Status status = channel->Publish(Request("p1", "No secret")).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kAuthExpired);
  EXPECT_THAT(std::string(status.message()), HasSubstr(kAccount));
  EXPECT_EQ(fake_.requests(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WebhookChannelTest, StaysWithinTheReceiverRateLimit) {
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
      EXPECT_LE(failure.retry_after, absl::Seconds(61));
      ++limited;
    }
  }

  EXPECT_EQ(published, 3);
  EXPECT_EQ(limited, 3);
  EXPECT_EQ(fake_.over_limit_requests(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

// The receiver side of the contract, as the fake implements it.
TEST_F(WebhookChannelTest, TheReceiverRefusesStaleOrTamperedDeliveries) {
  std::string body = R"({"id":"p9.v1","text":"hello"})";
  auto send = [&](absl::Time signed_at, const std::string& sent_body) {
    std::string timestamp = absl::StrCat(absl::ToUnixSeconds(signed_at));
    common::HttpCall call;
    call.method = "POST";
    call.url = fake_.endpoint();
    call.body = sent_body;
    call.headers = {
        {"Content-Type", "application/json"},
        {"X-CareCast-Delivery", "p9.v1"},
        {"X-CareCast-Timestamp", timestamp},
        {"X-CareCast-Signature",
         WebhookSignature(kSecret, WebhookStringToSign(timestamp, "POST", "/hook", body))}};
    absl::StatusOr<common::HttpReply> reply = http_.Send(call);
    return reply.ok() ? reply->status : -1;
  };

  EXPECT_EQ(send(absl::Now() - absl::Minutes(6), body), 401);
  EXPECT_EQ(send(absl::Now(), R"({"id":"p9.v1","text":"HELLO"})"), 401);
  EXPECT_EQ(fake_.creates_accepted(), 0);
  EXPECT_EQ(send(absl::Now(), body), 201);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

}  // namespace
}  // namespace carecast::publisher
