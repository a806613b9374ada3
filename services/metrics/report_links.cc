#include "services/metrics/report_links.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"

namespace carecast::metrics {
namespace {

constexpr char kHub[] = "hub";
constexpr char kSpoke[] = "spoke";

absl::Status NotAReport() { return absl::NotFoundError("not found"); }

}  // namespace

std::string ReportLinkPath(const std::string& spoke, const IsoWeek& week, ReportFormat format,
                           const std::string& token) {
  std::string scope(kHub);
  if (!spoke.empty()) scope = absl::StrCat(kSpoke, ".", spoke.substr(spoke.find('/') + 1));
  return absl::StrCat(common::AsAbsl(kReportPathPrefix), scope, ".", week.Label(),
                      format == ReportFormat::kPdf ? ".pdf" : ".html", "?token=", token);
}

std::optional<IsoWeek> ParseIsoWeek(std::string_view label) {
  // "YYYY-Www"
  if (label.size() != 8 || label[4] != '-' || label[5] != 'W') return std::nullopt;
  int year = 0;
  int week = 0;
  if (!absl::SimpleAtoi(common::AsAbsl(label.substr(0, 4)), &year) ||
      !absl::SimpleAtoi(common::AsAbsl(label.substr(6, 2)), &week) || week < 1 || week > 53) {
    return std::nullopt;
  }
  // 4 January is always in week 1.
  const absl::Time jan4 = absl::FromCivil(absl::CivilDay(year, 1, 4), absl::UTCTimeZone());
  const IsoWeek first = IsoWeekOf(jan4);
  IsoWeek w = IsoWeekOf(first.start + absl::Hours(24 * 7 * (week - 1)));
  if (w.year != year || w.week != week) return std::nullopt;  // week 53 of a 52-week year
  return w;
}

absl::StatusOr<ReportPath> ParseReportPath(std::string_view path) {
  if (!path.starts_with(kReportPathPrefix)) return NotAReport();
  std::vector<std::string> parts =
      absl::StrSplit(common::AsAbsl(path.substr(kReportPathPrefix.size())), '.');
  ReportPath out;
  if (parts.size() == 3 && parts[0] == kHub) {
    parts.erase(parts.begin());
  } else if (parts.size() == 4 && parts[0] == kSpoke && common::IsValidId(parts[1])) {
    out.spoke = absl::StrCat("spokes/", parts[1]);
    parts.erase(parts.begin(), parts.begin() + 2);
  } else {
    return NotAReport();
  }
  if (parts[1] == "html") {
    out.format = ReportFormat::kHtml;
  } else if (parts[1] == "pdf") {
    out.format = ReportFormat::kPdf;
  } else {
    return NotAReport();
  }
  std::optional<IsoWeek> week = ParseIsoWeek(parts[0]);
  if (!week) return NotAReport();
  out.week = *week;
  return out;
}

}  // namespace carecast::metrics
