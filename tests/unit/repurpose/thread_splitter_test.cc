// Threads: a text too long for one post, cut at sentences, then words, then
// grapheme clusters, never inside a link, tag, cluster or UTF-8 sequence.
#include "services/common/repurpose/thread_splitter.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/networks/text_length.h"
#include "services/common/repurpose/text_scan.h"

namespace carecast::common::repurpose {
namespace {

using networks::FindRules;
using networks::NetworkRules;
using ::testing::HasSubstr;
using ::testing::Not;

const NetworkRules& Rules(v1::Network n) { return *FindRules(n); }

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

// The post without its " k/n".
std::string Body(const std::string& post, size_t k, size_t n) {
  const std::string suffix = absl::StrCat(" ", k, "/", n);
  EXPECT_TRUE(absl::EndsWith(post, suffix)) << post;
  return post.substr(0, post.size() - suffix.size());
}

std::vector<std::string> Bodies(const std::vector<std::string>& posts) {
  std::vector<std::string> out;
  for (size_t k = 0; k < posts.size(); ++k) out.push_back(Body(posts[k], k + 1, posts.size()));
  return out;
}

std::vector<std::string> Split(std::string_view text, v1::Network n, size_t max_parts = 20) {
  absl::StatusOr<std::vector<std::string>> posts = SplitIntoThread(text, Rules(n), max_parts);
  EXPECT_TRUE(posts.ok()) << posts.status();
  if (!posts.ok()) return {};
  for (const std::string& post : *posts) {
    EXPECT_TRUE(FitsOnePost(Rules(n), post)) << networks::TextLength(Rules(n), post);
    EXPECT_TRUE(IsValidUtf8(post));
  }
  return *posts;
}

constexpr std::string_view kSentence =
    "Flu vaccines are available at every St Mary's clinic this week, no appointment needed. ";

TEST(ThreadSplitterTest, ATextThatFitsIsOnePostWithoutNumbering) {
  EXPECT_EQ(Split("Flu shots today.", v1::NETWORK_X), std::vector<std::string>{"Flu shots today."});
}

TEST(ThreadSplitterTest, CutsAtSentencesAndNumbersEachPost) {
  std::string text = Repeat(kSentence, 8);
  text.pop_back();
  const std::vector<std::string> posts = Split(text, v1::NETWORK_X);
  ASSERT_GE(posts.size(), 3U);
  const std::vector<std::string> bodies = Bodies(posts);
  for (const std::string& body : bodies) EXPECT_TRUE(absl::EndsWith(body, "needed.")) << body;
  std::string joined;
  for (const std::string& body : bodies) absl::StrAppend(&joined, joined.empty() ? "" : " ", body);
  EXPECT_EQ(joined, text);
}

TEST(ThreadSplitterTest, ASentenceLongerThanAPostIsCutBetweenWords) {
  const std::string text = Repeat("immunisation ", 60) + "ends.";
  const std::vector<std::string> posts = Split(text, v1::NETWORK_MASTODON);
  ASSERT_EQ(posts.size(), 2U);
  const std::vector<std::string> bodies = Bodies(posts);
  EXPECT_EQ(bodies[0] + " " + bodies[1], text);
  // The first post is as full as whole words allow.
  EXPECT_GT(networks::MastodonLength(posts[0]), 500U - 13U);
}

TEST(ThreadSplitterTest, PrefersASentenceEndOnlyWhenItKeepsThePostHalfFull) {
  // A short first sentence, then a long one: cutting after "Hi." would waste a post.
  const std::string text = "Hi. " + Repeat("word ", 80) + "end.";
  const std::vector<std::string> posts = Split(text, v1::NETWORK_X);
  EXPECT_NE(Bodies(posts)[0], "Hi.");
  // A sentence end past the middle wins over a later word.
  const std::string two = Repeat("a ", 100) + "b. " + Repeat("c ", 60) + "d.";
  EXPECT_TRUE(absl::EndsWith(Bodies(Split(two, v1::NETWORK_X))[0], "b."));
}

TEST(ThreadSplitterTest, LinksAndHashtagsStayWhole) {
  std::string text;
  for (int i = 0; i < 30; ++i) {
    absl::StrAppend(&text, "See https://stmarys.org/clinics/flu-", i, "?ref=social and #FluShot", i,
                    " now. ");
  }
  text.pop_back();
  for (v1::Network n : {v1::NETWORK_X, v1::NETWORK_MASTODON, v1::NETWORK_BLUESKY}) {
    const std::vector<std::string> posts = Split(text, n);
    std::string all;
    for (const std::string& post : posts) all += post + "\n";
    for (int i = 0; i < 30; ++i) {
      EXPECT_THAT(all,
                  HasSubstr(absl::StrCat("https://stmarys.org/clinics/flu-", i, "?ref=social")));
      EXPECT_THAT(all, HasSubstr(absl::StrCat("#FluShot", i, " ")));
    }
  }
}

TEST(ThreadSplitterTest, CjkWithoutSpacesIsCutAtFullStopsThenBetweenCharacters) {
  const std::string sentence = "インフルエンザの予防接種は今週すべての診療所で受けられます。";
  const std::string text = Repeat(sentence, 12);
  const std::vector<std::string> bodies = Bodies(Split(text, v1::NETWORK_X));
  std::string joined;
  for (const std::string& body : bodies) {
    EXPECT_TRUE(absl::EndsWith(body, "。")) << body;
    joined += body;
  }
  EXPECT_EQ(joined, text);

  const std::string run = Repeat("予防接種", 200);
  joined.clear();
  for (const std::string& body : Bodies(Split(run, v1::NETWORK_X))) joined += body;
  EXPECT_EQ(joined, run);
}

TEST(ThreadSplitterTest, NeverCutsAGraphemeCluster) {
  const std::string health_worker = "\U0001F469\u200D\u2695\uFE0F";  // 👩‍⚕️
  const std::string family = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466";
  const std::string accented = "e\u0301";  // é as e + combining acute
  for (const std::string& cluster :
       {health_worker, family, accented, std::string("\U0001F1FA\U0001F1F8")}) {
    for (v1::Network n : {v1::NETWORK_X, v1::NETWORK_MASTODON, v1::NETWORK_BLUESKY}) {
      const std::string text = Repeat(cluster, 700);
      std::string joined;
      for (const std::string& body : Bodies(Split(text, n, 50))) {
        EXPECT_EQ(body.size() % cluster.size(), 0U) << n;
        EXPECT_EQ(body.substr(0, cluster.size()), cluster);
        joined += body;
      }
      EXPECT_EQ(joined, text);
    }
  }
}

TEST(ThreadSplitterTest, NeverCutsAtASpaceThatACombiningMarkJoins) {
  // " \u0301" is one cluster: the space there is not a place to cut.
  const std::string text = Repeat("word \u0301x ", 80);
  for (const std::string& body : Bodies(Split(NormalizeWhitespace(text), v1::NETWORK_BLUESKY))) {
    EXPECT_FALSE(absl::StartsWith(body, "\u0301")) << body;
  }
}

TEST(ThreadSplitterTest, BlueskyAlsoCountsBytes) {
  // 250 family emoji: 250 graphemes but 6250 bytes, over Bluesky's 3000.
  const std::string family = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466";
  const std::vector<std::string> posts =
      Split(NormalizeWhitespace(Repeat(family + " ", 250)), v1::NETWORK_BLUESKY);
  EXPECT_GE(posts.size(), 3U);
  for (const std::string& post : posts) EXPECT_LE(post.size(), 3000U);
}

TEST(ThreadSplitterTest, LongThreadsCountTheWiderNumbering) {
  std::string text = Repeat(kSentence, 40);
  text.pop_back();
  const std::vector<std::string> posts = Split(text, v1::NETWORK_BLUESKY, 99);
  ASSERT_GE(posts.size(), 10U);
  EXPECT_TRUE(absl::EndsWith(posts[0], absl::StrCat(" 1/", posts.size())));
  EXPECT_TRUE(absl::EndsWith(posts.back(), absl::StrCat(" ", posts.size(), "/", posts.size())));
}

TEST(ThreadSplitterTest, ALinkLongerThanAPostIsRefusedWithoutEchoingIt) {
  const std::string link = "https://stmarys.org/" + Repeat("a", 400);
  const absl::StatusOr<std::vector<std::string>> posts =
      SplitIntoThread("Read " + link + " today.", Rules(v1::NETWORK_BLUESKY));
  ASSERT_EQ(posts.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(posts.status().message(), HasSubstr("bluesky allows 300"));
  EXPECT_THAT(posts.status().message(), Not(HasSubstr("stmarys")));
  // On X and Mastodon the same link counts 23 and fits.
  Split("Read " + link + " today. " + Repeat(kSentence, 5), v1::NETWORK_X);
}

TEST(ThreadSplitterTest, TooManyPostsIsRefused) {
  const absl::StatusOr<std::vector<std::string>> posts =
      SplitIntoThread(Repeat(kSentence, 20), Rules(v1::NETWORK_X), 3);
  ASSERT_EQ(posts.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(posts.status().message(), HasSubstr("more than 3 posts"));
  EXPECT_THAT(posts.status().message(), Not(HasSubstr("Flu")));
}

TEST(CheckLengthTest, NamesTheNetworkTheLimitAndTheLength) {
  EXPECT_TRUE(CheckLength(Rules(v1::NETWORK_LINKEDIN), Repeat("a", 3000)).ok());
  const absl::Status status = CheckLength(Rules(v1::NETWORK_LINKEDIN), Repeat("a", 3001));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "linkedin allows 3000 characters; this text has 3001");
  EXPECT_TRUE(CheckLength(Rules(v1::NETWORK_WORDPRESS), Repeat("a", 100000)).ok());
}

}  // namespace
}  // namespace carecast::common::repurpose
