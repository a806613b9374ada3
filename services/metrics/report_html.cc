#include "services/metrics/report_html.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "services/metrics/figure_labels.h"
#include "services/metrics/html_text.h"
#include "services/metrics/report_charts.h"
#include "services/metrics/report_format.h"

namespace carecast::metrics {
namespace {

// Text colours reach WCAG AA (4.5:1) on their backgrounds: #1a202c and #4a5568
// on white, white on the badges' #276744 and #b42318.
constexpr absl::string_view kStyle =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f7fafc;color:#1a202c;font:16px/1.5 system-ui,-apple-system,"
    "'Segoe UI',Roboto,Helvetica,Arial,sans-serif}"
    "main{max-width:960px;margin:0 auto;padding:16px}"
    "header{padding:8px 0 4px}"
    "h1{font-size:1.7rem;margin:0 0 4px;line-height:1.25}"
    "h2{font-size:1.3rem;margin:0 0 8px}"
    "h3{font-size:1.1rem;margin:16px 0 8px}"
    ".muted{color:#4a5568}"
    "section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:16px;"
    "margin:16px 0}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px;"
    "margin:0}"
    ".card{border:1px solid #e2e8f0;border-radius:6px;padding:10px}"
    ".card dt{color:#4a5568;font-size:.9rem}"
    ".card dd{margin:0;font-size:1.5rem;font-weight:700}"
    ".card .note{display:block;font-size:.85rem;font-weight:400;color:#4a5568}"
    ".table-wrap{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;font-size:.95rem}"
    "caption{text-align:left;padding:0 0 4px}"
    "th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e2e8f0;vertical-align:top}"
    "thead th{background:#edf2f7}"
    "td.num,th.num{text-align:right;white-space:nowrap}"
    ".badge{display:inline-block;padding:2px 8px;border-radius:10px;font-size:.85rem;"
    "font-weight:700;color:#fff;white-space:nowrap}"
    ".badge-on{background:#276744}"
    ".badge-off{background:#b42318}"
    ".worse{color:#b42318;font-weight:700}"
    ".better{color:#276744;font-weight:700}"
    ".chart-wrap{overflow-x:auto}"
    "svg.chart{display:block;width:100%;height:auto;min-width:520px;max-width:720px}"
    "svg.progress{display:block;max-width:100%}"
    "a{color:#1e4e8c}"
    "ol.changes li{margin:0 0 8px}"
    "details{margin-top:8px}"
    "footer{font-size:.85rem;color:#4a5568;padding:8px 0 24px}"
    "@media (max-width:600px){main{padding:8px}section{padding:10px}h1{font-size:1.4rem}"
    "th,td{padding:4px}}";

// The policy without frame-ancestors, for the page's own <meta> element.
std::string PolicyFor(absl::string_view style) {
  return absl::StrCat("default-src 'none'; style-src 'sha256-",
                      Sha256Base64(std::string_view(style.data(), style.size())),
                      "'; img-src data:; base-uri 'none'; form-action 'none'");
}

std::string Head(const v1::WeeklyReport& report) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"",
      PolicyFor(kStyle), "\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<title>",
      HtmlEscape(ReportTitle(report)), "</title>\n<style>", kStyle, "</style>\n</head>\n");
}

// A <dt>/<dd> card; `figure` names the data-figure attribute, `note` is optional.
std::string Card(const std::string& label, const std::string& figure, const std::string& value,
                 const std::string& note = "") {
  std::string out =
      absl::StrCat("<div class=\"card\"><dt>", HtmlEscape(label), "</dt><dd><span data-figure=\"",
                   figure, "\">", HtmlEscape(value), "</span>");
  if (!note.empty()) absl::StrAppend(&out, "<span class=\"note\">", HtmlEscape(note), "</span>");
  return absl::StrCat(out, "</dd></div>");
}

std::string Section(const std::string& id, const std::string& heading, const std::string& body) {
  return absl::StrCat("<section id=\"", id, "\" aria-labelledby=\"", id, "-h\"><h2 id=\"", id,
                      "-h\">", HtmlEscape(heading), "</h2>", body, "</section>\n");
}

std::string Table(const std::string& caption, const std::string& head, const std::string& rows) {
  // A region with a name and a tab stop, so a keyboard can scroll a wide table.
  return absl::StrCat("<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" aria-label=\"",
                      HtmlEscape(caption), "\"><table><caption class=\"muted\">",
                      HtmlEscape(caption), "</caption><thead><tr>", head, "</tr></thead><tbody>",
                      rows, "</tbody></table></div>");
}

// On a narrow screen a chart keeps a readable size and scrolls inside this box.
std::string ChartWrap(const std::string& svg) {
  return absl::StrCat("<div class=\"chart-wrap\" tabindex=\"0\">", svg, "</div>");
}

std::string Th(const std::string& text, bool numeric = false) {
  return absl::StrCat("<th scope=\"col\"", numeric ? " class=\"num\"" : "", ">", HtmlEscape(text),
                      "</th>");
}

std::string Td(const std::string& text, bool numeric = false) {
  return absl::StrCat("<td", numeric ? " class=\"num\"" : "", ">", HtmlEscape(text), "</td>");
}

std::string Empty(const std::string& text) {
  return absl::StrCat("<p class=\"muted\">", HtmlEscape(text), "</p>");
}

int OnTrackCount(const v1::WeeklyReport& report) {
  int on_track = 0;
  for (const v1::ObjectiveProgress& o : report.objectives()) on_track += o.on_track() ? 1 : 0;
  return on_track;
}

std::string SummarySection(const v1::WeeklyReport& report) {
  std::string cards = absl::StrCat(
      Card("Posts published", "posts-published", FormatCount(report.posts_published()),
           report.posts_failed() > 0 ? absl::StrCat(FormatCount(report.posts_failed()), " failed")
                                     : ""),
      Card("Impressions", "impressions", FormatCount(report.impressions())),
      Card("Interactions", "interactions", FormatCount(report.interactions())),
      Card("Link clicks", "link-clicks", FormatCount(report.link_clicks())),
      Card("Engagement rate", "engagement-rate", FormatPercent(report.engagement_rate()),
           "interactions per impression"),
      Card("Followers", "followers", FormatCount(report.followers()),
           absl::StrCat(FormatSignedCount(report.follower_change()), " this week")));
  std::string lead;
  if (report.objectives_size() > 0) {
    lead = absl::StrCat("<p><span data-figure=\"objectives-on-track\">", OnTrackCount(report),
                        "</span> of ", report.objectives_size(), " objectives are on track. ");
  } else {
    lead = "<p>No objectives are set for this scope. ";
  }
  absl::StrAppend(&lead, report.suggestions_size(),
                  report.suggestions_size() == 1 ? " change is" : " changes are",
                  " suggested at the end of this report.</p>");
  return Section("summary", "This week at a glance",
                 absl::StrCat(lead, "<dl class=\"cards\">", cards, "</dl>"));
}

std::string ObjectiveRow(const v1::ObjectiveProgress& o) {
  const std::string progress = FormatPercent(o.progress_ratio());
  const std::string label =
      absl::StrCat(progress, " of target; ", FormatPercent(o.elapsed_ratio()),
                   " of the period has passed; ", o.on_track() ? "on track" : "off track");
  return absl::StrCat("<tr data-objective=\"", HtmlEscape(o.objective()), "\"><th scope=\"row\">",
                      HtmlEscape(ObjectiveTitle(o)), "</th>", Td(KpiDisplayName(o.kpi())),
                      Td(FormatKpiValue(o.kpi(), o.current()), true),
                      Td(FormatKpiValue(o.kpi(), o.target()), true), "<td>",
                      ProgressBarSvg(o.progress_ratio(), o.elapsed_ratio(), o.on_track(), label),
                      "<span class=\"muted\">", HtmlEscape(progress), "</span></td><td>",
                      o.on_track() ? "<span class=\"badge badge-on\">On track</span>"
                                   : "<span class=\"badge badge-off\">Off track</span>",
                      "</td></tr>");
}

std::string ObjectivesSection(const v1::WeeklyReport& report) {
  if (report.objectives_size() == 0) {
    return Section("objectives", "Objectives", Empty("No objectives are set for this scope."));
  }
  std::string rows;
  for (const v1::ObjectiveProgress& o : report.objectives())
    absl::StrAppend(&rows, ObjectiveRow(o));
  return Section(
      "objectives", "Objectives",
      absl::StrCat("<p class=\"muted\">The bar shows progress toward the target; the dark tick "
                   "marks how much of the objective's period has passed.</p>",
                   Table("Progress of each objective",
                         absl::StrCat(Th("Objective"), Th("Measure"), Th("Now", true),
                                      Th("Target", true), Th("Progress"), Th("Status")),
                         rows)));
}

std::string DailyTable(const v1::WeeklyReport& report) {
  std::string rows;
  for (const v1::ReportDay& d : report.days()) {
    absl::StrAppend(&rows, "<tr><th scope=\"row\">", HtmlEscape(DayLabel(d.date())), "</th>",
                    Td(FormatCount(d.posts_published()), true),
                    Td(FormatCount(d.impressions()), true), Td(FormatCount(d.interactions()), true),
                    Td(FormatCount(d.mentions_positive()), true),
                    Td(FormatCount(d.mentions_neutral()), true),
                    Td(FormatCount(d.mentions_negative()), true), "</tr>");
  }
  return absl::StrCat("<details><summary>Show the daily figures as a table</summary>",
                      Table("Daily figures",
                            absl::StrCat(Th("Day"), Th("Posts", true), Th("Impressions", true),
                                         Th("Interactions", true), Th("Positive", true),
                                         Th("Neutral", true), Th("Negative", true)),
                            rows),
                      "</details>");
}

std::string DailySection(const v1::WeeklyReport& report) {
  if (report.days_size() == 0) return Section("daily", "Day by day", Empty("No daily figures."));
  return Section("daily", "Day by day",
                 absl::StrCat("<h3>Reach and response</h3>",
                              ChartWrap(DailyActivityChartSvg(report)), "<h3>What people said</h3>",
                              ChartWrap(SentimentChartSvg(report)), DailyTable(report)));
}

std::string PostRow(const v1::ReportPost& p) {
  std::string excerpt = HtmlEscape(p.text_excerpt());
  if (IsSafeHttpUrl(p.url())) {
    absl::StrAppend(&excerpt, " <a href=\"", HtmlEscape(p.url()),
                    "\" rel=\"noopener noreferrer\">Open the post</a>");
  }
  const std::string published = FormatPostTime(p.publish_time());
  return absl::StrCat(
      "<tr data-post=\"", HtmlEscape(p.post()), "\"><td class=\"excerpt\">", excerpt, "</td>",
      Td(NetworkDisplayName(p.network())), Td(published), Td(FormatCount(p.impressions()), true),
      Td(FormatCount(p.interactions()), true), Td(FormatCount(p.link_clicks()), true),
      Td(FormatPercent(p.engagement_rate()), true), "</tr>");
}

std::string PostTable(const std::string& caption,
                      const google::protobuf::RepeatedPtrField<v1::ReportPost>& posts) {
  if (posts.empty()) return Empty("No posts with a reading this week.");
  std::string rows;
  for (const v1::ReportPost& p : posts) absl::StrAppend(&rows, PostRow(p));
  return Table(caption,
               absl::StrCat(Th("Post"), Th("Network"), Th("Published"), Th("Impressions", true),
                            Th("Interactions", true), Th("Clicks", true), Th("Engagement", true)),
               rows);
}

std::string PostsSection(const v1::WeeklyReport& report) {
  return Section(
      "posts", "Best and worst posts",
      absl::StrCat("<p class=\"muted\">Ranked by engagement rate: interactions per impression.</p>",
                   "<h3 id=\"best-posts\">Best posts</h3>",
                   PostTable("Posts with the highest engagement rate", report.best_posts()),
                   "<h3 id=\"worst-posts\">Worst posts</h3>",
                   PostTable("Posts with the lowest engagement rate", report.worst_posts())));
}

std::string TopicChange(const v1::ReportTopic& t) {
  const std::string points = FormatPercentPoints(t.negative_share_change());
  if (points == "0.0 pts") return "<span>&#8594; no change</span>";
  if (t.negative_share_change() > 0) {
    return absl::StrCat("<span class=\"worse\">&#9650; ", HtmlEscape(points),
                        " more negative</span>");
  }
  return absl::StrCat("<span class=\"better\">&#9660; ", HtmlEscape(points),
                      " less negative</span>");
}

std::string TopicsSection(const v1::WeeklyReport& report) {
  if (report.topics_size() == 0) {
    return Section("topics", "Topics that moved sentiment", Empty("No topic moved this week."));
  }
  std::string rows;
  for (const v1::ReportTopic& t : report.topics()) {
    absl::StrAppend(
        &rows, "<tr><th scope=\"row\">", HtmlEscape(t.topic()), "</th>",
        Td(FormatCount(t.mentions()), true), Td(FormatCount(t.previous_mentions()), true),
        Td(FormatPercent(t.positive_share()), true), Td(FormatPercent(t.negative_share()), true),
        "<td>", TopicChange(t), "</td></tr>");
  }
  return Section(
      "topics", "Topics that moved sentiment",
      Table("Share of negative mentions, this week against last week",
            absl::StrCat(Th("Topic"), Th("Mentions", true), Th("Last week", true),
                         Th("Positive", true), Th("Negative", true), Th("Change in negative")),
            rows));
}

std::string InboxSection(const v1::WeeklyReport& report) {
  const v1::ReportInbox& inbox = report.inbox();
  const std::string cards = absl::StrCat(
      Card("First response, median", "inbox-p50",
           FormatDuration(inbox.first_response_p50_seconds()),
           absl::StrCat(FormatCount(inbox.items_answered()), " items answered")),
      Card("First response, 90th percentile", "inbox-p90",
           FormatDuration(inbox.first_response_p90_seconds()), "9 in 10 answered within this"),
      Card("SLA breaches", "inbox-breaches", FormatCount(inbox.sla_breaches())),
      Card("Open at end of week", "inbox-open", FormatCount(inbox.open_at_end())),
      Card("Items in / closed", "inbox-created-closed",
           absl::StrCat(FormatCount(inbox.items_created()), " / ",
                        FormatCount(inbox.items_closed()))));
  return Section("inbox", "Inbox and response times",
                 absl::StrCat("<dl class=\"cards\">", cards, "</dl>"));
}

std::string EvergreenSection(const v1::WeeklyReport& report) {
  if (report.underperforming_evergreen_size() == 0) {
    return Section("evergreen", "Evergreen content that underperforms",
                   Empty("Every evergreen item did at least as well as the other posts."));
  }
  std::string rows;
  for (const v1::ReportEvergreen& e : report.underperforming_evergreen()) {
    absl::StrAppend(&rows, "<tr><th scope=\"row\">", HtmlEscape(ResourceId(e.evergreen_item())),
                    "</th>", Td(FormatCount(e.recurrences()), true),
                    Td(FormatPercent(e.engagement_rate()), true),
                    Td(FormatPercent(e.scope_engagement_rate()), true), "</tr>");
  }
  return Section("evergreen", "Evergreen content that underperforms",
                 Table("Evergreen items whose recurrences in the last 28 days did worse than "
                       "the other posts",
                       absl::StrCat(Th("Item"), Th("Times posted", true),
                                    Th("Its engagement", true), Th("All posts", true)),
                       rows));
}

std::string SuggestionsSection(const v1::WeeklyReport& report) {
  if (report.suggestions_size() == 0) {
    return Section("changes", "What to change", Empty("Nothing to change: keep going."));
  }
  std::string items;
  for (const v1::ReportSuggestion& s : report.suggestions()) {
    absl::StrAppend(&items, "<li><strong>", HtmlEscape(SuggestionKindName(s.kind())), ":</strong> ",
                    HtmlEscape(s.text()));
    if (!s.subject().empty()) {
      absl::StrAppend(&items, " <span class=\"muted\">(", HtmlEscape(s.subject()), ")</span>");
    }
    absl::StrAppend(&items, "</li>");
  }
  return Section("changes", "What to change",
                 absl::StrCat("<ol class=\"changes\">", items, "</ol>"));
}

std::string Footer(const v1::WeeklyReport& report) {
  std::string computed;
  if (IsSet(report.compute_time())) {
    computed = absl::StrCat(
        "Computed ",
        absl::FormatTime("%Y-%m-%d %H:%M UTC", ToTime(report.compute_time()), absl::UTCTimeZone()),
        ". ");
  }
  return absl::StrCat("<footer>", HtmlEscape(computed), "Report ", HtmlEscape(report.name()),
                      ". Days are UTC days.</footer>");
}

}  // namespace

std::string RenderWeeklyReportHtml(const v1::WeeklyReport& report) {
  return absl::StrCat(Head(report), "<body>\n<main>\n<header><h1>", HtmlEscape(ReportTitle(report)),
                      "</h1><p class=\"muted\">", HtmlEscape(ReportPeriod(report)),
                      "</p></header>\n", SummarySection(report), ObjectivesSection(report),
                      DailySection(report), PostsSection(report), TopicsSection(report),
                      InboxSection(report), EvergreenSection(report), SuggestionsSection(report),
                      Footer(report), "\n</main>\n</body>\n</html>\n");
}

std::string WeeklyReportContentSecurityPolicy(const std::string& html) {
  const size_t open = html.find("<style>");
  const size_t close = open == std::string::npos ? open : html.find("</style>", open);
  if (open == std::string::npos || close == std::string::npos) {
    return "default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; "
           "frame-ancestors 'none'";
  }
  const size_t start = open + std::string_view("<style>").size();
  return absl::StrCat(PolicyFor(absl::string_view(html).substr(start, close - start)),
                      "; frame-ancestors 'none'");
}

}  // namespace carecast::metrics
