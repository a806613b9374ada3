#include "services/metrics/report_http.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "services/metrics/figure_labels.h"
#include "services/metrics/report_html.h"
#include "services/metrics/report_links.h"
#include "services/metrics/report_pdf.h"

namespace carecast::metrics {
namespace {

common::HttpResponse Error(int status, std::string_view reason) {
  return common::HttpErrorResponse(status, reason, "report");
}

}  // namespace

common::HttpResponse ServeWeeklyReport(const MetricsService& service,
                                       const common::HttpRequest& request) {
  absl::StatusOr<ReportPath> path = ParseReportPath(request.path);
  if (!path.ok()) return Error(404, "not found");
  auto token = request.query.find("token");
  if (token == request.query.end() || token->second.empty())
    return Error(401, "a report link carries its token (?token=...)");
  v1::GetWeeklyReportRequest ask;
  ask.set_spoke(path->spoke);
  *ask.mutable_week_time() = ToProto(path->week.start);
  // The token was minted for this report's name; check it before computing anything.
  const std::string name = WeeklyReportName(path->spoke, path->week);
  if (!service.VerifyReportLink(name, token->second).ok()) return Error(401, "invalid token");
  absl::StatusOr<v1::WeeklyReport> report = service.GetWeeklyReport(ask, common::SpokeScope::Hub());
  if (!report.ok()) return Error(404, "not found");
  common::HttpResponse response;
  response.headers.emplace_back("Cache-Control", "private, no-store");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (path->format == ReportFormat::kPdf) {
    response.content_type = "application/pdf";
    response.headers.emplace_back("Content-Disposition",
                                  absl::StrCat("attachment; filename=\"carecast-",
                                               path->spoke.empty() ? "hub" : path->spoke.substr(7),
                                               "-", path->week.Label(), ".pdf\""));
    response.body = RenderWeeklyReportPdf(*report);
    return response;
  }
  response.content_type = "text/html; charset=utf-8";
  response.body = RenderWeeklyReportHtml(*report);
  response.headers.emplace_back("Content-Security-Policy",
                                WeeklyReportContentSecurityPolicy(response.body));
  return response;
}

}  // namespace carecast::metrics
