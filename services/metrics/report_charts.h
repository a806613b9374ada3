// The weekly report's charts as inline SVG elements, drawn from the report's
// figures with no script and no external resource. Each chart is one <svg>
// with role="img", a <title> and a <desc>, a stable id, and its marks carry
// classes and data attributes (class="bar bar-impressions" data-day=...
// data-value=...) so a browser test can find and measure them.
#pragma once

#include <string>

#include "carecast/v1/report.pb.h"

namespace carecast::metrics {

// id="chart-daily": impressions per day as bars (left axis), interactions per
// day as a line with dots (right axis), posts published under each day.
std::string DailyActivityChartSvg(const v1::WeeklyReport& report);

// id="chart-sentiment": mentions per day stacked by sentiment (positive at the
// bottom, then neutral, then negative), with each day's total on top.
std::string SentimentChartSvg(const v1::WeeklyReport& report);

// A small horizontal progress bar (class="progress"): the filled part is
// progress_ratio capped at 1, green when on track and red when not; a dark
// tick marks elapsed_ratio, the pace to be at. `label` becomes its aria-label
// and is escaped here.
std::string ProgressBarSvg(double progress_ratio, double elapsed_ratio, bool on_track,
                           const std::string& label);

// The smallest "nice" axis maximum (1, 2 or 5 times a power of ten) at or above
// `value`; 1 for values of 1 or less.
double NiceAxisMax(double value);

}  // namespace carecast::metrics
