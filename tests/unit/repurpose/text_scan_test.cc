// The pieces of a text the repurposing rules act on: whitespace, links, hashtags.
#include "services/common/repurpose/text_scan.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace carecast::common::repurpose {
namespace {

std::vector<std::string> Texts(std::string_view text, const std::vector<Span>& spans) {
  std::vector<std::string> out;
  out.reserve(spans.size());
  for (const Span& s : spans) out.emplace_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

TEST(NormalizeWhitespaceTest, TrimsLinesCollapsesSpacesAndKeepsAtMostOneBlankLine) {
  EXPECT_EQ(NormalizeWhitespace("  Flu  \t shots   today.  \r\n\r\n\r\n\n\nBook now \n\n"),
            "Flu shots today.\n\nBook now");
  EXPECT_EQ(NormalizeWhitespace("one\rtwo\r\nthree\n"), "one\ntwo\nthree");
  EXPECT_EQ(NormalizeWhitespace(" \n\t\n "), "");
  EXPECT_EQ(NormalizeWhitespace(""), "");
  // Non-breaking and ideographic spaces are text, not layout.
  EXPECT_EQ(NormalizeWhitespace("10\u00A0am\u3000ok"), "10\u00A0am\u3000ok");
}

TEST(FindLinksTest, FindsSchemeLinksWithoutTrailingPunctuation) {
  const std::string text =
      "Book at https://stmarys.org/flu?x=1. Or HTTP://Example.org/a_(b), not https:// alone "
      "nor stmarys.org.";
  EXPECT_EQ(Texts(text, FindLinks(text)),
            (std::vector<std::string>{"https://stmarys.org/flu?x=1", "HTTP://Example.org/a_(b"}));
  EXPECT_TRUE(FindLinks("https://").empty());
  EXPECT_TRUE(FindLinks("").empty());
}

TEST(FindHashtagsTest, FindsTagsAsNetworksDo) {
  const std::string text =
      "#Flu season: get your (#FluShot) at C#, &#39; or #1 clinic #健康。 #vacunación! "
      "https://stmarys.org/#section word#tag #_ok #😷";
  EXPECT_EQ(Texts(text, FindHashtags(text)),
            (std::vector<std::string>{"#Flu", "#FluShot", "#健康", "#vacunación", "#_ok"}));
}

TEST(IsUnsplittableTest, LinksTagsMentionsAndDomains) {
  EXPECT_TRUE(IsUnsplittable("https://a.b/c"));
  EXPECT_TRUE(IsUnsplittable("#FluShot"));
  EXPECT_TRUE(IsUnsplittable("@stmarys@mastodon.social"));
  EXPECT_TRUE(IsUnsplittable("stmarys.org/flu"));
  EXPECT_FALSE(IsUnsplittable("vaccination."));
  EXPECT_FALSE(IsUnsplittable("immunocompromised"));
}

TEST(FoldCaseTest, LowersAsciiOnly) { EXPECT_EQ(FoldCase("FluShot É"), "flushot É"); }

}  // namespace
}  // namespace carecast::common::repurpose
