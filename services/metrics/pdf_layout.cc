#include "services/metrics/pdf_layout.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "services/common/base/utf8.h"

namespace carecast::metrics {
namespace {

constexpr double kBottom = PdfWriter::kPageHeight - PdfLayout::kMargin;
constexpr double kCellSize = 9;
constexpr double kCellLeading = 11.5;
constexpr PdfColour kMuted = {0.29, 0.33, 0.41};
constexpr PdfColour kRule = {0.82, 0.85, 0.89};
constexpr PdfColour kBand = {0.93, 0.95, 0.97};

// Splits a word too wide for a line into pieces that fit, on UTF-8 boundaries.
std::vector<std::string> BreakWord(const std::string& word, double width, double size,
                                   PdfFont font) {
  std::vector<std::string> pieces(1);
  size_t i = 0;
  while (i < word.size()) {
    const size_t length = std::max<size_t>(1, common::Utf8SequenceLength(word, i));
    const std::string next = word.substr(i, length);
    if (!pieces.back().empty() && PdfWriter::TextWidth(pieces.back() + next, size, font) > width) {
      pieces.emplace_back();
    }
    pieces.back() += next;
    i += length;
  }
  return pieces;
}

}  // namespace

PdfLayout::PdfLayout(PdfWriter& writer, std::string footer)
    : writer_(writer), footer_(std::move(footer)) {
  StartPage();
}

void PdfLayout::StartPage() {
  writer_.NewPage();
  ++page_;
  y_ = kMargin;
  writer_.Line(kMargin, kBottom + 14, kMargin + kContentWidth, kBottom + 14, 0.5, kRule);
  writer_.Text(kMargin, kBottom + 28, absl::StrCat(footer_, "  |  Page ", page_), 8,
               PdfFont::kRegular, kMuted);
}

void PdfLayout::Ensure(double height) {
  if (y_ + height > kBottom && y_ > kMargin) StartPage();
}

double PdfLayout::Reserve(double height) {
  Ensure(height);
  return y_;
}

std::vector<std::string> PdfLayout::Wrap(const std::string& text, double width, double size,
                                         PdfFont font) {
  std::vector<std::string> lines;
  std::string line;
  for (absl::string_view piece : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    for (const std::string& word : BreakWord(std::string(piece), width, size, font)) {
      const std::string candidate = line.empty() ? word : absl::StrCat(line, " ", word);
      if (!line.empty() && PdfWriter::TextWidth(candidate, size, font) > width) {
        lines.push_back(line);
        line = word;
      } else {
        line = candidate;
      }
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

void PdfLayout::Title(const std::string& text) {
  for (const std::string& line : Wrap(text, kContentWidth, 18, PdfFont::kBold)) {
    Ensure(24);
    writer_.Text(kMargin, y_ + 18, line, 18, PdfFont::kBold);
    y_ += 24;
  }
}

void PdfLayout::Heading(const std::string& text) {
  Ensure(80);
  y_ += 10;
  writer_.Text(kMargin, y_ + 14, text, 14, PdfFont::kBold, {0.10, 0.13, 0.17});
  writer_.Line(kMargin, y_ + 20, kMargin + kContentWidth, y_ + 20, 0.8, kRule);
  y_ += 28;
}

void PdfLayout::SubHeading(const std::string& text) {
  Ensure(50);
  y_ += 4;
  writer_.Text(kMargin, y_ + 11, text, 11, PdfFont::kBold);
  y_ += 17;
}

void PdfLayout::Paragraph(const std::string& text, double size, PdfFont font,
                          const PdfColour& colour) {
  const double leading = size * 1.3;
  for (const std::string& line : Wrap(text, kContentWidth, size, font)) {
    Ensure(leading);
    writer_.Text(kMargin, y_ + size, line, size, font, colour);
    y_ += leading;
  }
  y_ += 4;
}

void PdfLayout::Row(const std::vector<PdfColumn>& columns, const std::vector<std::string>& cells,
                    bool header) {
  const PdfFont font = header ? PdfFont::kBold : PdfFont::kRegular;
  std::vector<std::vector<std::string>> wrapped;
  size_t lines = 1;
  for (size_t i = 0; i < columns.size() && i < cells.size(); ++i) {
    wrapped.push_back(Wrap(cells[i], columns[i].width - 4, kCellSize, font));
    lines = std::max(lines, wrapped.back().size());
  }
  const double height = static_cast<double>(lines) * kCellLeading + 6;
  Ensure(height);
  if (header) writer_.FillRect(kMargin, y_, kContentWidth, height, kBand);
  for (size_t i = 0; i < wrapped.size(); ++i) {
    for (size_t k = 0; k < wrapped[i].size(); ++k) {
      const std::string& line = wrapped[i][k];
      const double x = columns[i].right ? columns[i].x + columns[i].width - 2 -
                                              PdfWriter::TextWidth(line, kCellSize, font)
                                        : columns[i].x + 2;
      writer_.Text(x, y_ + 3 + kCellSize + static_cast<double>(k) * kCellLeading, line, kCellSize,
                   font);
    }
  }
  y_ += height;
  writer_.Line(kMargin, y_, kMargin + kContentWidth, y_, 0.5, kRule);
}

}  // namespace carecast::metrics
