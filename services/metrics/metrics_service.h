// The MetricsService core: answers from ProgramFigures, free of gRPC. Thread-safe
// (reads copy out of the figures); references must outlive it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "carecast/v1/metrics_service.pb.h"

#include "services/common/base/clock.h"
#include "services/common/cadence/feed_token.h"
#include "services/common/rpc/spoke_scope.h"
#include "services/metrics/iso_week.h"
#include "services/metrics/program_figures.h"

namespace carecast::metrics {

class MetricsService {
 public:
  // `link_tokens` signs the weekly reports' page and PDF links; null: reports
  // carry no links.
  MetricsService(const ProgramFigures& figures, const common::Clock& clock,
                 std::shared_ptr<const common::cadence::FeedTokens> link_tokens = nullptr)
      : figures_(figures), clock_(clock), link_tokens_(std::move(link_tokens)) {}

  // `name` is "objectives/{id}". INVALID_ARGUMENT when malformed, NOT_FOUND when no
  // such objective was created, UNIMPLEMENTED when its KPI is not measured yet
  // (engagement rate, reach: they need engagement collection).
  absl::StatusOr<v1::ObjectiveProgress> GetObjectiveProgress(std::string_view name) const;

  // Counts per label (network; "network/state" for failures, e.g. "sandbox/failed";
  // sentiment), open inbox items and every measured objective.
  v1::GetProgramSummaryResponse GetProgramSummary() const;

  // INVALID_ARGUMENT (changing nothing) for an unspecified dimension, a window
  // not set, ending before it starts or longer than 400 days, or a malformed
  // spoke or campaign name. Program-level counts: every caller may read them.
  absl::StatusOr<v1::GetRollupResponse> GetRollup(const v1::GetRollupRequest& request) const;

  // Best times to post for an account (best_times.h) from the engagement of its
  // posts the figures hold. INVALID_ARGUMENT for a malformed account name or
  // top; PERMISSION_DENIED for another spoke's caller; NOT_FOUND for an account
  // no carecast.account.created or carecast.cadence.changed named.
  absl::StatusOr<v1::GetBestTimesResponse> GetBestTimes(const v1::GetBestTimesRequest& request,
                                                        const common::SpokeScope& scope) const;

  // INVALID_ARGUMENT for a malformed spoke name or a week that has not started;
  // NOT_FOUND for a spoke no carecast.spoke.created named; PERMISSION_DENIED for
  // a spoke the caller may not read.
  absl::StatusOr<v1::WeeklyReport> GetWeeklyReport(const v1::GetWeeklyReportRequest& request,
                                                   const common::SpokeScope& scope) const;
  // The report of `spoke` (empty: the hub) for `week`, unchecked, with its links.
  v1::WeeklyReport BuildReport(const std::string& spoke, const IsoWeek& week) const;
  // OK when `token` opens report `name` (UNAUTHENTICATED otherwise, and always
  // without a key ring).
  absl::Status VerifyReportLink(std::string_view name, std::string_view token) const;

 private:
  // ComputeBestTimes for a known account.
  absl::StatusOr<v1::GetBestTimesResponse> BestTimesOf(const AccountRecord& account, int top) const;

  const ProgramFigures& figures_;
  const common::Clock& clock_;
  const std::shared_ptr<const common::cadence::FeedTokens> link_tokens_;
};

}  // namespace carecast::metrics
