// The weekly report as one self-contained HTML5 page a marketing director can
// read without help: summary figures, objectives, daily charts, best and worst
// posts, topics, inbox SLA, underperforming evergreen items and what to change.
// No script and no external resource: the CSS is one inline <style> element and
// the charts are inline SVG (services/metrics/report_charts.h). Every string
// from the report is HTML-escaped. Tests find figures by data-figure attributes
// (e.g. data-figure="impressions") and charts by id ("chart-daily",
// "chart-sentiment").
#pragma once

#include <string>

#include "carecast/v1/report.pb.h"

namespace carecast::metrics {

// The page. It carries its own CSP in a <meta http-equiv> element (everything
// WeeklyReportContentSecurityPolicy gives but frame-ancestors, which a meta
// element cannot set), so it stays locked down when saved as a file.
std::string RenderWeeklyReportHtml(const v1::WeeklyReport& report);

// The Content-Security-Policy header value to serve `html` (a page
// RenderWeeklyReportHtml made) with: nothing may load but the inline <style>,
// allowed by its SHA-256, and data: images. Computed from the first <style>
// element found in `html`; with none, styles are not allowed at all.
std::string WeeklyReportContentSecurityPolicy(const std::string& html);

}  // namespace carecast::metrics
