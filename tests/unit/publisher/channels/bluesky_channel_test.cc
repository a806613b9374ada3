#include "services/publisher/channels/bluesky_channel.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <nlohmann/json.hpp>

#include "services/common/base/clock.h"
#include "services/common/http/curl_http_client.h"
#include "services/publisher/channels/in_memory_rate_limiter.h"
#include "tests/support/fake_networks/bluesky_fake.h"
#include "tests/support/static_credential_source.h"

namespace carecast::publisher {
namespace {

using carecast::testing::BlueskyFake;
using carecast::testing::FakeEngagement;
using carecast::testing::FakeFault;
using carecast::testing::StaticCredentialSource;
using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAccount[] = "spokes/north/accounts/bluesky-main";

ChannelErrorKind KindOf(const absl::Status& status) { return ClassifyChannelError(status).kind; }

class BlueskyChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Start().ok());
    credentials_.Set(kAccount, AppPassword(fake_.settings().app_password));
  }

  Credential AppPassword(const std::string& password) const {
    Credential credential;
    credential.fields["handle"] = fake_.settings().handle;
    credential.fields["did"] = fake_.settings().did;
    credential.fields["app_password"] = password;
    return credential;
  }

  std::unique_ptr<BlueskyChannel> MakeChannel(absl::Duration call_timeout = absl::Seconds(10),
                                              const common::Clock* clock = nullptr) {
    BlueskyChannelOptions options;
    options.base_url = absl::StrCat(fake_.base_url(), "/");  // dropped by the adapter
    options.call_timeout = call_timeout;
    options.langs = {"en"};
    return std::make_unique<BlueskyChannel>(options, http_, credentials_, limiter_,
                                            clock != nullptr ? *clock : clock_);
  }

  static PublishRequest Request(const std::string& key, const std::string& text) {
    PublishRequest request;
    request.post = absl::StrCat("posts/", key);
    request.content_version = 1;
    request.idempotency_key = absl::StrCat(key, ".v1");
    request.account = kAccount;
    request.network = carecast::v1::NETWORK_BLUESKY;
    request.text = text;
    return request;
  }

  std::string UriOf(const PublishRequest& request) const {
    return fake_.RecordUri(BlueskyRecordKey(request.idempotency_key));
  }

  json Record(const std::string& uri) const {
    return json::parse(fake_.RecordJson(uri), nullptr, false);
  }

  BlueskyFake fake_;
  common::SystemClock clock_;
  common::CurlHttpClient http_;
  StaticCredentialSource credentials_;
  InMemoryRateLimiter limiter_{clock_};
};

TEST(BlueskyRecordKeyTest, IsADeterministicTidSyntaxKeyPerIdempotencyKey) {
  std::set<std::string> keys;
  for (int i = 0; i < 500; ++i) {
    std::string rkey = BlueskyRecordKey(absl::StrCat("post-", i, ".v1"));
    EXPECT_TRUE(IsTidSyntax(rkey)) << rkey;
    EXPECT_NE(std::string("234567ab").find(rkey[0]), std::string::npos) << rkey;  // top bit 0
    keys.insert(rkey);
  }
  EXPECT_EQ(keys.size(), 500u);
  EXPECT_EQ(BlueskyRecordKey("p1.v1"), BlueskyRecordKey("p1.v1"));
  EXPECT_NE(BlueskyRecordKey("p1.v1"), BlueskyRecordKey("p1.v2"));
  EXPECT_FALSE(IsTidSyntax("3jzfcijpj2z2a1"));  // 14 characters
  EXPECT_FALSE(IsTidSyntax("kjzfcijpj2z2a"));   // first character too high
  EXPECT_FALSE(IsTidSyntax("3jzfcijpj2z21"));   // '1' is not base32-sortable
}

TEST_F(BlueskyChannelTest, PublishesARecordAtTheDerivedKey) {
  auto channel = MakeChannel();
  EXPECT_EQ(channel->idempotency(), IdempotencyModel::kClientRecordKey);
  PublishRequest request = Request("p1", "Flu shots today #FluSeason: https://example.org/flu.");

  absl::StatusOr<Receipt> receipt = channel->Publish(request);

  ASSERT_TRUE(receipt.ok()) << receipt.status();
  std::string rkey = BlueskyRecordKey("p1.v1");
  EXPECT_EQ(receipt->external_id, fake_.RecordUri(rkey));
  EXPECT_EQ(receipt->url,
            absl::StrCat("https://bsky.app/profile/", fake_.settings().handle, "/post/", rkey));
  json record = Record(receipt->external_id);
  ASSERT_TRUE(record.is_object());
  EXPECT_EQ(record["$type"], "app.bsky.feed.post");
  EXPECT_EQ(record["text"], request.text);
  EXPECT_EQ(record["langs"], json::array({"en"}));
  ASSERT_TRUE(record["createdAt"].is_string());
  EXPECT_TRUE(ParseIsoTime(record["createdAt"].get<std::string>()).has_value());
  ASSERT_EQ(record["facets"].size(), 2u);
  EXPECT_EQ(record["facets"][0]["features"][0]["tag"], "FluSeason");
  EXPECT_EQ(record["facets"][0]["index"]["byteStart"], 16);
  EXPECT_EQ(record["facets"][0]["index"]["byteEnd"], 26);  // the ':' left out
  EXPECT_EQ(record["facets"][1]["features"][0]["uri"], "https://example.org/flu");
  EXPECT_EQ(record["facets"][1]["index"]["byteStart"], 28);
  EXPECT_EQ(record["facets"][1]["index"]["byteEnd"], 51);  // the '.' left out
  EXPECT_EQ(fake_.sessions_created(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(BlueskyChannelTest, ARetryOfALandedCreateReturnsThatRecord) {
  auto channel = MakeChannel();
  PublishRequest request = Request("p1", "Only once");

  absl::StatusOr<Receipt> first = channel->Publish(request);
  absl::StatusOr<Receipt> again = channel->Publish(request);

  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->external_id, first->external_id);
  EXPECT_EQ(again->url, first->url);
  EXPECT_EQ(fake_.existing_record_refusals(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(BlueskyChannelTest, AnotherRecordAtTheKeyIsAPermanentDuplicate) {
  auto channel = MakeChannel();
  PublishRequest request = Request("p1", "Ours");
  fake_.AddRecord(BlueskyRecordKey(request.idempotency_key), "Somebody else's words");

  absl::Status status = channel->Publish(request).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kPermanent);
  EXPECT_THAT(std::string(status.message()), HasSubstr("duplicate"));
  EXPECT_EQ(fake_.existing_record_refusals(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(BlueskyChannelTest, RepliesCarryTheThreadRootAndTheParent) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> root = channel->Publish(Request("p1", "Thread 1/3"));
  ASSERT_TRUE(root.ok()) << root.status();
  PublishRequest second = Request("p2", "Thread 2/3");
  second.in_reply_to = root->external_id;
  absl::StatusOr<Receipt> middle = channel->Publish(second);
  ASSERT_TRUE(middle.ok()) << middle.status();
  PublishRequest third = Request("p3", "Thread 3/3");
  third.in_reply_to = middle->external_id;

  absl::StatusOr<Receipt> last = channel->Publish(third);

  ASSERT_TRUE(last.ok()) << last.status();
  json middle_reply = Record(middle->external_id)["reply"];
  EXPECT_EQ(middle_reply["root"]["uri"], root->external_id);
  EXPECT_EQ(middle_reply["parent"]["uri"], root->external_id);
  EXPECT_EQ(middle_reply["root"]["cid"], fake_.FindPost(root->external_id)->attributes["cid"]);
  json last_reply = Record(last->external_id)["reply"];
  EXPECT_EQ(last_reply["root"]["uri"], root->external_id);
  EXPECT_EQ(last_reply["root"]["cid"], fake_.FindPost(root->external_id)->attributes["cid"]);
  EXPECT_EQ(last_reply["parent"]["uri"], middle->external_id);
  EXPECT_EQ(last_reply["parent"]["cid"], fake_.FindPost(middle->external_id)->attributes["cid"]);
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

TEST_F(BlueskyChannelTest, AReplyToAMissingPostIsPermanent) {
  auto channel = MakeChannel();
  PublishRequest request = Request("p1", "Answering nobody");
  request.in_reply_to = fake_.RecordUri("3jzfcijpj2z2a");

  absl::Status status = channel->Publish(request).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kPermanent);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(BlueskyChannelTest, DeletesAndReportsAMissingRecordAsNotFound) {
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

TEST_F(BlueskyChannelTest, ListsRecentPostsByCreationTimeNotKeyOrder) {
  common::FakeClock clock(absl::Now());  // createdAt comes from the adapter's clock
  auto channel = MakeChannel(absl::Seconds(10), &clock);
  absl::Time start = clock.Now();
  std::vector<std::string> uris;
  for (int i = 1; i <= 4; ++i) {
    clock.Advance(absl::Minutes(1));
    absl::StatusOr<Receipt> receipt =
        channel->Publish(Request(absl::StrCat("p", i), absl::StrCat("Post ", i)));
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    uris.push_back(receipt->external_id);
  }

  absl::StatusOr<std::vector<RemotePost>> three = channel->ListRecent(kAccount, start, 3);
  absl::StatusOr<std::vector<RemotePost>> none =
      channel->ListRecent(kAccount, clock.Now() + absl::Seconds(1), 3);

  ASSERT_TRUE(three.ok()) << three.status();
  ASSERT_EQ(three->size(), 3u);
  EXPECT_EQ((*three)[0].external_id, uris[3]);
  EXPECT_EQ((*three)[1].external_id, uris[2]);
  EXPECT_EQ((*three)[2].external_id, uris[1]);
  EXPECT_EQ((*three)[0].text, "Post 4");
  EXPECT_THAT((*three)[0].url, HasSubstr(BlueskyRecordKey("p4.v1")));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(fake_.creates_accepted(), 4);
}

TEST_F(BlueskyChannelTest, ReadsEngagement) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "Count me"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.SetEngagement(receipt->external_id, FakeEngagement{4, 2, 1, 0, 0});

  absl::StatusOr<Engagement> engagement = channel->ReadEngagement(kAccount, receipt->external_id);

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, 4);
  EXPECT_EQ(engagement->shares, 2);
  EXPECT_EQ(engagement->replies, 1);
  EXPECT_EQ(engagement->impressions, -1);
  EXPECT_EQ(engagement->clicks, -1);
  EXPECT_TRUE(absl::IsNotFound(
      channel->ReadEngagement(kAccount, fake_.RecordUri("3jzfcijpj2z2a")).status()));
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(BlueskyChannelTest, UnreportedCountsAreMinusOneAndADeletedPostIsNotFoundPermanent) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "Partly counted"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.SetEngagement(receipt->external_id, FakeEngagement{-1, 3, -1, 0, 0});

  absl::StatusOr<Engagement> engagement = channel->ReadEngagement(kAccount, receipt->external_id);
  ASSERT_TRUE(channel->Delete(kAccount, receipt->external_id).ok());
  absl::Status deleted = channel->ReadEngagement(kAccount, receipt->external_id).status();

  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->likes, -1);
  EXPECT_EQ(engagement->shares, 3);
  EXPECT_EQ(engagement->replies, -1);
  EXPECT_TRUE(absl::IsNotFound(deleted)) << deleted;
  EXPECT_EQ(KindOf(deleted), ChannelErrorKind::kPermanent);
}

TEST_F(BlueskyChannelTest, AnEngagementRead429IsRateLimitedUntilTheReset) {
  auto channel = MakeChannel();
  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "Busy read"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  fake_.QueueReadFault(FakeFault::kRateLimited);  // reset in 2s

  ChannelFailure failure =
      ClassifyChannelError(channel->ReadEngagement(kAccount, receipt->external_id).status());

  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GE(failure.retry_after, absl::Seconds(1));
  EXPECT_LE(failure.retry_after, absl::Seconds(4));
}

TEST_F(BlueskyChannelTest, ReadsFollowersFromTheProfile) {
  auto channel = MakeChannel();
  fake_.SetFollowers(fake_.settings().did, 517);

  absl::StatusOr<int64_t> followers = channel->ReadFollowers(kAccount);

  ASSERT_TRUE(followers.ok()) << followers.status();
  EXPECT_EQ(*followers, 517);
  EXPECT_EQ(fake_.follower_reads(), 1);
}

TEST_F(BlueskyChannelTest, AFollowerRead429IsRateLimitedAndTheNextIsHeldWithoutARequest) {
  auto channel = MakeChannel();
  fake_.QueueReadFault(FakeFault::kRateLimited);

  ChannelFailure failure = ClassifyChannelError(channel->ReadFollowers(kAccount).status());
  int64_t requests = fake_.requests();
  absl::Status held = channel->ReadFollowers(kAccount).status();

  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GT(failure.retry_after, absl::ZeroDuration());
  EXPECT_EQ(KindOf(held), ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);
  EXPECT_EQ(fake_.follower_reads(), 0);
}

TEST_F(BlueskyChannelTest, AFollowerReadWithARefusedAppPasswordIsAuthExpired) {
  std::string old_password = fake_.settings().app_password;
  fake_.set_app_password("a-new-app-password");  // nothing queued: UNAUTHENTICATED
  auto channel = MakeChannel();

  absl::Status status = channel->ReadFollowers(kAccount).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kAuthExpired) << status;
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(old_password)));
  EXPECT_EQ(fake_.follower_reads(), 0);
}

TEST_F(BlueskyChannelTest, A429WaitsForTheResetAndThenNothingIsSent) {
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

TEST_F(BlueskyChannelTest, AServerErrorAfterCommitIsUnknownAndThenFound) {
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
  EXPECT_EQ((*found)->external_id, UriOf(request));
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(BlueskyChannelTest, AStallAfterCommitIsInFlightAndThenFound) {
  auto channel = MakeChannel(absl::Milliseconds(500));
  absl::Time start = absl::Now();
  PublishRequest request = Request("p1", "Committed, answer late");
  ASSERT_TRUE(channel->FindPublished(request, start).ok());  // the session, made beforehand
  fake_.set_stall(absl::Seconds(10));
  fake_.QueueFault(FakeFault::kTimeoutAfterCommit);

  absl::Status status = channel->Publish(request).status();
  absl::StatusOr<std::optional<Receipt>> found = channel->FindPublished(request, start);

  ChannelFailure failure = ClassifyChannelError(status);
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_TRUE(failure.may_be_in_flight);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, UriOf(request));
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(BlueskyChannelTest, AServerErrorBeforeCommitIsFoundAbsent) {
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

TEST_F(BlueskyChannelTest, AnExpiredAccessTokenIsRefreshedOnce) {
  auto channel = MakeChannel();
  fake_.QueueFault(FakeFault::kTokenExpired);

  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "After refresh"));

  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(fake_.sessions_created(), 1);
  EXPECT_EQ(fake_.sessions_refreshed(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(BlueskyChannelTest, ARefusedRefreshFallsBackToANewSession) {
  auto channel = MakeChannel();
  ASSERT_TRUE(channel->Publish(Request("p1", "First")).ok());
  fake_.ExpireAccessTokens();
  fake_.ExpireRefreshTokens();

  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p2", "Second"));

  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(fake_.sessions_created(), 2);
  EXPECT_EQ(fake_.sessions_refreshed(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(BlueskyChannelTest, ARefusedAppPasswordIsRefreshedAndTheCreateSentOnce) {
  // An operator put a new app password in the account's token file.
  fake_.set_app_password("a-new-app-password");  // the old one: 401 AuthenticationRequired
  credentials_.QueueRefresh(kAccount, AppPassword("a-new-app-password"));
  auto channel = MakeChannel();

  absl::StatusOr<Receipt> receipt = channel->Publish(Request("p1", "Signed in again"));

  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.sessions_created(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(BlueskyChannelTest, ARefusedAppPasswordThatCannotBeRefreshedIsAuthExpired) {
  std::string old_password = fake_.settings().app_password;
  fake_.set_app_password("a-new-app-password");  // nothing queued: UNAUTHENTICATED
  auto channel = MakeChannel();

  absl::Status status = channel->Publish(Request("p1", "Locked out")).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kAuthExpired);
  EXPECT_THAT(std::string(status.message()), HasSubstr(kAccount));
  EXPECT_THAT(std::string(status.message()), HasSubstr("reconnect"));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(old_password)));
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  // The rejected token is the credential's access token, which Bluesky
  // accounts leave empty (the app password is a field).
  EXPECT_EQ(credentials_.rejected_tokens(), std::vector<std::string>{""});
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(BlueskyChannelTest, ARefusedAppPasswordWhoseRefreshIsUnavailableIsRetryable) {
  fake_.set_app_password("a-new-app-password");
  credentials_.FailRefresh(kAccount, absl::UnavailableError("token store unavailable"));
  auto channel = MakeChannel();

  absl::Status status = channel->Publish(Request("p1", "Later")).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kRetryable);
  EXPECT_THAT(std::string(status.message()), HasSubstr(kAccount));
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(BlueskyChannelTest, TheSameAppPasswordAfterARefreshIsAuthExpiredWithoutASecondTry) {
  std::string old_password = fake_.settings().app_password;
  fake_.set_app_password("a-new-app-password");
  credentials_.QueueRefresh(kAccount, AppPassword(old_password));  // nothing newer
  auto channel = MakeChannel();

  absl::Status status = channel->Publish(Request("p1", "Locked out")).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kAuthExpired);
  EXPECT_THAT(std::string(status.message()), HasSubstr(kAccount));
  EXPECT_THAT(std::string(status.message()), HasSubstr("AuthenticationRequired"));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(old_password)));
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.requests(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(BlueskyChannelTest, MissingCredentialsAreAuthExpiredWithoutARequest) {
  auto channel = MakeChannel();
  PublishRequest request = Request("p1", "No account");
  request.account = "spokes/north/accounts/unknown";

  absl::Status status = channel->Publish(request).status();

  EXPECT_EQ(KindOf(status), ChannelErrorKind::kAuthExpired);
  EXPECT_THAT(std::string(status.message()), HasSubstr(request.account));
  EXPECT_EQ(fake_.requests(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(BlueskyChannelTest, RefusedRecordsArePermanent) {
  auto channel = MakeChannel();
  fake_.QueueFault(FakeFault::kDuplicateRefusal);

  absl::Status scripted = channel->Publish(Request("p1", "Refused")).status();
  absl::Status too_long = channel->Publish(Request("p2", std::string(301, 'a'))).status();

  EXPECT_EQ(KindOf(scripted), ChannelErrorKind::kPermanent);
  EXPECT_EQ(KindOf(too_long), ChannelErrorKind::kPermanent);
  EXPECT_THAT(std::string(too_long.message()), HasSubstr("300 graphemes"));
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(BlueskyChannelTest, StaysWithinThePdsRateLimit) {
  auto channel = MakeChannel();
  fake_.SetRateLimit(3, absl::Minutes(1));  // createSession counts as one
  int published = 0;
  int limited = 0;

  for (int i = 0; i < 5; ++i) {
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

  EXPECT_EQ(published, 2);
  EXPECT_EQ(limited, 3);
  EXPECT_EQ(fake_.over_limit_requests(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(BlueskyChannelTest, UploadsImagesAsBlobsWithAltText) {
  auto channel = MakeChannel();
  fake_.AddFile("ward.png", "png-bytes", "image/png");
  PublishRequest request = Request("p1", "The new ward");
  request.media = {
      {absl::StrCat(fake_.base_url(), "/files/ward.png"), "Beds by a window", "image/png"}};

  absl::StatusOr<Receipt> receipt = channel->Publish(request);

  ASSERT_TRUE(receipt.ok()) << receipt.status();
  json embed = Record(receipt->external_id)["embed"];
  EXPECT_EQ(embed["$type"], "app.bsky.embed.images");
  ASSERT_EQ(embed["images"].size(), 1u);
  EXPECT_EQ(embed["images"][0]["alt"], "Beds by a window");
  EXPECT_EQ(embed["images"][0]["image"]["mimeType"], "image/png");
  EXPECT_EQ(embed["images"][0]["image"]["size"], 9);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

}  // namespace
}  // namespace carecast::publisher
