#include "services/metrics/report_pdf.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "services/metrics/figure_labels.h"
#include "services/metrics/html_text.h"
#include "services/metrics/pdf_layout.h"
#include "services/metrics/pdf_writer.h"
#include "services/metrics/report_charts.h"
#include "services/metrics/report_format.h"

namespace carecast::metrics {
namespace {

constexpr double kLeft = PdfLayout::kMargin;
constexpr PdfColour kGreen = {0.153, 0.404, 0.267};
constexpr PdfColour kRed = {0.706, 0.137, 0.094};
constexpr PdfColour kBlue = {0.169, 0.424, 0.690};
constexpr PdfColour kOrange = {0.718, 0.278, 0.106};
constexpr PdfColour kMuted = {0.29, 0.33, 0.41};
constexpr PdfColour kGrid = {0.89, 0.91, 0.94};

// Columns laid left to right from the margin with the given widths; the ones
// flagged in `right` are right-aligned.
std::vector<PdfColumn> Columns(const std::vector<double>& widths, const std::vector<bool>& right) {
  std::vector<PdfColumn> columns;
  double x = kLeft;
  for (size_t i = 0; i < widths.size(); ++i) {
    columns.push_back({x, widths[i], i < right.size() && right[i]});
    x += widths[i];
  }
  return columns;
}

void Summary(const v1::WeeklyReport& report, PdfLayout& layout) {
  layout.Heading("This week at a glance");
  int on_track = 0;
  for (const v1::ObjectiveProgress& o : report.objectives()) on_track += o.on_track() ? 1 : 0;
  layout.Paragraph(
      report.objectives_size() > 0
          ? absl::StrCat(on_track, " of ", report.objectives_size(), " objectives are on track. ",
                         report.suggestions_size(),
                         report.suggestions_size() == 1 ? " change is" : " changes are",
                         " suggested at the end of this report.")
          : "No objectives are set for this scope.",
      11);
  const auto columns = Columns({170, 120, 209.28}, {false, true, false});
  layout.Row(columns, {"Posts published", FormatCount(report.posts_published()),
                       absl::StrCat(FormatCount(report.posts_failed()), " failed")});
  layout.Row(columns, {"Impressions", FormatCount(report.impressions()), ""});
  layout.Row(columns, {"Interactions", FormatCount(report.interactions()), ""});
  layout.Row(columns, {"Link clicks", FormatCount(report.link_clicks()), ""});
  layout.Row(columns, {"Engagement rate", FormatPercent(report.engagement_rate()),
                       "interactions per impression"});
  layout.Row(columns, {"Followers", FormatCount(report.followers()),
                       absl::StrCat(FormatSignedCount(report.follower_change()), " this week")});
}

void Objectives(const v1::WeeklyReport& report, PdfWriter& writer, PdfLayout& layout) {
  layout.Heading("Objectives");
  if (report.objectives_size() == 0) {
    layout.Paragraph("No objectives are set for this scope.", 10, PdfFont::kRegular, kMuted);
    return;
  }
  const auto columns = Columns({140, 120, 60, 60, 70, 49.28}, {false, false, true, true, true});
  layout.Row(columns, {"Objective", "Measure", "Now", "Target", "Progress", "Status"}, true);
  for (const v1::ObjectiveProgress& o : report.objectives()) {
    const double top = layout.Reserve(30);
    layout.Row(columns,
               {ObjectiveTitle(o), KpiDisplayName(o.kpi()), FormatKpiValue(o.kpi(), o.current()),
                FormatKpiValue(o.kpi(), o.target()), FormatPercent(o.progress_ratio()), ""});
    const PdfColumn& status = columns.back();
    writer.Text(status.x + 2, top + 12, o.on_track() ? "On track" : "Off track", 9, PdfFont::kBold,
                o.on_track() ? kGreen : kRed);
  }
}

// Impressions as bars (left scale, value on top), interactions as a line.
void DailyChart(const v1::WeeklyReport& report, PdfWriter& writer, PdfLayout& layout) {
  constexpr double kHeight = 150;
  const double top = layout.Reserve(kHeight + 60);
  int64_t max_impressions = 0;
  int64_t max_interactions = 0;
  for (const v1::ReportDay& d : report.days()) {
    max_impressions = std::max(max_impressions, d.impressions());
    max_interactions = std::max(max_interactions, d.interactions());
  }
  const double left_max = NiceAxisMax(static_cast<double>(max_impressions));
  const double right_max = NiceAxisMax(static_cast<double>(max_interactions));
  writer.FillRect(kLeft, top + 2, 9, 9, kBlue);
  writer.Text(kLeft + 13, top + 10, "Impressions (bars, left scale)", 9, PdfFont::kRegular);
  writer.FillRect(kLeft + 190, top + 2, 9, 9, kOrange);
  writer.Text(kLeft + 203, top + 10, "Interactions (line, right scale)", 9, PdfFont::kRegular);
  const double plot_top = top + 24;
  const double bottom = plot_top + kHeight;
  const double x0 = kLeft + 50;
  const double width = PdfLayout::kContentWidth - 100;
  for (int i = 0; i <= 4; ++i) {
    const double y = bottom - kHeight * i / 4;
    writer.Line(x0, y, x0 + width, y, 0.5, i == 0 ? kMuted : kGrid);
    const std::string left = FormatCount(static_cast<int64_t>(left_max * i / 4));
    writer.Text(x0 - 6 - PdfWriter::TextWidth(left, 8, PdfFont::kRegular), y + 3, left, 8,
                PdfFont::kRegular, kMuted);
    writer.Text(x0 + width + 6, y + 3, FormatCount(static_cast<int64_t>(right_max * i / 4)), 8,
                PdfFont::kRegular, kOrange);
  }
  const double slot = width / std::max(1, report.days_size());
  double previous_x = 0;
  double previous_y = 0;
  for (int i = 0; i < report.days_size(); ++i) {
    const v1::ReportDay& d = report.days(i);
    const double cx = x0 + slot * (i + 0.5);
    const double h = kHeight * static_cast<double>(d.impressions()) / left_max;
    writer.FillRect(cx - slot * 0.3, bottom - h, slot * 0.6, h, kBlue);
    const std::string value = FormatCount(d.impressions());
    writer.Text(cx - PdfWriter::TextWidth(value, 8, PdfFont::kRegular) / 2, bottom - h - 3, value,
                8, PdfFont::kRegular);
    const std::string label = DayLabel(d.date());
    writer.Text(cx - PdfWriter::TextWidth(label, 8, PdfFont::kRegular) / 2, bottom + 12, label, 8,
                PdfFont::kRegular);
    const double iy = bottom - kHeight * static_cast<double>(d.interactions()) / right_max;
    if (i > 0) writer.Line(previous_x, previous_y, cx, iy, 1.8, kOrange);
    writer.FillRect(cx - 2.5, iy - 2.5, 5, 5, kOrange);
    previous_x = cx;
    previous_y = iy;
  }
  layout.Skip(kHeight + 60);
}

void Daily(const v1::WeeklyReport& report, PdfWriter& writer, PdfLayout& layout) {
  layout.Heading("Day by day");
  if (report.days_size() == 0) {
    layout.Paragraph("No daily figures.", 10, PdfFont::kRegular, kMuted);
    return;
  }
  DailyChart(report, writer, layout);
  const auto columns =
      Columns({100, 55, 85, 85, 58, 58, 58.28}, {false, true, true, true, true, true, true});
  layout.Row(columns,
             {"Day", "Posts", "Impressions", "Interactions", "Positive", "Neutral", "Negative"},
             true);
  for (const v1::ReportDay& d : report.days()) {
    layout.Row(columns,
               {DayLabel(d.date()), FormatCount(d.posts_published()), FormatCount(d.impressions()),
                FormatCount(d.interactions()), FormatCount(d.mentions_positive()),
                FormatCount(d.mentions_neutral()), FormatCount(d.mentions_negative())});
  }
}

void PostTable(const google::protobuf::RepeatedPtrField<v1::ReportPost>& posts, PdfLayout& layout) {
  if (posts.empty()) {
    layout.Paragraph("No posts with a reading this week.", 10, PdfFont::kRegular, kMuted);
    return;
  }
  const auto columns =
      Columns({198, 60, 62, 66, 42, 71.28}, {false, false, true, true, true, true});
  layout.Row(columns, {"Post", "Network", "Impressions", "Interactions", "Clicks", "Engagement"},
             true);
  for (const v1::ReportPost& p : posts) {
    std::string text = p.text_excerpt();
    if (IsSafeHttpUrl(p.url())) absl::StrAppend(&text, " ", p.url());
    layout.Row(columns, {text, NetworkDisplayName(p.network()), FormatCount(p.impressions()),
                         FormatCount(p.interactions()), FormatCount(p.link_clicks()),
                         FormatPercent(p.engagement_rate())});
  }
}

void Posts(const v1::WeeklyReport& report, PdfLayout& layout) {
  layout.Heading("Best and worst posts");
  layout.Paragraph("Ranked by engagement rate: interactions per impression.", 9, PdfFont::kRegular,
                   kMuted);
  layout.SubHeading("Best posts");
  PostTable(report.best_posts(), layout);
  layout.SubHeading("Worst posts");
  PostTable(report.worst_posts(), layout);
}

void Topics(const v1::WeeklyReport& report, PdfLayout& layout) {
  layout.Heading("Topics that moved sentiment");
  if (report.topics_size() == 0) {
    layout.Paragraph("No topic moved this week.", 10, PdfFont::kRegular, kMuted);
    return;
  }
  const auto columns =
      Columns({150, 60, 65, 60, 60, 104.28}, {false, true, true, true, true, false});
  layout.Row(columns,
             {"Topic", "Mentions", "Last week", "Positive", "Negative", "Change in negative"},
             true);
  for (const v1::ReportTopic& t : report.topics()) {
    const std::string change =
        t.negative_share_change() > 0
            ? absl::StrCat(FormatPercentPoints(t.negative_share_change()), " (worse)")
            : absl::StrCat(FormatPercentPoints(t.negative_share_change()), " (better)");
    layout.Row(columns,
               {t.topic(), FormatCount(t.mentions()), FormatCount(t.previous_mentions()),
                FormatPercent(t.positive_share()), FormatPercent(t.negative_share()), change});
  }
}

void Inbox(const v1::WeeklyReport& report, PdfLayout& layout) {
  layout.Heading("Inbox and response times");
  const v1::ReportInbox& inbox = report.inbox();
  const auto columns = Columns({200, 120, 179.28}, {false, true, false});
  layout.Row(columns, {"First response, median", FormatDuration(inbox.first_response_p50_seconds()),
                       absl::StrCat(FormatCount(inbox.items_answered()), " items answered")});
  layout.Row(columns, {"First response, 90th percentile",
                       FormatDuration(inbox.first_response_p90_seconds()), ""});
  layout.Row(columns, {"SLA breaches", FormatCount(inbox.sla_breaches()), ""});
  layout.Row(columns, {"Open at end of week", FormatCount(inbox.open_at_end()), ""});
  layout.Row(columns, {"Items in / closed",
                       absl::StrCat(FormatCount(inbox.items_created()), " / ",
                                    FormatCount(inbox.items_closed())),
                       ""});
}

void Evergreen(const v1::WeeklyReport& report, PdfLayout& layout) {
  layout.Heading("Evergreen content that underperforms");
  if (report.underperforming_evergreen_size() == 0) {
    layout.Paragraph("Every evergreen item did at least as well as the other posts.", 10,
                     PdfFont::kRegular, kMuted);
    return;
  }
  const auto columns = Columns({200, 90, 100, 109.28}, {false, true, true, true});
  layout.Row(columns, {"Item", "Times posted", "Its engagement", "All posts"}, true);
  for (const v1::ReportEvergreen& e : report.underperforming_evergreen()) {
    layout.Row(columns,
               {ResourceId(e.evergreen_item()), FormatCount(e.recurrences()),
                FormatPercent(e.engagement_rate()), FormatPercent(e.scope_engagement_rate())});
  }
}

void Suggestions(const v1::WeeklyReport& report, PdfLayout& layout) {
  layout.Heading("What to change");
  if (report.suggestions_size() == 0) {
    layout.Paragraph("Nothing to change: keep going.", 10, PdfFont::kRegular, kMuted);
    return;
  }
  for (int i = 0; i < report.suggestions_size(); ++i) {
    const v1::ReportSuggestion& s = report.suggestions(i);
    layout.Paragraph(absl::StrCat(i + 1, ". ", SuggestionKindName(s.kind())), 10, PdfFont::kBold);
    layout.Skip(-4);
    layout.Paragraph(
        s.subject().empty() ? s.text() : absl::StrCat(s.text(), " (", s.subject(), ")"), 10);
  }
}

}  // namespace

std::string RenderWeeklyReportPdf(const v1::WeeklyReport& report) {
  PdfWriter writer(ReportTitle(report));
  PdfLayout layout(writer, absl::StrCat("CareCast  |  ", ReportTitle(report)));
  layout.Title(ReportTitle(report));
  layout.Paragraph(ReportPeriod(report), 10, PdfFont::kRegular, kMuted);
  Summary(report, layout);
  Objectives(report, writer, layout);
  Daily(report, writer, layout);
  Posts(report, layout);
  Topics(report, layout);
  Inbox(report, layout);
  Evergreen(report, layout);
  Suggestions(report, layout);
  if (IsSet(report.compute_time())) {
    layout.Paragraph(
        absl::StrCat("Computed ",
                     absl::FormatTime("%Y-%m-%d %H:%M UTC", ToTime(report.compute_time()),
                                      absl::UTCTimeZone()),
                     ". Report ", report.name(), ". Days are UTC days."),
        8, PdfFont::kRegular, kMuted);
  }
  return writer.Finish();
}

}  // namespace carecast::metrics
