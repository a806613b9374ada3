#include "services/common/networks/text_length.h"

#include <string>

#include <gtest/gtest.h>

namespace carecast::common::networks {
namespace {

// "woman health worker": U+1F469 ZWJ U+2695 U+FE0F, four code points.
constexpr std::string_view kHealthWorker = "\U0001F469\u200D\u2695\uFE0F";
constexpr std::string_view kThumbsUpMedium = "\U0001F44D\U0001F3FD";
constexpr std::string_view kFlagUs = "\U0001F1FA\U0001F1F8";
constexpr std::string_view kKeycapOne = "1\uFE0F\u20E3";
constexpr std::string_view kDecomposedE = "e\u0301";

TEST(GraphemeCountTest, CountsUserPerceivedCharacters) {
  EXPECT_EQ(GraphemeCount(""), 0u);
  EXPECT_EQ(GraphemeCount("hello"), 5u);
  EXPECT_EQ(GraphemeCount("日本"), 2u);
  EXPECT_EQ(GraphemeCount(kHealthWorker), 1u);
  EXPECT_EQ(GraphemeCount(kThumbsUpMedium), 1u);
  EXPECT_EQ(GraphemeCount(kFlagUs), 1u);
  EXPECT_EQ(GraphemeCount(kDecomposedE), 1u);
  EXPECT_EQ(GraphemeCount("a\r\nb"), 3u);  // CR LF is one cluster
}

TEST(GraphemeCountTest, InvalidBytesCountOneEachAndNeverHang) {
  EXPECT_EQ(GraphemeCount("a\xff\xfe"), 3u);
  EXPECT_EQ(GraphemeCount("\xe2\x82"), 2u);  // truncated sequence
}

TEST(XWeightedLengthTest, CountsAsciiOnceCjkTwiceAndUrlsAs23) {
  EXPECT_EQ(XWeightedLength("hello"), 5u);
  EXPECT_EQ(XWeightedLength("日本"), 4u);
  EXPECT_EQ(XWeightedLength("café"), 4u);  // U+00E9 is in the light range
  EXPECT_EQ(XWeightedLength("see https://example.org/a/very/long/path/that/goes/on/and/on"),
            4u + 23u);
  EXPECT_EQ(XWeightedLength("http://a.b x https://c.d"), 23u + 3u + 23u);
  EXPECT_EQ(XWeightedLength("“quoted”"), 8u);  // U+201C/U+201D weigh 1
  EXPECT_EQ(XWeightedLength("HTTPS://EXAMPLE.ORG"), 23u);
}

TEST(XWeightedLengthTest, SentencePunctuationAfterAUrlIsText) {
  EXPECT_EQ(XWeightedLength("see https://a.org/x."), 4u + 23u + 1u);
  EXPECT_EQ(XWeightedLength("(https://a.org/x)"), 1u + 23u + 1u);
  // A scheme with nothing after it is not a link.
  EXPECT_EQ(XWeightedLength("https://"), 8u);
}

TEST(XWeightedLengthTest, EmojiSequencesCountTwo) {
  EXPECT_EQ(XWeightedLength(kHealthWorker), 2u);
  EXPECT_EQ(XWeightedLength(kThumbsUpMedium), 2u);
  EXPECT_EQ(XWeightedLength(kFlagUs), 2u);
  EXPECT_EQ(XWeightedLength(kKeycapOne), 2u);
  EXPECT_EQ(XWeightedLength("\u00A9"), 1u);  // a light code point stays 1
  EXPECT_EQ(XWeightedLength(std::string("Thanks ") + std::string(kHealthWorker)), 9u);
}

TEST(XWeightedLengthTest, NormalisesToNfcFirst) { EXPECT_EQ(XWeightedLength(kDecomposedE), 1u); }

TEST(XWeightedLengthTest, BareDomainsCountAtLeastALink) {
  EXPECT_EQ(XWeightedLength("stmarys.org"), 23u);
  EXPECT_EQ(XWeightedLength("Visit stmarys.org."), 6u + 23u + 1u);
  const std::string long_bare = "www.stmarys.org/flu-shots-walk-in-clinic-hours-and-locations";
  EXPECT_EQ(XWeightedLength(long_bare), long_bare.size());  // longer than 23: never fewer
  EXPECT_EQ(XWeightedLength("nhs.uk"), 23u);
  EXPECT_EQ(XWeightedLength("gov.pl/zdrowie"), 23u);  // a country code with a path
  // Not domains: abbreviations, names, e-mail addresses, a country code that is
  // an English word and has no path.
  EXPECT_EQ(XWeightedLength("e.g."), 4u);
  EXPECT_EQ(XWeightedLength("St.Mary's"), 9u);
  EXPECT_EQ(XWeightedLength("info@stmarys.org"), 16u);
  EXPECT_EQ(XWeightedLength("call us.Me"), 10u);
}

TEST(MastodonLengthTest, CountsGraphemesWithLinksAs23) {
  EXPECT_EQ(MastodonLength("hello"), 5u);
  EXPECT_EQ(MastodonLength(kHealthWorker), 1u);
  EXPECT_EQ(MastodonLength("read https://example.org/" + std::string(100, 'p')), 5u + 23u);
  EXPECT_EQ(MastodonLength("日本"), 2u);
}

TEST(MastodonLengthTest, RemoteMentionsCountTheirUserPartOnly) {
  EXPECT_EQ(MastodonLength("@alice@example.social hi"), std::string("@alice hi").size());
  EXPECT_EQ(MastodonLength("cc @bob"), 7u);
  EXPECT_EQ(MastodonLength("(@carol@mastodon.example.org)"), std::string("(@carol)").size());
  // An e-mail address is not a mention.
  EXPECT_EQ(MastodonLength("dan@example.org"), 15u);
}

TEST(HashtagCountTest, CountsHashtagsNotEntitiesOrLanguageNames) {
  EXPECT_EQ(HashtagCount(""), 0u);
  EXPECT_EQ(HashtagCount("#FluFree #health"), 2u);
  EXPECT_EQ(HashtagCount("#FluFree#health"), 1u);  // '#' after a letter is not a new tag
  EXPECT_EQ(HashtagCount("C# and &#39; and # alone and ##"), 0u);
  EXPECT_EQ(HashtagCount("#1 (#Grippe) #gesundheit_2025"), 3u);
  EXPECT_EQ(HashtagCount("#日本"), 1u);
  EXPECT_EQ(HashtagCount("ends with #"), 0u);
}

}  // namespace
}  // namespace carecast::common::networks
