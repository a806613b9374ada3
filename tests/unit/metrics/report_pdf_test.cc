// The weekly report's PDF and the writer under it: a well-formed file (the
// cross-reference offsets are parsed and followed here), escaped strings, pages
// that flow, and, with Debian's qpdf and poppler-utils (scripts/install-deps.sh
// --all), a clean `qpdf --check` and the figures in `pdftotext`'s output.
#include "services/metrics/report_pdf.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/metrics/pdf_writer.h"
#include "tests/support/shell_command.h"
#include "tests/support/weekly_report_sample.h"

namespace carecast::metrics {
namespace {

using ::testing::HasSubstr;

// Follows startxref to the table and checks that every in-use entry's offset
// is where "<n> 0 obj" starts; returns the number of objects.
int CheckCrossReferences(const std::string& pdf) {
  std::smatch m;
  const std::regex tail("startxref\n([0-9]+)\n%%EOF\n$");
  EXPECT_TRUE(std::regex_search(pdf, m, tail)) << "no startxref at the end";
  if (m.empty()) return 0;
  const size_t xref = std::stoul(m[1].str());
  EXPECT_EQ(pdf.compare(xref, 7, "xref\n0 "), 0) << "startxref does not point at xref";
  const size_t count_end = pdf.find('\n', xref + 7);
  const int size = std::stoi(pdf.substr(xref + 7, count_end - xref - 7));
  size_t entry = count_end + 1;
  EXPECT_EQ(pdf.substr(entry, 20), "0000000000 65535 f \n");
  for (int n = 1; n < size; ++n) {
    entry += 20;
    const std::string line = pdf.substr(entry, 20);
    EXPECT_EQ(line.substr(10), " 00000 n \n") << "entry " << n;
    const size_t offset = std::stoul(line.substr(0, 10));
    const std::string object = std::to_string(n) + " 0 obj\n";
    EXPECT_EQ(pdf.compare(offset, object.size(), object), 0) << "object " << n << " at " << offset;
  }
  EXPECT_EQ(pdf.compare(entry + 20, 8, "trailer\n"), 0);
  EXPECT_THAT(pdf, HasSubstr("/Size " + std::to_string(size) + " /Root 1 0 R"));
  return size - 1;
}

int PageCount(const std::string& pdf) {
  std::smatch m;
  const std::regex count("/Type /Pages /Kids \\[[^\\]]*\\] /Count ([0-9]+)");
  EXPECT_TRUE(std::regex_search(pdf, m, count));
  return m.empty() ? 0 : std::stoi(m[1].str());
}

std::string WriteTemp(const std::string& name, const std::string& bytes) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

using testing::RunCommand;

TEST(PdfWriterTest, EscapesStringsAndMapsToWinAnsi) {
  EXPECT_EQ(PdfLiteralString("a(b)c\\"), "(a\\(b\\)c\\\\)");
  EXPECT_EQ(PdfLiteralString("caf\xE9\n"), "(caf\\351\\012)");
  EXPECT_EQ(ToWinAnsi("caf\xC3\xA9"), "caf\xE9");
  EXPECT_EQ(ToWinAnsi("a\xE2\x80\x94"
                      "b\xE2\x82\xAC"),
            "a\x97"
            "b\x80");
  EXPECT_EQ(ToWinAnsi("\xE4\xB8\xAD\xF0\x9F\x98\x80!"),
            "?"
            "?!");
  EXPECT_EQ(ToWinAnsi("bad\xFF"), "bad?");
  EXPECT_EQ(ToWinAnsi("tab\there"), "tab here");
}

TEST(PdfWriterTest, MeasuresHelvetica) {
  EXPECT_DOUBLE_EQ(PdfWriter::TextWidth("Hi", 10, PdfFont::kRegular), (722 + 222) / 100.0);
  EXPECT_DOUBLE_EQ(PdfWriter::TextWidth("Hi", 10, PdfFont::kBold), (722 + 278) / 100.0);
}

TEST(PdfWriterTest, WritesAWellFormedFile) {
  PdfWriter writer("A (test) title");
  writer.Text(50, 60, "Hello (world) \\ caf\xC3\xA9", 12, PdfFont::kBold, {0.2, 0.3, 0.4});
  writer.FillRect(50, 80, 100, 20, {1, 0, 0});
  writer.NewPage();
  writer.Line(50, 50, 200, 50, 1, {});
  const std::string pdf = writer.Finish();
  EXPECT_EQ(pdf.rfind("%PDF-1.4\n", 0), 0u);
  EXPECT_EQ(CheckCrossReferences(pdf), 5 + 2 * 2);
  EXPECT_EQ(PageCount(pdf), 2);
  EXPECT_THAT(pdf, HasSubstr("(Hello \\(world\\) \\\\ caf\\351) Tj"));
  EXPECT_THAT(pdf, HasSubstr("/BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding"));
  EXPECT_THAT(pdf, HasSubstr("/Title (A \\(test\\) title)"));
  // y = 60 from the top is 841.89 - 60 from the bottom.
  EXPECT_THAT(pdf, HasSubstr("50.00 781.89 Td"));
  EXPECT_THAT(pdf, HasSubstr("1.00 0.00 0.00 rg 50.00 741.89 100.00 20.00 re f"));
}

TEST(ReportPdfTest, TheSampleReportIsAValidPdf) {
  const std::string pdf = RenderWeeklyReportPdf(testing::SampleWeeklyReport());
  EXPECT_EQ(pdf.rfind("%PDF-1.4\n", 0), 0u);
  const int objects = CheckCrossReferences(pdf);
  EXPECT_EQ(objects, 5 + 2 * PageCount(pdf));
  EXPECT_GE(PageCount(pdf), 2);
  // The daily chart: seven blue bars.
  const std::regex blue_bar("0\\.17 0\\.42 0\\.69 rg [0-9. ]+ re f");
  EXPECT_EQ(
      std::distance(std::sregex_iterator(pdf.begin(), pdf.end(), blue_bar), std::sregex_iterator()),
      7 + 1);  // and the legend's swatch
}

TEST(ReportPdfTest, LongReportsFlowOntoMorePages) {
  v1::WeeklyReport report = testing::SampleWeeklyReport();
  const int before = PageCount(RenderWeeklyReportPdf(report));
  for (int i = 0; i < 60; ++i) {
    *report.add_worst_posts() = report.best_posts(0);
    report.add_suggestions()->set_text(std::string(300, 'x') + " and more words to wrap here");
  }
  const std::string pdf = RenderWeeklyReportPdf(report);
  EXPECT_GT(PageCount(pdf), before + 2);
  CheckCrossReferences(pdf);
  // Every text line stays above the bottom margin (y >= 48 from the bottom).
  const std::regex position("([0-9.]+) ([0-9.]+) Td");
  for (auto it = std::sregex_iterator(pdf.begin(), pdf.end(), position);
       it != std::sregex_iterator(); ++it) {
    EXPECT_GE(std::stod((*it)[2].str()), 20.0);
    EXPECT_LE(std::stod((*it)[1].str()) + 0, PdfWriter::kPageWidth);
  }
}

TEST(ReportPdfTest, QpdfAcceptsItAndPdftotextFindsTheFigures) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/qpdf"))
      << "qpdf is missing: scripts/install-deps.sh --all installs it";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/pdftotext"))
      << "pdftotext is missing: scripts/install-deps.sh --all installs poppler-utils";
  const std::string path =
      WriteTemp("weekly-report.pdf", RenderWeeklyReportPdf(testing::SampleWeeklyReport()));
  int status = 0;
  const std::string check = RunCommand("/usr/bin/qpdf --check '" + path + "' 2>&1", &status);
  EXPECT_EQ(status, 0) << check;
  EXPECT_THAT(check, HasSubstr("No syntax or stream encoding errors found"));
  const std::string text = RunCommand("/usr/bin/pdftotext -layout '" + path + "' - 2>&1", &status);
  EXPECT_EQ(status, 0) << text;
  for (const char* expected : {"Weekly report: Spoke north, 2027-W01",
                               "Mon 4 Jan 2027 to Sun 10 Jan 2027 (UTC)",
                               "48,210",
                               "1,986",
                               "12,480",
                               "+230 this week",
                               "4.1%",
                               "Reach 200,000 people in Q1",
                               "Off track",
                               "On track",
                               "Free flu shots this Saturday",
                               "<script>alert('x')</script>",
                               "parking at the north entrance",
                               "+23.6 pts (worse)",
                               "2 h 30 min",
                               "handwashing-tips",
                               "What to change",
                               "Move posting times",
                               "Thu 7 Jan",
                               "11,800"}) {
    EXPECT_THAT(text, HasSubstr(expected));
  }
}

}  // namespace
}  // namespace carecast::metrics
