#include "services/metrics/pdf_writer.h"

#include <array>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "services/common/base/utf8.h"

namespace carecast::metrics {
namespace {

// Advance widths (1/1000 em) of the printable ASCII characters 32..126 in the
// standard Helvetica and Helvetica-Bold fonts.
constexpr std::array<int16_t, 95> kHelvetica = {
    278,  278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  // ' '../
    556,  556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  // @..O
    667,  778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,  // P.._
    333,  556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,  // `..o
    556,  556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584};      // p..~
constexpr std::array<int16_t, 95> kHelveticaBold = {
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,  // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,  // 0..?
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,  // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,  // P.._
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,  // `..o
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584};      // p..~
// Width used for the WinAnsi characters above 126.
constexpr int kOtherWidth = 556;

// The WinAnsi code of a code point outside ASCII and Latin-1, or 0.
unsigned char WinAnsiSpecial(uint32_t cp) {
  static constexpr std::pair<uint32_t, unsigned char> kMap[] = {
      {0x20AC, 0x80}, {0x2026, 0x85}, {0x2018, 0x91}, {0x2019, 0x92}, {0x201C, 0x93},
      {0x201D, 0x94}, {0x2022, 0x95}, {0x2013, 0x96}, {0x2014, 0x97}, {0x2122, 0x99},
      {0x2212, '-'},  {0x2192, '>'},  {0x25B2, '+'},  {0x25BC, '-'}};
  for (const auto& [code_point, code] : kMap) {
    if (code_point == cp) return code;
  }
  return 0;
}

uint32_t DecodeAt(std::string_view s, size_t i, size_t length) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (length == 1) return b0;
  uint32_t cp = b0 & (0xFF >> (length + 1));
  for (size_t k = 1; k < length; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

std::string Num(double v) { return absl::StrFormat("%.2f", v); }

std::string Rgb(const PdfColour& c) { return absl::StrCat(Num(c.r), " ", Num(c.g), " ", Num(c.b)); }

}  // namespace

std::string ToWinAnsi(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t length = common::Utf8SequenceLength(text, i);
    if (length == 0) {
      out.push_back('?');
      ++i;
      continue;
    }
    const uint32_t cp = DecodeAt(text, i, length);
    i += length;
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
      out.push_back(' ');
    } else if (cp < 0x100) {
      out.push_back(static_cast<char>(cp));
    } else if (const unsigned char code = WinAnsiSpecial(cp); code != 0) {
      out.push_back(static_cast<char>(code));
    } else {
      out.push_back('?');
    }
  }
  return out;
}

std::string PdfLiteralString(std::string_view bytes) {
  std::string out = "(";
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '(' || c == ')' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (b < 0x20 || b > 0x7E) {
      absl::StrAppend(&out, absl::StrFormat("\\%03o", b));
    } else {
      out.push_back(c);
    }
  }
  out.push_back(')');
  return out;
}

PdfWriter::PdfWriter(std::string title) : title_(std::move(title)) {}

void PdfWriter::NewPage() { pages_.emplace_back(); }

std::string& PdfWriter::Content() {
  if (pages_.empty()) NewPage();
  return pages_.back();
}

void PdfWriter::Text(double x, double y, std::string_view text, double size, PdfFont font,
                     const PdfColour& colour) {
  absl::StrAppend(&Content(), "BT ", Rgb(colour), " rg /", font == PdfFont::kBold ? "F2" : "F1",
                  " ", Num(size), " Tf ", Num(x), " ", Num(kPageHeight - y), " Td ",
                  PdfLiteralString(ToWinAnsi(text)), " Tj ET\n");
}

void PdfWriter::Line(double x1, double y1, double x2, double y2, double width,
                     const PdfColour& colour) {
  absl::StrAppend(&Content(), Rgb(colour), " RG ", Num(width), " w ", Num(x1), " ",
                  Num(kPageHeight - y1), " m ", Num(x2), " ", Num(kPageHeight - y2), " l S\n");
}

void PdfWriter::FillRect(double x, double y, double width, double height, const PdfColour& colour) {
  absl::StrAppend(&Content(), Rgb(colour), " rg ", Num(x), " ", Num(kPageHeight - y - height), " ",
                  Num(width), " ", Num(height), " re f\n");
}

double PdfWriter::TextWidth(std::string_view text, double size, PdfFont font) {
  const auto& widths = font == PdfFont::kBold ? kHelveticaBold : kHelvetica;
  double units = 0;
  for (char c : ToWinAnsi(text)) {
    const auto b = static_cast<unsigned char>(c);
    units += (b >= 32 && b <= 126) ? widths[b - 32] : kOtherWidth;
  }
  return units * size / 1000.0;
}

std::string PdfWriter::Finish() {
  if (pages_.empty()) NewPage();
  // Objects: 1 catalog, 2 page tree, 3 and 4 fonts, 5 info, then a page and its
  // content stream for each page.
  const int page_count = static_cast<int>(pages_.size());
  std::vector<std::string> objects;
  std::string kids;
  for (int i = 0; i < page_count; ++i) absl::StrAppend(&kids, i ? " " : "", 6 + 2 * i, " 0 R");
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back(absl::StrCat("<< /Type /Pages /Kids [", kids, "] /Count ", page_count, " >>"));
  for (const char* name : {"Helvetica", "Helvetica-Bold"}) {
    objects.push_back(absl::StrCat("<< /Type /Font /Subtype /Type1 /BaseFont /", name,
                                   " /Encoding /WinAnsiEncoding >>"));
  }
  objects.push_back(absl::StrCat("<< /Title ", PdfLiteralString(ToWinAnsi(title_)),
                                 " /Producer (CareCast metrics) >>"));
  for (int i = 0; i < page_count; ++i) {
    objects.push_back(absl::StrCat(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ", Num(kPageWidth), " ", Num(kPageHeight),
        "] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ", 7 + 2 * i, " 0 R >>"));
    objects.push_back(
        absl::StrCat("<< /Length ", pages_[i].size(), " >>\nstream\n", pages_[i], "\nendstream"));
  }
  // The binary comment line marks the file as binary for transfer tools.
  std::string out = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(out.size());
    absl::StrAppend(&out, i + 1, " 0 obj\n", objects[i], "\nendobj\n");
  }
  const size_t xref = out.size();
  absl::StrAppend(&out, "xref\n0 ", objects.size() + 1, "\n0000000000 65535 f \n");
  for (size_t offset : offsets) absl::StrAppend(&out, absl::StrFormat("%010d 00000 n \n", offset));
  absl::StrAppend(&out, "trailer\n<< /Size ", objects.size() + 1,
                  " /Root 1 0 R /Info 5 0 R >>\nstartxref\n", xref, "\n%%EOF\n");
  return out;
}

}  // namespace carecast::metrics
