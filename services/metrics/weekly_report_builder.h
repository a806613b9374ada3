// The weekly report of one spoke or the hub (report.proto, WeeklyReport) as a
// pure function of the facts of the week, the week before and the 28 days to
// the week's end, and the scope's objectives. What each part means and the
// thresholds of the suggestions: docs/measurement.md, "The weekly report".
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"

#include "carecast/v1/report.pb.h"

#include "services/metrics/figure_facts.h"
#include "services/metrics/iso_week.h"
#include "services/metrics/program_figures.h"

namespace carecast::metrics {

// A cadence change best times to post would make for one account.
struct CadenceHint {
  std::string account;
  std::string reason;  // GetBestTimesResponse.suggestion_reason
};

struct WeeklyReportInputs {
  std::string spoke;  // "spokes/{spoke}"; empty for the hub
  IsoWeek week;
  FactsSnapshot week_facts;      // [week.start, week.end)
  FactsSnapshot previous_facts;  // the week before (its mentions are read)
  FactsSnapshot recent_facts;    // the 28 days to week.end (evergreen recurrences)
  // Of the scope, as they stood at the week's end (now, for the week under way).
  std::vector<ObjectiveFigure> objectives;
  std::vector<CadenceHint> cadence_hints;
  absl::Time now;  // compute time
};

// Thresholds (docs/measurement.md).
inline constexpr int kReportTopPosts = 5;
inline constexpr int kReportTopics = 10;
// An evergreen item with at least this many recurrences read whose rate is
// below this share of the scope's rate underperforms.
inline constexpr int kEvergreenMinRecurrences = 2;
inline constexpr double kEvergreenUnderperformShare = 0.75;
// A topic is worth watching when its negative share rose by this much with at
// least this many mentions in the week.
inline constexpr double kTopicWatchRise = 0.10;
inline constexpr int kTopicWatchMinMentions = 5;

// "reports/hub/weeks/2027-W01" or "reports/spokes/{spoke}/weeks/2027-W01".
std::string WeeklyReportName(const std::string& spoke, const IsoWeek& week);

v1::WeeklyReport BuildWeeklyReport(const WeeklyReportInputs& in);

}  // namespace carecast::metrics
