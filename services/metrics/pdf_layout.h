// Top-to-bottom flow layout over a PdfWriter: a cursor that moves down the page,
// headings, wrapped paragraphs and table rows, with a new page (and a footer
// line) whenever the next block does not fit.
#pragma once

#include <string>
#include <vector>

#include "services/metrics/pdf_writer.h"

namespace carecast::metrics {

// One column of a table: its left edge and width in points, and whether its
// text is right-aligned (numbers).
struct PdfColumn {
  double x = 0;
  double width = 0;
  bool right = false;
};

class PdfLayout {
 public:
  static constexpr double kMargin = 48;
  static constexpr double kContentWidth = PdfWriter::kPageWidth - 2 * kMargin;

  // `footer` is printed at the bottom of every page with the page number.
  PdfLayout(PdfWriter& writer, std::string footer);

  double y() const { return y_; }
  // Moves the cursor down by `points`.
  void Skip(double points) { y_ += points; }
  // Starts a new page unless `height` more points fit on this one.
  void Ensure(double height);

  void Title(const std::string& text);
  // A section heading; kept on the same page as the next ~80 points.
  void Heading(const std::string& text);
  void SubHeading(const std::string& text);
  // A paragraph wrapped to the content width.
  void Paragraph(const std::string& text, double size = 10, PdfFont font = PdfFont::kRegular,
                 const PdfColour& colour = {});
  // A table row: cells wrapped in their columns; the row is as tall as its
  // tallest cell. `header` rows are bold on a grey band.
  void Row(const std::vector<PdfColumn>& columns, const std::vector<std::string>& cells,
           bool header = false);
  // Returns the cursor position after Ensure(height), for free drawing.
  double Reserve(double height);

  // `text` split into lines no wider than `width` at `size` in `font`.
  static std::vector<std::string> Wrap(const std::string& text, double width, double size,
                                       PdfFont font);

 private:
  void StartPage();

  PdfWriter& writer_;
  std::string footer_;
  double y_ = kMargin;
  int page_ = 0;
};

}  // namespace carecast::metrics
