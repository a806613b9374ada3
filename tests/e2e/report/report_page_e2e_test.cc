// The weekly report page in a real browser: renders a realistic report, writes
// it to this test's output directory, and has tests/e2e/report_page_check.mjs
// open it in headless Chromium (/usr/bin/chromium) to check the figures a
// reader sees, that the charts were laid out with visible bars, that the style
// applied under the page's CSP and that nothing ran or loaded; it saves a
// screenshot whose path is printed. A missing Chromium or Node fails the test.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/metrics/report_html.h"
#include "services/metrics/report_pdf.h"
#include "tests/support/shell_command.h"
#include "tests/support/weekly_report_sample.h"

namespace carecast::metrics {
namespace {

namespace fs = std::filesystem;

// What the page must show for testing::SampleWeeklyReport(), spelled out.
constexpr char kExpected[] = R"json({
  "figures": {
    "posts-published": "19", "impressions": "48,210", "interactions": "1,986",
    "link-clicks": "312", "engagement-rate": "4.1%", "followers": "12,480",
    "objectives-on-track": "2", "inbox-p50": "45 min", "inbox-p90": "2 h 30 min",
    "inbox-breaches": "3", "inbox-open": "6", "inbox-created-closed": "64 / 58"
  },
  "texts": [
    "Weekly report: Spoke north, 2027-W01", "Mon 4 Jan 2027 to Sun 10 Jan 2027 (UTC)",
    "+230 this week", "Reach 200,000 people in Q1", "On track", "Off track",
    "Free flu shots this Saturday at the north clinic",
    "Flu clinic open <script>alert('x')</script> & \"free\" for all",
    "<img src=x onerror=alert(1)>", "parking at the north entrance", "+23.6 pts more negative",
    "handwashing-tips", "What to change", "Move posting times"
  ],
  "bars": {"chart-daily": 7, "chart-sentiment": 21}
})json";

TEST(ReportPageE2eTest, ChromiumShowsTheFiguresAndDrawsTheCharts) {
  const std::string source = testing::EnvOr("CARECAST_SOURCE_DIR", ".");
  const fs::path out = fs::path(testing::EnvOr("CARECAST_BINARY_DIR", fs::temp_directory_path())) /
                       "report-page-e2e";
  fs::create_directories(out);
  const v1::WeeklyReport report = testing::SampleWeeklyReport();
  const fs::path html = out / "weekly-report.html";
  const fs::path expected = out / "expected.json";
  const fs::path screenshot = out / "weekly-report.png";
  std::ofstream(html, std::ios::binary) << RenderWeeklyReportHtml(report);
  std::ofstream(expected, std::ios::binary) << kExpected;
  std::ofstream(out / "weekly-report.pdf", std::ios::binary) << RenderWeeklyReportPdf(report);
  fs::remove(screenshot);

  ASSERT_TRUE(fs::exists("/usr/bin/chromium"))
      << "Chromium is missing: scripts/install-deps.sh --all installs Debian's chromium";
  int status = 0;
  const std::string output = testing::RunCommand(
      "node '" + source + "/tests/e2e/report_page_check.mjs' 'file://" + html.string() + "' '" +
          screenshot.string() + "' '" + expected.string() + "' 2>&1",
      &status);
  std::printf("%s", output.c_str());
  EXPECT_EQ(status, 0) << output;
  EXPECT_THAT(output, ::testing::HasSubstr("report page: all checks passed"));
  ASSERT_TRUE(fs::exists(screenshot));
  EXPECT_GT(fs::file_size(screenshot), 10000u);
  std::ifstream png(screenshot, std::ios::binary);
  std::string signature(8, '\0');
  png.read(signature.data(), 8);
  EXPECT_EQ(signature, "\x89PNG\r\n\x1a\n");
  std::printf("screenshot saved: %s\n", screenshot.c_str());
}

}  // namespace
}  // namespace carecast::metrics
