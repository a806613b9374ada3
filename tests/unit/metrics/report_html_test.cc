// The weekly report page: its figures, its charts' marks, that hostile text is
// shown as text, that nothing can run or load, that the CSP's hash is the
// style's, and the structure assistive technology relies on.
#include "services/metrics/report_html.h"

#include <random>
#include <regex>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/base/utf8.h"
#include "services/metrics/html_text.h"
#include "services/metrics/report_charts.h"
#include "services/metrics/report_format.h"
#include "tests/support/weekly_report_sample.h"

namespace carecast::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

std::string Figure(const std::string& name, const std::string& value) {
  return "data-figure=\"" + name + "\">" + value + "<";
}

class ReportHtmlTest : public ::testing::Test {
 protected:
  std::string html_ = RenderWeeklyReportHtml(testing::SampleWeeklyReport());
};

TEST_F(ReportHtmlTest, IsAnEnglishUtf8PageWithAViewport) {
  EXPECT_EQ(html_.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_THAT(html_, HasSubstr("<meta charset=\"utf-8\">"));
  EXPECT_THAT(html_,
              HasSubstr("name=\"viewport\" content=\"width=device-width, initial-scale=1\""));
  EXPECT_THAT(html_, HasSubstr("<title>Weekly report: Spoke north, 2027-W01</title>"));
  EXPECT_THAT(html_, HasSubstr("Mon 4 Jan 2027 to Sun 10 Jan 2027 (UTC)"));
}

TEST_F(ReportHtmlTest, ShowsTheHeadlineFigures) {
  EXPECT_THAT(html_, HasSubstr(Figure("posts-published", "19")));
  EXPECT_THAT(html_, HasSubstr("1 failed"));
  EXPECT_THAT(html_, HasSubstr(Figure("impressions", "48,210")));
  EXPECT_THAT(html_, HasSubstr(Figure("interactions", "1,986")));
  EXPECT_THAT(html_, HasSubstr(Figure("link-clicks", "312")));
  EXPECT_THAT(html_, HasSubstr(Figure("engagement-rate", "4.1%")));
  EXPECT_THAT(html_, HasSubstr(Figure("followers", "12,480")));
  EXPECT_THAT(html_, HasSubstr("+230 this week"));
  EXPECT_THAT(html_, HasSubstr(Figure("objectives-on-track", "2")));
}

TEST_F(ReportHtmlTest, ShowsEverySection) {
  EXPECT_EQ(Count(html_, "badge badge-on\">On track<"), 2);
  EXPECT_EQ(Count(html_, "badge badge-off\">Off track<"), 1);
  EXPECT_THAT(html_, HasSubstr(">Reach 200,000 people in Q1<"));
  EXPECT_THAT(html_, HasSubstr(">answer-fast<"));  // no display name: the id
  EXPECT_THAT(html_, HasSubstr(">45 min<"));
  EXPECT_THAT(html_, HasSubstr(">Tue 5 Jan 09:00 UTC<"));
  EXPECT_EQ(Count(html_, "class=\"progress\""), 3);
  EXPECT_THAT(html_, HasSubstr("Free flu shots this Saturday at the north clinic"));
  EXPECT_THAT(html_, HasSubstr("href=\"https://facebook.example/north/posts/1\""));
  EXPECT_THAT(html_, HasSubstr(">parking at the north entrance<"));
  EXPECT_THAT(html_, HasSubstr("&#9650; +23.6 pts more negative"));
  EXPECT_THAT(html_, HasSubstr("&#9660; -20.0 pts less negative"));
  EXPECT_THAT(html_, HasSubstr(Figure("inbox-p50", "45 min")));
  EXPECT_THAT(html_, HasSubstr(Figure("inbox-p90", "2 h 30 min")));
  EXPECT_THAT(html_, HasSubstr(Figure("inbox-breaches", "3")));
  EXPECT_THAT(html_, HasSubstr(Figure("inbox-open", "6")));
  EXPECT_THAT(html_, HasSubstr(">handwashing-tips<"));
  EXPECT_THAT(html_, HasSubstr(">1.2%<"));
  EXPECT_THAT(html_, HasSubstr("<h2 id=\"changes-h\">What to change</h2><ol class=\"changes\">"));
  EXPECT_EQ(Count(html_, "<li><strong>"), 3);
  EXPECT_THAT(html_, HasSubstr("Move posting times:</strong> Move the morning slot"));
}

TEST_F(ReportHtmlTest, DrawsTheChartsAsInlineSvg) {
  EXPECT_THAT(html_, HasSubstr("<svg id=\"chart-daily\" class=\"chart\" role=\"img\""));
  EXPECT_THAT(html_, HasSubstr("<svg id=\"chart-sentiment\" class=\"chart\" role=\"img\""));
  EXPECT_THAT(html_, HasSubstr("<title id=\"chart-daily-title\">"));
  EXPECT_EQ(Count(html_, "class=\"bar bar-impressions\""), 7);
  EXPECT_EQ(Count(html_, "class=\"dot dot-interactions\""), 7);
  EXPECT_EQ(Count(html_, "class=\"bar bar-positive\""), 7);
  EXPECT_EQ(Count(html_, "class=\"bar bar-negative\""), 7);
  EXPECT_THAT(html_, HasSubstr("data-day=\"2027-01-07\" data-value=\"11800\""));
  EXPECT_THAT(html_, HasSubstr("data-day=\"2027-01-10\" data-value=\"4310\"><title>Sun 10 Jan: "
                               "4,310 impressions</title></rect>"));
  // Marks without a tooltip close themselves, or the HTML parser would nest what follows.
  EXPECT_EQ(Count(html_, "<rect"), Count(html_, "/>") - Count(html_, "<line") -
                                       Count(html_, "<polyline") + Count(html_, "</rect>"));
  // The tallest day (11,800 of an axis to 20,000) fills 59% of the 226-point plot.
  EXPECT_THAT(html_, HasSubstr("height=\"133.3\" fill=\"#2b6cb0\" class=\"bar bar-impressions\" "
                               "data-day=\"2027-01-07\""));
}

TEST_F(ReportHtmlTest, ShowsHostileTextAsText) {
  EXPECT_THAT(html_, HasSubstr("Flu clinic open &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; "
                               "&amp; &quot;free&quot; for all"));
  EXPECT_THAT(html_, HasSubstr("&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_THAT(html_, Not(HasSubstr("<img")));
  EXPECT_THAT(html_, Not(HasSubstr("javascript:alert(1)\"")));
  EXPECT_THAT(html_, Not(HasSubstr("href=\"javascript")));
}

TEST_F(ReportHtmlTest, HasNoScriptAndLoadsNothing) {
  const std::regex script("<script|\\son[a-z]+\\s*=|javascript:", std::regex::icase);
  // The hostile texts are escaped, so their "onerror=" follows "&lt;img src=x".
  std::string without_escaped = std::regex_replace(html_, std::regex("&lt;img src=x onerror="), "");
  EXPECT_FALSE(std::regex_search(without_escaped, script));
  EXPECT_THAT(without_escaped, Not(HasSubstr(" src=")));
  EXPECT_THAT(html_, Not(HasSubstr("url(")));
  EXPECT_THAT(html_, Not(HasSubstr("@import")));
  EXPECT_THAT(html_, Not(HasSubstr("<link")));
  EXPECT_THAT(html_, Not(HasSubstr("<iframe")));
}

TEST_F(ReportHtmlTest, CspAllowsExactlyTheInlineStyle) {
  const size_t open = html_.find("<style>");
  const size_t close = html_.find("</style>");
  ASSERT_NE(open, std::string::npos);
  ASSERT_NE(close, std::string::npos);
  EXPECT_EQ(Count(html_, "<style"), 1);
  EXPECT_THAT(html_, Not(HasSubstr(" style=")));  // attributes would be blocked
  const std::string style = html_.substr(open + 7, close - open - 7);
  const std::string policy = WeeklyReportContentSecurityPolicy(html_);
  EXPECT_EQ(policy, "default-src 'none'; style-src 'sha256-" + Sha256Base64(style) +
                        "'; img-src data:; base-uri 'none'; form-action 'none'; "
                        "frame-ancestors 'none'");
  // The page's own meta policy is the same without frame-ancestors.
  const std::string meta = policy.substr(0, policy.find("; frame-ancestors"));
  EXPECT_THAT(html_, HasSubstr("http-equiv=\"Content-Security-Policy\" content=\"" + meta + "\""));
  EXPECT_LT(html_.find("Content-Security-Policy"), open);
}

TEST(Sha256Base64Test, KnownAnswer) {
  EXPECT_EQ(Sha256Base64("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  EXPECT_EQ(Sha256Base64(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST_F(ReportHtmlTest, HeadingsAreInOrderAndHeaderCellsHaveScope) {
  const std::regex heading("<h([1-6])[ >]");
  int previous = 0;
  int h1 = 0;
  for (auto it = std::sregex_iterator(html_.begin(), html_.end(), heading);
       it != std::sregex_iterator(); ++it) {
    const int level = (*it)[1].str()[0] - '0';
    EXPECT_LE(level, previous + 1) << "heading h" << level << " after h" << previous;
    h1 += level == 1 ? 1 : 0;
    previous = level;
  }
  EXPECT_EQ(h1, 1);
  EXPECT_EQ(Count(html_, "<th ") + Count(html_, "<th>"),
            Count(html_, "<th scope=\"col\"") + Count(html_, "<th scope=\"row\""));
  EXPECT_EQ(Count(html_, "<svg"), Count(html_, "role=\"img\""));
}

TEST(ReportHtmlEmptyTest, AnEmptyReportSaysSo) {
  v1::WeeklyReport report;
  report.set_week("2027-W02");
  const std::string html = RenderWeeklyReportHtml(report);
  EXPECT_THAT(html, HasSubstr("No objectives are set for this scope."));
  EXPECT_THAT(html, HasSubstr("No posts with a reading this week."));
  EXPECT_THAT(html, HasSubstr("Nothing to change: keep going."));
  EXPECT_THAT(html, HasSubstr("All spokes (hub)"));
  EXPECT_THAT(html, Not(HasSubstr("<svg id=\"chart-daily\"")));
}

// Whatever bytes the report's text holds, the page is well-formed UTF-8 and the
// only elements in it are the renderer's own.
TEST(ReportHtmlEmptyTest, RandomTextNeverBecomesMarkup) {
  const std::string plain = RenderWeeklyReportHtml(testing::SampleWeeklyReport());
  std::mt19937 random(7);
  const std::string alphabet = "<>&\"'/=ab \xC3\xA9\xFF\x80\x01\n";
  for (int round = 0; round < 200; ++round) {
    std::string text;
    for (int i = 0; i < 60; ++i) text.push_back(alphabet[random() % alphabet.size()]);
    v1::WeeklyReport report = testing::SampleWeeklyReport();
    report.mutable_best_posts(0)->set_text_excerpt(text);
    report.mutable_topics(0)->set_topic(text);
    report.mutable_suggestions(0)->set_text(text);
    report.set_week(text);
    const std::string html = RenderWeeklyReportHtml(report);
    ASSERT_TRUE(common::IsValidUtf8(html)) << round;
    EXPECT_EQ(Count(html, "<"), Count(plain, "<")) << round;
  }
}

TEST(HtmlEscapeTest, EscapesMarkupAndRepairsText) {
  EXPECT_EQ(HtmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(HtmlEscape("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(HtmlEscape("bad\xFF!"), "bad\xEF\xBF\xBD!");
  EXPECT_EQ(HtmlEscape(std::string("a\0b\x01\x7F\tc\n", 8)), "ab\tc\n");
}

TEST(HtmlEscapeTest, LinksOnlyHttpUrls) {
  EXPECT_TRUE(IsSafeHttpUrl("https://example.org/p/1"));
  EXPECT_TRUE(IsSafeHttpUrl("HTTP://example.org"));
  EXPECT_FALSE(IsSafeHttpUrl("javascript:alert(1)"));
  EXPECT_FALSE(IsSafeHttpUrl("https://"));
  EXPECT_FALSE(IsSafeHttpUrl("https://a b"));
  EXPECT_FALSE(IsSafeHttpUrl("/relative"));
}

TEST(ReportFormatTest, FormatsFiguresForPeople) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(FormatCount(-1200), "-1,200");
  EXPECT_EQ(FormatSignedCount(230), "+230");
  EXPECT_EQ(FormatPercent(0.0412), "4.1%");
  EXPECT_EQ(FormatPercentPoints(-0.2), "-20.0 pts");
  EXPECT_EQ(FormatDuration(0), "none");
  EXPECT_EQ(FormatDuration(38), "38 s");
  EXPECT_EQ(FormatDuration(2700), "45 min");
  EXPECT_EQ(FormatDuration(9000), "2 h 30 min");
  EXPECT_EQ(FormatDuration(3 * 86400 + 4 * 3600), "3 d 4 h");
  EXPECT_EQ(DayLabel("2027-01-04"), "Mon 4 Jan");
  EXPECT_EQ(DayLabel("not a date"), "not a date");
  EXPECT_EQ(NiceAxisMax(11800), 20000);
  EXPECT_EQ(NiceAxisMax(520), 1000);
  EXPECT_EQ(NiceAxisMax(0), 1);
}

}  // namespace
}  // namespace carecast::metrics
