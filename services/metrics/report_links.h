// Where a weekly report's page and PDF are served on the metrics service's HTTP
// port, one path segment under /reports/ (docs/measurement.md):
//   /reports/hub.2027-W01.html          the hub's report
//   /reports/spoke.north.2027-W01.pdf   spoke "north"'s report
// each followed by "?token=..." (a FeedKind::kReport token for the report's name).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "services/metrics/iso_week.h"

namespace carecast::metrics {

inline constexpr std::string_view kReportPathPrefix = "/reports/";

enum class ReportFormat { kHtml, kPdf };

// The path with its token query.
std::string ReportLinkPath(const std::string& spoke, const IsoWeek& week, ReportFormat format,
                           const std::string& token);

struct ReportPath {
  std::string spoke;  // "spokes/{spoke}"; empty for the hub
  IsoWeek week;
  ReportFormat format = ReportFormat::kHtml;
};

// NOT_FOUND for any path that is not a report's (an unknown shape, a week that
// does not exist such as 2026-W54, another extension).
absl::StatusOr<ReportPath> ParseReportPath(std::string_view path);

// The week "2027-W01"; nullopt when malformed or when the year has no such week.
std::optional<IsoWeek> ParseIsoWeek(std::string_view label);

}  // namespace carecast::metrics
