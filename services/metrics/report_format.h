// Plain-text formatting of a WeeklyReport's figures, shared by the HTML page and
// the PDF so both say the same thing the same way. Everything returned is
// plain UTF-8 text, not escaped for any output format.
#pragma once

#include <cstdint>
#include <string>

#include "carecast/v1/report.pb.h"
#include "carecast/v1/resources.pb.h"

namespace carecast::metrics {

// 12345 -> "12,345"; -1200 -> "-1,200".
std::string FormatCount(int64_t value);
// Like FormatCount with an explicit sign: "+120", "-35", "0".
std::string FormatSignedCount(int64_t value);
// A 0..1 ratio as a percentage with one decimal: 0.0423 -> "4.2%".
std::string FormatPercent(double ratio);
// A change in a share as percentage points with a sign: 0.052 -> "+5.2 pts".
std::string FormatPercentPoints(double change);
// A duration for people: "45 s", "12 min", "2 h 05 min", "3 d 4 h"; "none" when 0 or less.
std::string FormatDuration(double seconds);
// A KPI value in its unit: percentages for ratios, durations for times, counts otherwise.
std::string FormatKpiValue(v1::Kpi kpi, double value);

// "Facebook", "LinkedIn", "X"...; "Unknown network" outside the enum.
std::string NetworkDisplayName(v1::Network network);
// "Posts published", "Engagement rate"...
std::string KpiDisplayName(v1::Kpi kpi);
// A short heading for a suggestion's kind: "Objective behind pace", "Move posting times"...
std::string SuggestionKindName(v1::ReportSuggestion::Kind kind);

// The objective's display name, else the last segment of its resource name.
std::string ObjectiveTitle(const v1::ObjectiveProgress& objective);
// "All spokes (hub)" or "Spoke north" for `spokes/north`.
std::string ReportScopeName(const v1::WeeklyReport& report);
// "Weekly report: Spoke north, 2027-W01".
std::string ReportTitle(const v1::WeeklyReport& report);
// "Mon 4 Jan 2027 to Sun 10 Jan 2027 (UTC)"; the week's name when the times are unset.
std::string ReportPeriod(const v1::WeeklyReport& report);
// "2027-01-04" -> "Mon 4 Jan"; the input unchanged when it is not a date.
std::string DayLabel(const std::string& iso_date);
// "Tue 5 Jan 09:00 UTC"; empty when `time` is unset.
std::string FormatPostTime(const google::protobuf::Timestamp& time);
// The last path segment of a resource name: "posts/abc" -> "abc".
std::string ResourceId(const std::string& name);

}  // namespace carecast::metrics
