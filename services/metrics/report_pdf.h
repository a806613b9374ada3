// The weekly report as a PDF (A4, made with services/metrics/pdf_writer.h): the
// same sections as the HTML page, in the same order, with the daily chart drawn
// as vector bars; sections flow onto further pages when they do not fit.
#pragma once

#include <string>

#include "carecast/v1/report.pb.h"

namespace carecast::metrics {

// The PDF file's bytes.
std::string RenderWeeklyReportPdf(const v1::WeeklyReport& report);

}  // namespace carecast::metrics
