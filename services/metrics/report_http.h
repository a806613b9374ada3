// GET /reports/{scope}.{week}.{html|pdf}?token=... on the metrics service's HTTP
// port (report_links.h): the weekly report computed now, rendered as a page
// (strict Content-Security-Policy, no script) or a PDF download. 401 for a
// missing or wrong token, 404 for a path that is no report's, a spoke no
// carecast.spoke.created named, a week that has not started, or when no link
// key ring is configured.
#pragma once

#include "services/common/rpc/http_message.h"
#include "services/metrics/metrics_service.h"
#include "services/metrics/weekly_report_builder.h"

namespace carecast::metrics {

common::HttpResponse ServeWeeklyReport(const MetricsService& service,
                                       const common::HttpRequest& request);

}  // namespace carecast::metrics
