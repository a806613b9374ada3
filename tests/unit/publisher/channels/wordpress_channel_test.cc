#include "services/publisher/channels/wordpress_channel.h"

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
#include "tests/support/fake_networks/wordpress_fake.h"
#include "tests/support/static_credential_source.h"

namespace carecast::publisher {
namespace {

using carecast::testing::FakeFault;
using carecast::testing::FakePost;
using carecast::testing::WordPressFake;

constexpr char kAccount[] = "spokes/s1/accounts/wp1";
constexpr char kUser[] = "carecast-bot";
constexpr char kPassword[] = "abcd EFGH 1234 ijkl MNOP 5678";
constexpr char kNewPassword[] = "qrst UVWX 9012 yzab CDEF 3456";

Credential WordPressCredential(const std::string& password = kPassword) {
  Credential credential;
  credential.fields["username"] = kUser;
  credential.fields["app_password"] = password;
  return credential;
}

PublishRequest Request(const std::string& text, const std::string& post = "p1",
                       const std::string& in_reply_to = "") {
  PublishRequest request;
  request.post = "posts/" + post;
  request.content_version = 1;
  request.idempotency_key = post + ".v1";
  request.account = kAccount;
  request.network = carecast::v1::NETWORK_WORDPRESS;
  request.text = text;
  request.in_reply_to = in_reply_to;
  return request;
}

ChannelFailure FailureOf(const absl::Status& status) {
  EXPECT_FALSE(status.ok());
  return ClassifyChannelError(status);
}

std::string Attribute(const FakePost& post, const std::string& key) {
  auto it = post.attributes.find(key);
  return it == post.attributes.end() ? "" : it->second;
}

class WordPressChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Start().ok());
    fake_.AddApplicationPassword(kUser, kPassword);
    fake_.set_stall(absl::Seconds(3));
    credentials_.Set(kAccount, WordPressCredential());
  }

  std::unique_ptr<WordPressChannel> MakeChannel(WordPressChannelOptions options = {}) {
    options.base_url = fake_.base_url();
    return std::make_unique<WordPressChannel>(options, http_, credentials_, limiter_, clock_);
  }
  WordPressChannel& channel() {
    if (!channel_) channel_ = MakeChannel();
    return *channel_;
  }

  WordPressFake fake_;
  common::CurlHttpClient http_;
  carecast::testing::StaticCredentialSource credentials_;
  // Starts at the real time (the fake stamps posts with it) and moves only when
  // a test says, so a Retry-After can be waited out without sleeping.
  common::FakeClock clock_{absl::Now()};
  InMemoryRateLimiter limiter_{clock_};
  std::unique_ptr<WordPressChannel> channel_;
};

TEST_F(WordPressChannelTest, FollowersAreUnimplementedWithoutARequest) {
  auto channel = MakeChannel();

  absl::Status status = channel->ReadFollowers(kAccount).status();

  EXPECT_TRUE(absl::IsUnimplemented(status)) << status;
  EXPECT_EQ(ClassifyChannelError(status).kind, ChannelErrorKind::kPermanent);
  EXPECT_EQ(fake_.requests(), 0);
}

TEST_F(WordPressChannelTest, PublishesTitleParagraphsAndTheVersionsSlug) {
  absl::Time since = clock_.Now();
  PublishRequest request =
      Request("Flu clinics open Saturday\nBring your card & ID.\n\nWalk-ins \"welcome\".");
  absl::StatusOr<Receipt> receipt = channel().Publish(request);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->url, fake_.base_url() + "/cc-p1-v1/");
  std::optional<FakePost> stored = fake_.FindPost(receipt->external_id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(Attribute(*stored, "slug"), "cc-p1-v1");
  EXPECT_EQ(Attribute(*stored, "status"), "publish");
  EXPECT_EQ(Attribute(*stored, "title"), "Flu clinics open Saturday");
  EXPECT_EQ(stored->text,
            "<p>Flu clinics open Saturday<br />\nBring your card &amp; ID.</p>\n"
            "<p>Walk-ins &quot;welcome&quot;.</p>");
  EXPECT_EQ(stored->author, kUser);

  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, receipt->external_id);
  EXPECT_EQ((*found)->url, receipt->url);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST(WordPressTextTest, TitleSlugAndContent) {
  EXPECT_EQ(WordPressChannel::TitleFor("  Short title  \nbody", 80), "Short title");
  std::string long_line;
  for (int i = 0; i < 90; ++i) long_line += "\xC3\xA9";  // é, two bytes each
  std::string title = WordPressChannel::TitleFor(long_line, 80);
  EXPECT_EQ(title.size(), 160u);  // 80 code points, never a cut character
  PublishRequest request;
  request.post = "posts/AB_12";
  request.content_version = 3;
  EXPECT_EQ(WordPressChannel::SlugFor(request), "cc-ab-12-v3");
  EXPECT_EQ(WordPressChannel::ContentFor("a <b>\n\n\nc'd"), "<p>a &lt;b&gt;</p>\n<p>c&#39;d</p>");
}

TEST_F(WordPressChannelTest, RepliesAreCommentsAndFoundAgainByText) {
  absl::Time since = clock_.Now();
  absl::StatusOr<Receipt> post = channel().Publish(Request("Visiting hours"));
  ASSERT_TRUE(post.ok()) << post.status();
  PublishRequest reply = Request("We're open 8 to 8, \"every\" day.", "p2", post->external_id);
  absl::StatusOr<Receipt> comment = channel().Publish(reply);
  ASSERT_TRUE(comment.ok()) << comment.status();
  EXPECT_TRUE(absl::StartsWith(comment->external_id, "comment:")) << comment->external_id;
  EXPECT_TRUE(absl::EndsWith(comment->external_id, "@" + post->external_id));
  EXPECT_TRUE(absl::StrContains(comment->url, "#comment-")) << comment->url;

  PublishRequest nested = Request("Thank you!", "p3", comment->external_id);
  absl::StatusOr<Receipt> answer = channel().Publish(nested);
  ASSERT_TRUE(answer.ok()) << answer.status();
  std::string comment_number = comment->external_id.substr(8, comment->external_id.find('@') - 8);
  std::string answer_key =
      "comment-" + answer->external_id.substr(8, answer->external_id.find('@') - 8);
  EXPECT_EQ(fake_.FindPost(answer_key)->in_reply_to, comment_number);

  // The rendered comment has curly quotes; the raw one still matches.
  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(reply, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, comment->external_id);
  absl::StatusOr<std::optional<Receipt>> nested_found = channel().FindPublished(nested, since);
  ASSERT_TRUE(nested_found.ok()) << nested_found.status();
  ASSERT_TRUE(nested_found->has_value());
  EXPECT_EQ((*nested_found)->external_id, answer->external_id);
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

TEST_F(WordPressChannelTest, DeletesPostsAndCommentsForGood) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("Temporary"));
  ASSERT_TRUE(post.ok()) << post.status();
  absl::StatusOr<Receipt> comment =
      channel().Publish(Request("Also temporary", "p2", post->external_id));
  ASSERT_TRUE(comment.ok()) << comment.status();
  ASSERT_TRUE(channel().Delete(kAccount, comment->external_id).ok());
  ASSERT_TRUE(channel().Delete(kAccount, post->external_id).ok());
  EXPECT_TRUE(fake_.FindPost(post->external_id)->deleted);  // not merely trashed
  absl::Status again = channel().Delete(kAccount, post->external_id);
  EXPECT_TRUE(absl::IsNotFound(again)) << again;
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

TEST_F(WordPressChannelTest, ListsPublishedPostsSinceInUtcWhateverTheSiteZone) {
  absl::Time now = absl::Now();
  auto add = [&](const std::string& text, absl::Duration age, const std::string& status) {
    FakePost post;
    post.author = kUser;
    post.text = text;
    post.create_time = now - age;
    post.attributes = {{"kind", "post"}, {"slug", text}, {"title", text}, {"status", status}};
    return fake_.AddExistingPost(post);
  };
  add("old", absl::Hours(3), "publish");
  std::string first = add("first", absl::Minutes(30), "publish");
  add("draft", absl::Minutes(20), "draft");
  add("second", absl::Minutes(10), "publish");

  absl::StatusOr<std::vector<RemotePost>> posts =
      channel().ListRecent(kAccount, now - absl::Hours(1), 10);
  ASSERT_TRUE(posts.ok()) << posts.status();
  ASSERT_EQ(posts->size(), 2u);
  EXPECT_EQ((*posts)[0].text, "second");
  EXPECT_EQ((*posts)[1].external_id, first);
  EXPECT_EQ((*posts)[1].url, fake_.base_url() + "/first/");
  EXPECT_LT(absl::AbsDuration((*posts)[1].create_time - (now - absl::Minutes(30))),
            absl::Seconds(1));
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WordPressChannelTest, ReadsTheCommentCount) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("Comment on me"));
  ASSERT_TRUE(post.ok()) << post.status();
  ASSERT_TRUE(channel().Publish(Request("One", "p2", post->external_id)).ok());
  ASSERT_TRUE(channel().Publish(Request("Two", "p3", post->external_id)).ok());
  absl::StatusOr<Engagement> engagement = channel().ReadEngagement(kAccount, post->external_id);
  ASSERT_TRUE(engagement.ok()) << engagement.status();
  EXPECT_EQ(engagement->replies, 2);
  EXPECT_EQ(engagement->likes, -1);
  EXPECT_EQ(engagement->shares, -1);
  EXPECT_EQ(engagement->impressions, -1);
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

TEST_F(WordPressChannelTest, AHost429HoldsTheSiteAndTheLimiterThenRefusesWithoutARequest) {
  fake_.QueueFault(FakeFault::kRateLimited);
  ChannelFailure failure = FailureOf(channel().Publish(Request("Throttled")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_GT(failure.retry_after, absl::ZeroDuration());
  EXPECT_LE(failure.retry_after, absl::Seconds(4));
  int64_t requests = fake_.requests();
  ChannelFailure refused = FailureOf(channel().Publish(Request("Throttled")).status());
  EXPECT_EQ(refused.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WordPressChannelTest, MaintenanceIsUnknownThenReconciledAfterRetryAfter) {
  absl::Time since = clock_.Now();
  fake_.QueueMaintenance(120);
  PublishRequest request = Request("During maintenance");
  ChannelFailure failure = FailureOf(channel().Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_FALSE(failure.may_be_in_flight);
  int64_t requests = fake_.requests();
  absl::StatusOr<std::optional<Receipt>> held = channel().FindPublished(request, since);
  EXPECT_EQ(FailureOf(held.status()).kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(fake_.requests(), requests);
  clock_.Advance(absl::Seconds(121));
  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WordPressChannelTest, AServerErrorAfterCommitIsUnknownAndTheSlugFindsThePost) {
  absl::Time since = clock_.Now();
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

TEST_F(WordPressChannelTest, AStallAfterCommitIsUnknownInFlightAndTheSlugFindsThePost) {
  absl::Time since = clock_.Now();
  auto channel = MakeChannel(WordPressChannelOptions{.call_timeout = absl::Milliseconds(500)});
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

TEST_F(WordPressChannelTest, AServerErrorBeforeCommitIsUnknownAndFindPublishedSaysAbsent) {
  absl::Time since = clock_.Now();
  fake_.QueueFault(FakeFault::kServerErrorBefore);
  PublishRequest request = Request("Never committed");
  ChannelFailure failure = FailureOf(channel().Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kOutcomeUnknown);
  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WordPressChannelTest, ARevokedApplicationPasswordIsRefreshedAndTheCreateSentOnceMore) {
  // An operator put a new application password in the account's token file.
  fake_.AddApplicationPassword(kUser, kNewPassword);
  fake_.RevokeApplicationPassword(kUser, kPassword);  // 401 incorrect_password
  credentials_.QueueRefresh(kAccount, WordPressCredential(kNewPassword));
  absl::StatusOr<Receipt> receipt = channel().Publish(Request("Back in"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(WordPressChannelTest, ARevokedApplicationPasswordThatCannotBeRefreshedIsAuthExpired) {
  fake_.RevokeApplicationPassword(kUser, kPassword);  // nothing queued: UNAUTHENTICATED
  ChannelFailure failure = FailureOf(channel().Publish(Request("Locked out")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  EXPECT_TRUE(absl::StrContains(failure.message, "reconnect")) << failure.message;
  EXPECT_FALSE(absl::StrContains(failure.message, kPassword)) << failure.message;
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  // The rejected token is the credential's access token, which WordPress
  // accounts leave empty (the password is a field, sent as HTTP Basic).
  EXPECT_EQ(credentials_.rejected_tokens(), std::vector<std::string>{""});
  EXPECT_EQ(fake_.requests(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WordPressChannelTest, ARevokedApplicationPasswordWhoseRefreshIsUnavailableIsRetryable) {
  fake_.RevokeApplicationPassword(kUser, kPassword);
  credentials_.FailRefresh(kAccount, absl::UnavailableError("token store unavailable"));
  ChannelFailure failure = FailureOf(channel().Publish(Request("Later")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRetryable);
  EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.requests(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WordPressChannelTest, TheSamePasswordAfterARefreshIsNotSentAgain) {
  fake_.RevokeApplicationPassword(kUser, kPassword);
  credentials_.QueueRefresh(kAccount, WordPressCredential());  // nothing newer
  ChannelFailure failure = FailureOf(channel().Publish(Request("Locked out")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(failure.message, "revoked or wrong")) << failure.message;
  EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  EXPECT_EQ(credentials_.refresh_calls(), 1);
  EXPECT_EQ(fake_.requests(), 1);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WordPressChannelTest, RefusalsArePermanent) {
  fake_.DenyCreate(kUser);
  ChannelFailure denied = FailureOf(channel().Publish(Request("Not allowed")).status());
  EXPECT_EQ(denied.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(denied.message, "rest_cannot_create")) << denied.message;
  ChannelFailure no_post = FailureOf(channel().Publish(Request("Orphan", "p2", "999")).status());
  EXPECT_EQ(no_post.kind, ChannelErrorKind::kPermanent);
  int64_t requests = fake_.requests();
  ChannelFailure bad_id = FailureOf(channel().Publish(Request("Where?", "p3", "abc")).status());
  EXPECT_EQ(bad_id.kind, ChannelErrorKind::kPermanent);
  EXPECT_EQ(fake_.requests(), requests);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WordPressChannelTest, ADuplicateCommentIsPermanent) {
  absl::StatusOr<Receipt> post = channel().Publish(Request("Ask us anything"));
  ASSERT_TRUE(post.ok()) << post.status();
  ASSERT_TRUE(channel().Publish(Request("Same answer", "p2", post->external_id)).ok());
  ChannelFailure failure =
      FailureOf(channel().Publish(Request("Same answer", "p3", post->external_id)).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "duplicate")) << failure.message;
  EXPECT_EQ(fake_.creates_accepted(), 2);
}

// What the fake is for: a second create of one version gets "<slug>-2" and is
// counted, so a test that lets one through fails on creates_accepted().
TEST_F(WordPressChannelTest, ASecondCreateIsCountedAndTheFirstIsTheOneFound) {
  absl::Time since = clock_.Now();
  PublishRequest request = Request("Sent twice by mistake");
  absl::StatusOr<Receipt> first = channel().Publish(request);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<Receipt> second = channel().Publish(request);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(Attribute(*fake_.FindPost(second->external_id), "slug"), "cc-p1-v1-2");
  EXPECT_EQ(fake_.creates_accepted(), 2);
  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, first->external_id);
}

TEST_F(WordPressChannelTest, WhenTheSiteRewritesSlugsTheTextIsMatched) {
  fake_.set_rewrite_slugs(true);
  absl::Time since = clock_.Now();
  PublishRequest request = Request("New MRI suite\nOpening Monday, don't miss it.");
  absl::StatusOr<Receipt> receipt = channel().Publish(request);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(Attribute(*fake_.FindPost(receipt->external_id), "slug"), "new-mri-suite");
  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(request, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, receipt->external_id);
  absl::StatusOr<std::optional<Receipt>> other =
      channel().FindPublished(Request("Something else", "p2"), since);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_FALSE(other->has_value());
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

// A host announces nothing before its limit: the one 429 is the only request
// over it; after it nothing reaches the site until Retry-After has passed.
TEST_F(WordPressChannelTest, AfterTheOnly429NothingMoreReachesTheSite) {
  fake_.SetRateLimit(3, absl::Hours(1));
  int published = 0;
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    absl::StatusOr<Receipt> receipt =
        channel().Publish(Request(absl::StrCat("Post number ", i), absl::StrCat("p", i)));
    if (receipt.ok()) {
      ++published;
      continue;
    }
    ChannelFailure failure = ClassifyChannelError(receipt.status());
    EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited) << failure.message;
    EXPECT_GT(failure.retry_after, absl::Minutes(59));
    ++refused;
  }
  EXPECT_EQ(published, 3);
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(fake_.over_limit_requests(), 1);
  EXPECT_EQ(fake_.requests(), 4);
  EXPECT_EQ(fake_.creates_accepted(), 3);
}

TEST_F(WordPressChannelTest, MissingApplicationPasswordIsAuthExpired) {
  Credential credential;
  credential.fields["username"] = kUser;
  credentials_.Set(kAccount, credential);
  ChannelFailure failure = FailureOf(channel().Publish(Request("No password")).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_EQ(fake_.requests(), 0);
}

MediaRef HostedImage(const WordPressFake& fake, const std::string& name, const std::string& alt) {
  return {absl::StrCat(fake.base_url(), "/files/", name), alt, "image/jpeg"};
}

TEST_F(WordPressChannelTest, UploadsImagesFeaturesTheFirstAndEmbedsEachWithItsAltText) {
  fake_.AddFile("lobby.jpg", "jpeg-bytes-lobby", "image/jpeg");
  fake_.AddFile("desk.jpg", "jpeg-bytes-desk", "image/jpeg");
  PublishRequest one = Request("A new lobby", "p1");
  one.media = {HostedImage(fake_, "lobby.jpg", "The lobby")};
  absl::StatusOr<Receipt> first = channel().Publish(one);
  ASSERT_TRUE(first.ok()) << first.status();
  std::map<std::string, std::string> alt = fake_.media_alt_texts();
  ASSERT_EQ(alt.size(), 1u);
  EXPECT_EQ(alt.begin()->second, "The lobby");
  EXPECT_EQ(Attribute(*fake_.FindPost(first->external_id), "featured_media"), alt.begin()->first);

  absl::Time since = clock_.Now();
  PublishRequest two = Request("Welcome desk & lobby", "p2");
  two.media = {HostedImage(fake_, "desk.jpg", "The \"welcome\" desk & <staff>"),
               HostedImage(fake_, "lobby.jpg", "The lobby again")};
  absl::StatusOr<Receipt> second = channel().Publish(two);
  ASSERT_TRUE(second.ok()) << second.status();
  alt = fake_.media_alt_texts();
  ASSERT_EQ(alt.size(), 3u);
  auto desk = std::next(alt.begin());
  EXPECT_EQ(desk->second, "The \"welcome\" desk & <staff>");
  FakePost stored = *fake_.FindPost(second->external_id);
  EXPECT_EQ(Attribute(stored, "featured_media"), desk->first);
  EXPECT_TRUE(absl::StrContains(
      stored.text,
      absl::StrCat("<img src=\"", fake_.base_url(), "/wp-content/uploads/", desk->first,
                   "-image-1.jpg\" alt=\"The &quot;welcome&quot; desk &amp; "
                   "&lt;staff&gt;\"")))
      << stored.text;
  EXPECT_TRUE(absl::StrContains(stored.text, "alt=\"The lobby again\"")) << stored.text;
  EXPECT_EQ(fake_.uploads_accepted(), 3);
  EXPECT_EQ(fake_.creates_accepted(), 2);
  // The images do not hide the text from reconciliation.
  absl::StatusOr<std::optional<Receipt>> found = channel().FindPublished(two, since);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, second->external_id);
}

TEST_F(WordPressChannelTest, AnImageThatCannotBeFetchedIsPermanentAndNothingIsSent) {
  PublishRequest request = Request("Missing image");
  request.media = {HostedImage(fake_, "missing.jpg?sig=secret", "alt")};
  ChannelFailure failure = FailureOf(channel().Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_FALSE(absl::StrContains(failure.message, "secret")) << failure.message;
  EXPECT_EQ(fake_.uploads_accepted(), 0);
  EXPECT_EQ(fake_.creates_accepted(), 0);
}

TEST_F(WordPressChannelTest, AnUploadServerErrorIsRetryableAndCreatesNothing) {
  fake_.AddFile("lobby.jpg", "jpeg-bytes-lobby", "image/jpeg");
  PublishRequest request = Request("Retry me");
  request.media = {HostedImage(fake_, "lobby.jpg", "The lobby")};
  fake_.FailNextUpload(500);
  EXPECT_EQ(FailureOf(channel().Publish(request).status()).kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(fake_.creates_accepted(), 0);
  ASSERT_TRUE(channel().Publish(request).ok());
  EXPECT_EQ(fake_.creates_accepted(), 1);
}

TEST_F(WordPressChannelTest, TooManyImagesOrImagesOnACommentArePermanentBeforeAnyRequest) {
  PublishRequest request = Request("A big gallery");
  for (int i = 0; i < 11; ++i) request.media.push_back(HostedImage(fake_, "a.jpg", "alt"));
  ChannelFailure failure = FailureOf(channel().Publish(request).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "at most 10 images")) << failure.message;
  PublishRequest reply = Request("A comment with a picture", "p1", "42");
  reply.media = {HostedImage(fake_, "a.jpg", "alt")};
  failure = FailureOf(channel().Publish(reply).status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(failure.message, "comment")) << failure.message;
  EXPECT_EQ(fake_.requests(), 0);
}

}  // namespace
}  // namespace carecast::publisher
