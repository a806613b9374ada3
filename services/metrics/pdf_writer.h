// A small PDF 1.4 writer: A4 pages with text in the standard Helvetica and
// Helvetica-Bold fonts (WinAnsiEncoding, nothing embedded), straight lines and
// filled rectangles in RGB. Coordinates are points from the page's top-left
// corner, y growing downward (the writer flips them to PDF's bottom-left
// origin). Content streams are uncompressed, so text extraction needs no filter.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace carecast::metrics {

struct PdfColour {
  double r = 0;
  double g = 0;
  double b = 0;
};

enum class PdfFont { kRegular, kBold };

class PdfWriter {
 public:
  static constexpr double kPageWidth = 595.28;
  static constexpr double kPageHeight = 841.89;

  // `title` goes into the document information dictionary.
  explicit PdfWriter(std::string title);

  // Starts a new page; drawing goes to it. Drawing before the first call starts one.
  void NewPage();
  int page_count() const { return static_cast<int>(pages_.size()); }

  // Draws UTF-8 `text` with its baseline's left end at (x, y). Characters
  // WinAnsiEncoding lacks are drawn as '?'.
  void Text(double x, double y, std::string_view text, double size, PdfFont font,
            const PdfColour& colour = {});
  void Line(double x1, double y1, double x2, double y2, double width, const PdfColour& colour);
  // A rectangle with its top-left corner at (x, y).
  void FillRect(double x, double y, double width, double height, const PdfColour& colour);

  // The width in points of `text` set in `font` at `size`.
  static double TextWidth(std::string_view text, double size, PdfFont font);

  // The whole file: header, objects, a cross-reference table with each
  // object's byte offset, trailer. Starts a page first when there is none.
  std::string Finish();

 private:
  std::string& Content();

  std::string title_;
  std::vector<std::string> pages_;
};

// `text` (UTF-8) as WinAnsiEncoding bytes: ASCII and Latin-1 as they are, the
// typographic quotes, dashes, bullet, ellipsis and euro sign at their WinAnsi
// codes, anything else (and malformed UTF-8) as '?'. Controls become spaces.
std::string ToWinAnsi(std::string_view text);

// A PDF literal string "(...)" of WinAnsi `bytes`: ( ) and \ escaped with a
// backslash, bytes outside printable ASCII written as \ooo octal escapes.
std::string PdfLiteralString(std::string_view bytes);

}  // namespace carecast::metrics
