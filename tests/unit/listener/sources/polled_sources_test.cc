// MastodonNotificationsSource and XRecentSearchSource against the local fakes
// (tests/support/fake_networks) over CurlHttpClient, and against a scripted
// HttpClient for the answers the fakes never give (bad JSON, no reset header).
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "services/common/base/clock.h"
#include "services/common/http/curl_http_client.h"
#include "services/listener/sources/html_text.h"
#include "services/listener/sources/mastodon_notifications_source.h"
#include "services/listener/sources/polled_source_support.h"
#include "services/listener/sources/x_recent_search_source.h"
#include "tests/support/fake_networks/mastodon_fake.h"
#include "tests/support/fake_networks/x_fake.h"

namespace carecast::listener {
namespace {

using carecast::testing::FakeFault;
using carecast::testing::MastodonFake;
using carecast::testing::MastodonFakeSettings;
using carecast::testing::XFake;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAccount[] = "spokes/north/accounts/mastodon-main";
constexpr char kToken[] = "secret-token-1";

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::vector<std::string> Ids(const std::vector<v1::Mention>& mentions) {
  std::vector<std::string> ids;
  ids.reserve(mentions.size());
  for (const v1::Mention& m : mentions) ids.push_back(m.external_id());
  return ids;
}

// Replies with what the test scripted and keeps the calls.
class ScriptedHttpClient final : public common::HttpClient {
 public:
  absl::StatusOr<common::HttpReply> Send(const common::HttpCall& call) override {
    calls.push_back(call);
    return reply;
  }
  absl::StatusOr<common::HttpReply> reply;
  std::vector<common::HttpCall> calls;
};

common::HttpReply Reply(int status, std::string body,
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
  common::HttpReply reply;
  reply.status = status;
  reply.body = std::move(body);
  reply.headers = std::move(headers);
  return reply;
}

// --- entity and HTML decoding -------------------------------------------------

TEST(HtmlTextTest, StripsTagsKeepsLinesAndDecodesEntities) {
  EXPECT_EQ(HtmlToPlainText("<p>One &amp; two<br />three</p><p>&lt;b&gt; &quot;x&quot; "
                            "it&#39;s &#233;&#x1F600; &unknown; a&b</p>"),
            "One & two\nthree\n\n<b> \"x\" it's \xC3\xA9\xF0\x9F\x98\x80 &unknown; a&b");
  EXPECT_EQ(HtmlToPlainText(R"(<p><span class="h-card"><a href="https://m.example/@c" )"
                            R"(class="u-url mention">@<span>c</span></a></span> hi</p>)"),
            "@c hi");
  // Decoded once: an escaped entity stays an entity.
  EXPECT_EQ(DecodeHtmlEntities("&amp;lt; &#0; &#xZZ;"), "&lt; &#0; &#xZZ;");
}

TEST(PolledSourceSupportTest, IdsCompareAsNumbers) {
  EXPECT_TRUE(IdLess("999", "1000"));
  EXPECT_FALSE(IdLess("1000", "999"));
  EXPECT_TRUE(IdLess("1879", "1880"));
  EXPECT_FALSE(IdLess("5", "5"));
}

// --- Mastodon -------------------------------------------------------------------

class MastodonSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Start().ok());
    fake_.AcceptToken(kToken);
  }

  static MastodonFakeSettings FakeSettings() {
    MastodonFakeSettings settings;
    // 95 notifications from 980 run into four-digit ids: compared as strings
    // "999" would come after "1000".
    settings.first_notification_id = 980;
    return settings;
  }

  std::unique_ptr<MastodonNotificationsSource> MakeSource(std::string token = kToken) {
    MastodonNotificationsSettings settings;
    settings.name = "mastodon-main";
    settings.base_url = absl::StrCat(fake_.base_url(), "/");
    settings.token = std::move(token);
    settings.account = kAccount;
    return std::make_unique<MastodonNotificationsSource>(settings, http_, clock_);
  }

  // The checkpoint after one mention already read.
  std::string Baseline() {
    fake_.AddMention("before", "already read");
    absl::StatusOr<SourcePage> page = MakeSource()->Fetch("");
    EXPECT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->mentions.size(), 1u);
    return page.ok() ? page->next_checkpoint : "";
  }

  MastodonFake fake_{FakeSettings()};
  common::SystemClock clock_;
  common::CurlHttpClient http_;
};

TEST_F(MastodonSourceTest, CatchUpReadsEveryMentionOnceInOrder) {
  const std::string start = Baseline();
  EXPECT_EQ(start, "980");
  std::vector<std::string> added;
  added.reserve(added.size() + 95);
  for (int i = 0; i < 95; ++i) {
    added.push_back(fake_.AddMention(absl::StrCat("user", i), absl::StrCat("@carecast #", i)));
  }
  auto source = MakeSource();
  const int64_t reads_before = fake_.notification_reads();
  std::vector<v1::Mention> got;
  std::vector<size_t> page_sizes;
  std::string checkpoint = start;
  bool more = true;
  for (int fetches = 0; more && fetches < 10; ++fetches) {
    absl::StatusOr<SourcePage> page = source->Fetch(checkpoint);
    ASSERT_TRUE(page.ok()) << page.status();
    page_sizes.push_back(page->mentions.size());
    got.insert(got.end(), page->mentions.begin(), page->mentions.end());
    checkpoint = page->next_checkpoint;
    more = page->more;
    EXPECT_EQ(page->not_before, absl::InfinitePast());
  }
  EXPECT_THAT(page_sizes, ElementsAreArray({40u, 40u, 15u}));
  EXPECT_EQ(fake_.notification_reads() - reads_before, 3);
  EXPECT_THAT(Ids(got), ElementsAreArray(added));
  EXPECT_EQ(checkpoint, "1075");  // 980 + 95
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].network(), v1::NETWORK_MASTODON);
    EXPECT_EQ(got[i].author_handle(), absl::StrCat("user", i));
    EXPECT_EQ(got[i].text(), absl::StrCat("@carecast #", i));
    EXPECT_EQ(got[i].account(), kAccount);
  }

  // Nothing new: an empty page, the checkpoint where it was.
  absl::StatusOr<SourcePage> idle = source->Fetch(checkpoint);
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_TRUE(idle->mentions.empty());
  EXPECT_EQ(idle->next_checkpoint, checkpoint);
  EXPECT_FALSE(idle->more);
}

TEST_F(MastodonSourceTest, RestartFromAStoredCheckpointContinuesWithoutLossOrRepeat) {
  std::string checkpoint = Baseline();
  std::vector<std::string> added;
  added.reserve(added.size() + 60);
  for (int i = 0; i < 60; ++i) added.push_back(fake_.AddMention("alice", absl::StrCat("m", i)));

  std::vector<std::string> got;
  {
    absl::StatusOr<SourcePage> first = MakeSource()->Fetch(checkpoint);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_TRUE(first->more);
    for (const std::string& id : Ids(first->mentions)) got.push_back(id);
    checkpoint = first->next_checkpoint;
  }
  // More arrive while the listener is down.
  added.reserve(added.size() + 10);
  for (int i = 60; i < 70; ++i) added.push_back(fake_.AddMention("bob", absl::StrCat("m", i)));
  auto restarted = MakeSource();
  for (bool more = true; more;) {
    absl::StatusOr<SourcePage> page = restarted->Fetch(checkpoint);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const std::string& id : Ids(page->mentions)) got.push_back(id);
    checkpoint = page->next_checkpoint;
    more = page->more;
  }
  EXPECT_THAT(got, ElementsAreArray(added));
}

TEST_F(MastodonSourceTest, EmptyCheckpointReadsOnlyTheNewestPage) {
  std::vector<std::string> added;
  added.reserve(added.size() + 50);
  for (int i = 0; i < 50; ++i) added.push_back(fake_.AddMention("carol", absl::StrCat("m", i)));
  const int64_t reads_before = fake_.notification_reads();
  absl::StatusOr<SourcePage> page = MakeSource()->Fetch("");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(fake_.notification_reads() - reads_before, 1);
  EXPECT_THAT(Ids(page->mentions),
              ElementsAreArray(std::vector<std::string>(added.begin() + 10, added.end())));
  EXPECT_EQ(page->next_checkpoint, "1029");  // 980 + 49
  EXPECT_FALSE(page->more);
}

TEST_F(MastodonSourceTest, ContentBecomesPlainTextAndDirectMentionsAreKept) {
  const std::string text =
      "Hi @carecast & <team>: \"where\" is the clinic?\nIt's caf\xC3\xA9 day\n\n"
      "See https://example.org/a/very/long/path/that/mastodon/cuts #flu";
  const absl::Time before = absl::Now() - absl::Seconds(1);
  const std::string id = fake_.AddMention("dave@other.example", text, "direct");
  absl::StatusOr<SourcePage> page = MakeSource()->Fetch("");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->mentions.size(), 1u);
  const v1::Mention& m = page->mentions[0];
  EXPECT_EQ(m.external_id(), id);  // the status, not the notification
  EXPECT_EQ(m.author_handle(), "dave@other.example");
  EXPECT_EQ(m.text(), text);
  EXPECT_EQ(m.network(), v1::NETWORK_MASTODON);
  EXPECT_GE(TimeOf(m.create_time()), before);
  EXPECT_LE(TimeOf(m.create_time()), absl::Now());
}

TEST_F(MastodonSourceTest, RateLimitWaitsForTheResetHeaderAndKeepsTheCheckpoint) {
  const std::string checkpoint = Baseline();
  fake_.AddMention("erin", "waiting");
  fake_.QueueReadFault(FakeFault::kRateLimited);  // reset in 2s
  auto source = MakeSource();
  const absl::Time before = absl::Now();
  absl::StatusOr<SourcePage> limited = source->Fetch(checkpoint);
  ASSERT_TRUE(limited.ok()) << limited.status();
  EXPECT_TRUE(limited->mentions.empty());
  EXPECT_EQ(limited->next_checkpoint, checkpoint);
  EXPECT_FALSE(limited->more);
  EXPECT_GE(limited->not_before, before + absl::Seconds(2));
  EXPECT_LE(limited->not_before, absl::Now() + absl::Seconds(2));

  absl::StatusOr<SourcePage> after = source->Fetch(checkpoint);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->mentions.size(), 1u);

  // The instance's own budget spent: its window's end (5 minutes), not a guess.
  fake_.SetRateLimit(1, absl::Minutes(5));
  const absl::Time window_start = absl::Now();
  ASSERT_TRUE(source->Fetch(checkpoint).ok());
  absl::StatusOr<SourcePage> spent = source->Fetch(checkpoint);
  ASSERT_TRUE(spent.ok()) << spent.status();
  EXPECT_EQ(spent->next_checkpoint, checkpoint);
  EXPECT_GE(spent->not_before, window_start + absl::Minutes(5));
  EXPECT_LE(spent->not_before, absl::Now() + absl::Minutes(5));
}

TEST_F(MastodonSourceTest, RefusedTokenIsUnauthenticatedAndNotInTheMessage) {
  absl::StatusOr<SourcePage> page = MakeSource("wrong-token-xyz")->Fetch("");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kUnauthenticated) << page.status();
  EXPECT_THAT(page.status().message(), Not(HasSubstr("wrong-token-xyz")));
}

TEST_F(MastodonSourceTest, ServerErrorAndTransportFailureAreUnavailable) {
  fake_.QueueReadFault(FakeFault::kServerErrorBefore);
  absl::StatusOr<SourcePage> page = MakeSource()->Fetch("");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kUnavailable) << page.status();

  // Nothing listens on port 1: the connection is refused.
  MastodonNotificationsSettings settings;
  settings.base_url = "http://127.0.0.1:1";
  settings.token = kToken;
  MastodonNotificationsSource unreachable(settings, http_, clock_);
  absl::StatusOr<SourcePage> down = unreachable.Fetch("5");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
}

TEST_F(MastodonSourceTest, FakeFiltersByTypeAndLinksThePages) {
  fake_.AddMention("fay", "one");
  const std::string follow = fake_.AddNotification("follow", "gus");
  fake_.AddMention("fay", "two");
  common::HttpCall call;
  call.url = absl::StrCat(fake_.base_url(), "/api/v1/notifications?types%5B%5D=follow&limit=5");
  call.headers.emplace_back("Authorization", absl::StrCat("Bearer ", kToken));
  absl::StatusOr<common::HttpReply> reply = http_.Send(call);
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->status, 200) << reply->body;
  EXPECT_THAT(reply->body, HasSubstr(absl::StrCat("\"id\":\"", follow, "\"")));
  EXPECT_THAT(reply->body, Not(HasSubstr("\"mention\"")));
  EXPECT_THAT(reply->Header("link"), HasSubstr(absl::StrCat("max_id=", follow, ">; rel=\"next\"")));

  // The source asks for mentions only: the follow is not read at all.
  absl::StatusOr<SourcePage> page = MakeSource()->Fetch("");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->mentions.size(), 2u);
  EXPECT_EQ(page->next_checkpoint, "982");
}

TEST(MastodonSourceScriptedTest, RequestShapeSkippedTypesAndBadAnswers) {
  ScriptedHttpClient http;
  common::FakeClock clock;
  MastodonNotificationsSettings settings;
  settings.base_url = "https://m.example";
  settings.token = kToken;
  MastodonNotificationsSource source(settings, http, clock);

  // A favourite is not a mention, but the checkpoint moves past it.
  http.reply = Reply(200, R"([
    {"id":"1002","type":"favourite","account":{"acct":"x"}},
    {"id":"999","type":"mention","account":{"acct":"y"},
     "status":{"id":"77","created_at":"2026-12-05T10:00:00.000Z","content":"<p>a</p>",
               "visibility":"direct","account":{"acct":"y"}}}])");
  absl::StatusOr<SourcePage> page = source.Fetch("998");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->mentions.size(), 1u);
  EXPECT_EQ(page->mentions[0].external_id(), "77");
  EXPECT_EQ(TimeOf(page->mentions[0].create_time()), absl::FromUnixSeconds(1796464800));
  EXPECT_EQ(page->next_checkpoint, "1002");
  EXPECT_FALSE(page->more);
  ASSERT_EQ(http.calls.size(), 1u);
  EXPECT_EQ(http.calls[0].url,
            "https://m.example/api/v1/notifications?types%5B%5D=mention&limit=40&min_id=998");
  EXPECT_THAT(http.calls[0].headers, ::testing::Contains(std::pair<std::string, std::string>(
                                         "Authorization", absl::StrCat("Bearer ", kToken))));

  http.reply = Reply(200, "[{\"id\":");
  EXPECT_EQ(source.Fetch("1").status().code(), absl::StatusCode::kInternal);
  http.reply = Reply(200, "{\"error\":\"not a list\"}");
  EXPECT_EQ(source.Fetch("1").status().code(), absl::StatusCode::kInternal);

  http.reply = Reply(403, R"({"error":"This action is outside the authorized scopes"})");
  absl::StatusOr<SourcePage> refused = source.Fetch("1");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("authorized scopes"));

  // A 429 without a reset header waits a minute.
  http.reply = Reply(429, R"({"error":"Too many requests"})");
  absl::StatusOr<SourcePage> limited = source.Fetch("1");
  ASSERT_TRUE(limited.ok()) << limited.status();
  EXPECT_EQ(limited->not_before, clock.Now() + absl::Seconds(60));
  EXPECT_EQ(limited->next_checkpoint, "1");

  http.reply = absl::UnavailableError("connect to m.example refused");
  EXPECT_EQ(source.Fetch("1").status().code(), absl::StatusCode::kUnavailable);
  http.reply = absl::DeadlineExceededError("m.example: timed out");
  EXPECT_EQ(source.Fetch("1").status().code(), absl::StatusCode::kUnavailable);
}

// --- X ----------------------------------------------------------------------------

constexpr char kQuery[] = "@carecast OR carecast.org";

class XSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Start().ok());
    fake_.AcceptToken(kToken);
  }

  std::unique_ptr<XRecentSearchSource> MakeSource(int max_results = 10, std::string token = kToken,
                                                  std::string query = kQuery) {
    XRecentSearchSettings settings;
    settings.name = "x-main";
    settings.base_url = fake_.base_url();
    settings.token = std::move(token);
    settings.account = kAccount;
    settings.query = std::move(query);
    settings.max_results = max_results;
    return std::make_unique<XRecentSearchSource>(settings, http_, clock_);
  }

  std::string Baseline() {
    fake_.AddSearchable("early", "@carecast hello");
    absl::StatusOr<SourcePage> page = MakeSource()->Fetch("");
    EXPECT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->mentions.size(), 1u);
    return page.ok() ? page->next_checkpoint : "";
  }

  // Fetches until the source says no more; every page oldest first.
  void Drain(XRecentSearchSource& source, std::string& checkpoint, std::vector<std::string>& got,
             int max_fetches = 20) {
    for (bool more = true; more && max_fetches-- > 0;) {
      absl::StatusOr<SourcePage> page = source.Fetch(checkpoint);
      ASSERT_TRUE(page.ok()) << page.status();
      std::vector<std::string> ids = Ids(page->mentions);
      EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end(), IdLess));
      got.insert(got.end(), ids.begin(), ids.end());
      checkpoint = page->next_checkpoint;
      more = page->more;
    }
  }

  XFake fake_;
  common::SystemClock clock_;
  common::CurlHttpClient http_;
};

TEST_F(XSourceTest, CatchUpWalksEveryPageAndReadsEachPostOnce) {
  const std::string start = Baseline();
  ASSERT_THAT(start, ::testing::StartsWith("since="));
  std::vector<std::string> added;
  added.reserve(added.size() + 95);
  for (int i = 0; i < 95; ++i) {
    added.push_back(fake_.AddSearchable(absl::StrCat("u", i), absl::StrCat("@carecast hi ", i)));
    if (i % 10 == 0) fake_.AddSearchable("other", "not about us");
  }
  auto source = MakeSource();
  const int64_t reads_before = fake_.search_reads();
  std::string checkpoint = start;
  std::vector<std::string> got;
  std::vector<std::string> checkpoints;
  for (bool more = true; more && checkpoints.size() < 20;) {
    absl::StatusOr<SourcePage> page = source->Fetch(checkpoint);
    ASSERT_TRUE(page.ok()) << page.status();
    std::vector<std::string> ids = Ids(page->mentions);
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end(), IdLess)) << "oldest first in a page";
    got.insert(got.end(), ids.begin(), ids.end());
    checkpoint = page->next_checkpoint;
    checkpoints.push_back(checkpoint);
    more = page->more;
  }
  EXPECT_EQ(fake_.search_reads() - reads_before, 10);
  ASSERT_EQ(checkpoints.size(), 10u);
  for (size_t i = 0; i + 1 < checkpoints.size(); ++i)
    EXPECT_THAT(checkpoints[i], HasSubstr(";next=")) << i;
  EXPECT_EQ(checkpoints.back(), absl::StrCat("since=", added.back()));
  EXPECT_EQ(got.size(), 95u);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()),
            std::set<std::string>(added.begin(), added.end()));
  // Pages run newest to oldest: the first page is the newest ten.
  EXPECT_THAT(std::vector<std::string>(got.begin(), got.begin() + 10),
              ElementsAreArray(std::vector<std::string>(added.end() - 10, added.end())));

  absl::StatusOr<SourcePage> idle = source->Fetch(checkpoint);
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_TRUE(idle->mentions.empty());
  EXPECT_EQ(idle->next_checkpoint, checkpoint);
  EXPECT_FALSE(idle->more);
}

TEST_F(XSourceTest, RestartInTheMiddleOfAWalkContinuesWithoutLossOrRepeat) {
  std::string checkpoint = Baseline();
  std::set<std::string> added;
  for (int i = 0; i < 45; ++i)
    added.insert(fake_.AddSearchable("ann", absl::StrCat("@carecast ", i)));
  std::vector<std::string> got;
  {
    auto first = MakeSource();
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<SourcePage> page = first->Fetch(checkpoint);
      ASSERT_TRUE(page.ok()) << page.status();
      ASSERT_TRUE(page->more);
      for (const std::string& id : Ids(page->mentions)) got.push_back(id);
      checkpoint = page->next_checkpoint;
    }
  }
  ASSERT_THAT(checkpoint, HasSubstr(";next="));
  // Posted while the listener was down, in the middle of its walk.
  for (int i = 0; i < 5; ++i)
    added.insert(fake_.AddSearchable("ben", absl::StrCat("see carecast.org ", i)));
  auto restarted = MakeSource();
  Drain(*restarted, checkpoint, got);  // finishes the walk
  EXPECT_EQ(got.size(), 45u);
  Drain(*restarted, checkpoint, got);  // then what came meanwhile
  EXPECT_EQ(got.size(), 50u);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), added);
}

TEST_F(XSourceTest, EmptyCheckpointReadsOnlyTheNewestPage) {
  std::vector<std::string> added;
  added.reserve(added.size() + 25);
  for (int i = 0; i < 25; ++i)
    added.push_back(fake_.AddSearchable("cy", absl::StrCat("@carecast ", i)));
  const int64_t reads_before = fake_.search_reads();
  absl::StatusOr<SourcePage> page = MakeSource()->Fetch("");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(fake_.search_reads() - reads_before, 1);
  EXPECT_THAT(Ids(page->mentions),
              ElementsAreArray(std::vector<std::string>(added.end() - 10, added.end())));
  EXPECT_EQ(page->next_checkpoint, absl::StrCat("since=", added.back()));
  EXPECT_FALSE(page->more);

  // Nothing matches yet: nothing moves.
  absl::StatusOr<SourcePage> nothing = MakeSource(10, kToken, "@nobody")->Fetch("");
  ASSERT_TRUE(nothing.ok()) << nothing.status();
  EXPECT_TRUE(nothing->mentions.empty());
  EXPECT_EQ(nothing->next_checkpoint, "");
}

TEST_F(XSourceTest, MentionCarriesUsernameDecodedTextAndTime) {
  const std::string text = "@carecast is 5 < 6 & 7 > 3? &amp; caf\xC3\xA9";
  const absl::Time before = absl::Now() - absl::Seconds(1);
  const std::string id = fake_.AddSearchable("dana_health", text);
  absl::StatusOr<SourcePage> page = MakeSource()->Fetch("");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->mentions.size(), 1u);
  const v1::Mention& m = page->mentions[0];
  EXPECT_EQ(m.network(), v1::NETWORK_X);
  EXPECT_EQ(m.external_id(), id);
  EXPECT_EQ(m.author_handle(), "dana_health");
  EXPECT_EQ(m.text(), text);
  EXPECT_EQ(m.account(), kAccount);
  EXPECT_GE(TimeOf(m.create_time()), before);
  EXPECT_LE(TimeOf(m.create_time()), absl::Now());
}

TEST_F(XSourceTest, RateLimitWaitsForTheResetHeaderAndKeepsTheCheckpoint) {
  const std::string checkpoint = Baseline();
  fake_.AddSearchable("eve", "@carecast later");
  auto source = MakeSource();
  fake_.QueueReadFault(FakeFault::kRateLimited);  // reset in 2s, in whole seconds
  const absl::Time before = absl::Now();
  absl::StatusOr<SourcePage> limited = source->Fetch(checkpoint);
  ASSERT_TRUE(limited.ok()) << limited.status();
  EXPECT_TRUE(limited->mentions.empty());
  EXPECT_EQ(limited->next_checkpoint, checkpoint);
  EXPECT_GE(limited->not_before, before + absl::Seconds(1));
  EXPECT_LE(limited->not_before, absl::Now() + absl::Seconds(3));

  fake_.SetRateLimit(1, absl::Minutes(15));
  const absl::Time window_start = absl::Now();
  absl::StatusOr<SourcePage> served = source->Fetch(checkpoint);
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->mentions.size(), 1u);
  absl::StatusOr<SourcePage> spent = source->Fetch(served->next_checkpoint);
  ASSERT_TRUE(spent.ok()) << spent.status();
  EXPECT_EQ(spent->next_checkpoint, served->next_checkpoint);
  EXPECT_GE(spent->not_before, window_start + absl::Minutes(15) - absl::Seconds(1));
  EXPECT_LE(spent->not_before, absl::Now() + absl::Minutes(15) + absl::Seconds(1));
}

TEST_F(XSourceTest, ErrorsAsTheInterfaceSays) {
  absl::StatusOr<SourcePage> refused = MakeSource(10, "wrong-token-xyz")->Fetch("");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
  EXPECT_THAT(refused.status().message(), Not(HasSubstr("wrong-token-xyz")));

  // X refuses max_results below 10: the source is configured wrongly.
  absl::StatusOr<SourcePage> bad = MakeSource(5)->Fetch("");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition) << bad.status();
  EXPECT_THAT(bad.status().message(), HasSubstr("max_results"));

  fake_.QueueReadFault(FakeFault::kServerErrorBefore);
  absl::StatusOr<SourcePage> down = MakeSource()->Fetch("");
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();

  const int64_t reads_before = fake_.search_reads();
  for (const char* corrupt :
       {"since=", "since=12;next=abc", "newest=5", "since=1;newest=2;next="}) {
    EXPECT_EQ(MakeSource()->Fetch(corrupt).status().code(), absl::StatusCode::kFailedPrecondition)
        << corrupt;
  }
  EXPECT_EQ(fake_.search_reads(), reads_before);
}

TEST(XSourceScriptedTest, RequestShapeAndBadAnswers) {
  ScriptedHttpClient http;
  common::FakeClock clock;
  XRecentSearchSettings settings;
  settings.base_url = "https://api.x.example/";
  settings.token = kToken;
  settings.query = "@carecast OR #flu";
  XRecentSearchSource source(settings, http, clock);

  http.reply = Reply(200, R"({"data":[
      {"id":"1880000000000000002","text":"b","created_at":"2026-12-05T10:00:01.000Z","author_id":"9"},
      {"id":"999999999999999999","text":"a","created_at":"2026-12-05T10:00:00.000Z","author_id":"8"}],
    "includes":{"users":[{"id":"9","username":"nine"}]},
    "meta":{"newest_id":"1880000000000000002","oldest_id":"999999999999999999",
            "result_count":2,"next_token":"tok;en"}})");
  absl::StatusOr<SourcePage> page = source.Fetch("since=5;newest=1880000000000000009;next=abc");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(Ids(page->mentions), ElementsAreArray({"999999999999999999", "1880000000000000002"}));
  EXPECT_EQ(page->mentions[0].author_handle(), "8");  // not in includes: the id
  EXPECT_EQ(page->mentions[1].author_handle(), "nine");
  EXPECT_EQ(page->next_checkpoint, "since=5;newest=1880000000000000009;next=tok;en");
  EXPECT_TRUE(page->more);
  ASSERT_EQ(http.calls.size(), 1u);
  EXPECT_EQ(http.calls[0].url,
            "https://api.x.example/2/tweets/search/recent?query=%40carecast%20OR%20%23flu"
            "&max_results=100&since_id=5&pagination_token=abc"
            "&tweet.fields=created_at%2Cauthor_id%2Cconversation_id"
            "&expansions=author_id&user.fields=username");

  // A token holding ';' survives the checkpoint.
  http.reply = Reply(200, R"({"meta":{"result_count":0}})");
  absl::StatusOr<SourcePage> last = source.Fetch(page->next_checkpoint);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_THAT(http.calls.back().url, HasSubstr("&pagination_token=tok%3Ben&"));
  EXPECT_EQ(last->next_checkpoint, "since=1880000000000000009");  // the walk is done
  EXPECT_FALSE(last->more);

  http.reply = Reply(200, R"({"meta":{"result_count":0}})");
  absl::StatusOr<SourcePage> idle = source.Fetch("since=7");
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_EQ(idle->next_checkpoint, "since=7");

  http.reply = Reply(200, "not json");
  EXPECT_EQ(source.Fetch("since=7").status().code(), absl::StatusCode::kInternal);
  http.reply = Reply(200, R"({"data":[{"id":"1","text":"x"}],"meta":{"result_count":1}})");
  EXPECT_EQ(source.Fetch("since=7").status().code(), absl::StatusCode::kInternal);

  http.reply = Reply(403, R"({"title":"Forbidden","detail":"client-not-enrolled"})");
  EXPECT_EQ(source.Fetch("since=7").status().code(), absl::StatusCode::kFailedPrecondition);

  http.reply = Reply(429, "{}", {{"x-rate-limit-reset", "1800000600"}});
  absl::StatusOr<SourcePage> limited = source.Fetch("since=7");
  ASSERT_TRUE(limited.ok()) << limited.status();
  EXPECT_EQ(limited->not_before, absl::FromUnixSeconds(1800000600));
  http.reply = Reply(429, "{}");
  limited = source.Fetch("since=7");
  ASSERT_TRUE(limited.ok()) << limited.status();
  EXPECT_EQ(limited->not_before, clock.Now() + absl::Seconds(60));
  EXPECT_EQ(limited->next_checkpoint, "since=7");
}

}  // namespace
}  // namespace carecast::listener
