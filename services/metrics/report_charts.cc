#include "services/metrics/report_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "services/metrics/html_text.h"
#include "services/metrics/report_format.h"

namespace carecast::metrics {
namespace {

// Colours with at least 3:1 contrast against white (WCAG non-text contrast).
constexpr char kImpressionsColour[] = "#2b6cb0";
constexpr char kInteractionsColour[] = "#b7471b";
constexpr char kPositiveColour[] = "#2f7a4f";
constexpr char kNeutralColour[] = "#6b7280";
constexpr char kNegativeColour[] = "#c53030";
constexpr char kAxisColour[] = "#4a5568";
constexpr char kGridColour[] = "#e2e8f0";
constexpr char kTextColour[] = "#1a202c";

constexpr double kWidth = 720;
constexpr double kLeft = 72;
constexpr double kRight = 72;
constexpr int kTicks = 4;

// A coordinate with one decimal.
std::string N(double v) { return absl::StrFormat("%.1f", v); }

std::string SvgOpen(const std::string& id, double height, const std::string& title,
                    const std::string& desc) {
  return absl::StrCat("<svg id=\"", id, "\" class=\"chart\" role=\"img\" viewBox=\"0 0 ", N(kWidth),
                      " ", N(height), "\" width=\"", N(kWidth), "\" height=\"", N(height),
                      "\" aria-labelledby=\"", id, "-title ", id, "-desc\">", "<title id=\"", id,
                      "-title\">", HtmlEscape(title), "</title><desc id=\"", id, "-desc\">",
                      HtmlEscape(desc), "</desc>");
}

std::string SvgText(double x, double y, const std::string& text, const std::string& anchor,
                    int size, const std::string& colour = kTextColour) {
  return absl::StrCat("<text x=\"", N(x), "\" y=\"", N(y), "\" text-anchor=\"", anchor,
                      "\" font-size=\"", size, "\" fill=\"", colour, "\">", HtmlEscape(text),
                      "</text>");
}

// A rectangle; with a `title` (escaped here) it carries it as a tooltip child.
std::string Rect(double x, double y, double w, double h, const std::string& fill,
                 const std::string& attributes, const std::string& title = "") {
  std::string out =
      absl::StrCat("<rect x=\"", N(x), "\" y=\"", N(y), "\" width=\"", N(std::max(0.0, w)),
                   "\" height=\"", N(std::max(0.0, h)), "\" fill=\"", fill, "\"", attributes);
  if (title.empty()) return out + "/>";
  return absl::StrCat(out, "><title>", HtmlEscape(title), "</title></rect>");
}

// Horizontal grid lines with the left axis's labels (and the right axis's when
// right_max is positive), for a plot spanning [top, bottom].
std::string Grid(double top, double bottom, double left_max, double right_max) {
  std::string out;
  for (int i = 0; i <= kTicks; ++i) {
    const double y = bottom - (bottom - top) * i / kTicks;
    absl::StrAppend(&out, "<line x1=\"", N(kLeft), "\" x2=\"", N(kWidth - kRight), "\" y1=\"", N(y),
                    "\" y2=\"", N(y), "\" stroke=\"", i == 0 ? kAxisColour : kGridColour,
                    "\" stroke-width=\"1\"/>");
    const auto left_value = static_cast<int64_t>(std::llround(left_max * i / kTicks));
    absl::StrAppend(&out, SvgText(kLeft - 8, y + 4, FormatCount(left_value), "end", 12));
    if (right_max > 0) {
      const auto right_value = static_cast<int64_t>(std::llround(right_max * i / kTicks));
      absl::StrAppend(&out, SvgText(kWidth - kRight + 8, y + 4, FormatCount(right_value), "start",
                                    12, kInteractionsColour));
    }
  }
  return out;
}

// A legend entry: a swatch and its label, at (x, y) baseline.
std::string LegendItem(double x, double y, const std::string& colour, const std::string& label) {
  return absl::StrCat(Rect(x, y - 10, 12, 12, colour, ""), SvgText(x + 18, y, label, "start", 13));
}

double SlotWidth(int days) { return (kWidth - kLeft - kRight) / std::max(1, days); }

std::string DailyBarsAndLine(const v1::WeeklyReport& report, double top, double bottom,
                             double left_max, double right_max) {
  const int days = report.days_size();
  const double slot = SlotWidth(days);
  const double plot = bottom - top;
  std::string bars;
  std::string points;
  std::string dots;
  for (int i = 0; i < days; ++i) {
    const v1::ReportDay& day = report.days(i);
    const std::string label = DayLabel(day.date());
    const double cx = kLeft + slot * (i + 0.5);
    const double h = plot * static_cast<double>(day.impressions()) / left_max;
    absl::StrAppend(
        &bars,
        Rect(cx - slot * 0.3, bottom - h, slot * 0.6, h, kImpressionsColour,
             absl::StrCat(" class=\"bar bar-impressions\" data-day=\"", HtmlEscape(day.date()),
                          "\" data-value=\"", day.impressions(), "\""),
             absl::StrCat(label, ": ", FormatCount(day.impressions()), " impressions")));
    const double y = bottom - plot * static_cast<double>(day.interactions()) / right_max;
    absl::StrAppend(&points, i == 0 ? "" : " ", N(cx), ",", N(y));
    absl::StrAppend(&dots, "<circle class=\"dot dot-interactions\" cx=\"", N(cx), "\" cy=\"", N(y),
                    "\" r=\"4.5\" fill=\"", kInteractionsColour, "\" data-day=\"",
                    HtmlEscape(day.date()), "\" data-value=\"", day.interactions(), "\"><title>",
                    HtmlEscape(label), ": ", FormatCount(day.interactions()),
                    " interactions</title></circle>");
    absl::StrAppend(&bars, SvgText(cx, bottom + 18, label, "middle", 12),
                    SvgText(cx, bottom + 34,
                            absl::StrCat(day.posts_published(),
                                         day.posts_published() == 1 ? " post" : " posts"),
                            "middle", 12, kAxisColour));
  }
  return absl::StrCat(bars, "<polyline class=\"line line-interactions\" points=\"", points,
                      "\" fill=\"none\" stroke=\"", kInteractionsColour,
                      "\" stroke-width=\"2.5\"/>", dots);
}

}  // namespace

double NiceAxisMax(double value) {
  if (!std::isfinite(value) || value <= 1) return 1;
  const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 5.0, 10.0}) {
    if (value <= step * magnitude + 1e-9) return step * magnitude;
  }
  return 10 * magnitude;
}

std::string DailyActivityChartSvg(const v1::WeeklyReport& report) {
  constexpr double kHeight = 330;
  constexpr double kTop = 52;
  constexpr double kBottom = kHeight - 52;
  int64_t max_impressions = 0;
  int64_t max_interactions = 0;
  int64_t total_posts = 0;
  for (const v1::ReportDay& day : report.days()) {
    max_impressions = std::max(max_impressions, day.impressions());
    max_interactions = std::max(max_interactions, day.interactions());
    total_posts += day.posts_published();
  }
  const double left_max = NiceAxisMax(static_cast<double>(max_impressions));
  const double right_max = NiceAxisMax(static_cast<double>(max_interactions));
  const std::string desc = absl::StrCat(
      "Bars: impressions per day (left scale). Line: interactions per day (right scale). ",
      FormatCount(total_posts), " posts published over the ", report.days_size(), " days.");
  return absl::StrCat(
      SvgOpen("chart-daily", kHeight, "Impressions and interactions per day", desc),
      LegendItem(kLeft, 22, kImpressionsColour, "Impressions (left scale)"),
      LegendItem(kLeft + 230, 22, kInteractionsColour, "Interactions (right scale)"),
      Grid(kTop, kBottom, left_max, right_max),
      DailyBarsAndLine(report, kTop, kBottom, left_max, right_max), "</svg>");
}

std::string SentimentChartSvg(const v1::WeeklyReport& report) {
  constexpr double kHeight = 300;
  constexpr double kTop = 52;
  constexpr double kBottom = kHeight - 36;
  int64_t max_total = 0;
  int64_t total = 0;
  for (const v1::ReportDay& day : report.days()) {
    const int64_t sum = day.mentions_positive() + day.mentions_neutral() + day.mentions_negative();
    max_total = std::max(max_total, sum);
    total += sum;
  }
  const double axis_max = NiceAxisMax(static_cast<double>(max_total));
  const double slot = SlotWidth(report.days_size());
  std::string out = absl::StrCat(
      SvgOpen("chart-sentiment", kHeight, "Mentions per day by sentiment",
              absl::StrCat("Stacked bars: positive, neutral and negative mentions per day. ",
                           FormatCount(total), " mentions in the week.")),
      LegendItem(kLeft, 22, kPositiveColour, "Positive"),
      LegendItem(kLeft + 110, 22, kNeutralColour, "Neutral"),
      LegendItem(kLeft + 210, 22, kNegativeColour, "Negative"), Grid(kTop, kBottom, axis_max, 0));
  for (int i = 0; i < report.days_size(); ++i) {
    const v1::ReportDay& day = report.days(i);
    const std::string label = DayLabel(day.date());
    const double cx = kLeft + slot * (i + 0.5);
    double y = kBottom;
    const struct {
      const char* name;
      const char* colour;
      int64_t count;
    } parts[] = {{"positive", kPositiveColour, day.mentions_positive()},
                 {"neutral", kNeutralColour, day.mentions_neutral()},
                 {"negative", kNegativeColour, day.mentions_negative()}};
    for (const auto& part : parts) {
      const double h = (kBottom - kTop) * static_cast<double>(part.count) / axis_max;
      y -= h;
      absl::StrAppend(
          &out, Rect(cx - slot * 0.3, y, slot * 0.6, h, part.colour,
                     absl::StrCat(" class=\"bar bar-", part.name, "\" data-day=\"",
                                  HtmlEscape(day.date()), "\" data-value=\"", part.count, "\""),
                     absl::StrCat(label, ": ", FormatCount(part.count), " ", part.name)));
    }
    const int64_t sum = day.mentions_positive() + day.mentions_neutral() + day.mentions_negative();
    absl::StrAppend(&out, SvgText(cx, y - 6, FormatCount(sum), "middle", 12),
                    SvgText(cx, kBottom + 18, label, "middle", 12));
  }
  return absl::StrCat(out, "</svg>");
}

std::string ProgressBarSvg(double progress_ratio, double elapsed_ratio, bool on_track,
                           const std::string& label) {
  constexpr double kBarWidth = 160;
  const double fill = std::isfinite(progress_ratio) ? std::clamp(progress_ratio, 0.0, 1.0) : 0;
  const double pace = std::isfinite(elapsed_ratio) ? std::clamp(elapsed_ratio, 0.0, 1.0) : 0;
  return absl::StrCat("<svg class=\"progress\" role=\"img\" aria-label=\"", HtmlEscape(label),
                      "\" viewBox=\"0 0 160 16\" width=\"160\" height=\"16\">",
                      Rect(0, 2, kBarWidth, 12, kGridColour, ""),
                      Rect(0, 2, kBarWidth * fill, 12, on_track ? kPositiveColour : kNegativeColour,
                           " class=\"progress-fill\""),
                      "<line x1=\"", N(kBarWidth * pace), "\" x2=\"", N(kBarWidth * pace),
                      "\" y1=\"0\" y2=\"16\" stroke=\"", kTextColour,
                      "\" stroke-width=\"2\"/></svg>");
}

}  // namespace carecast::metrics
