// Which roles may call each MetricsService RPC (the service's one role table).
#pragma once

#include <string_view>

#include "services/common/rpc/role_table.h"

namespace carecast::metrics {

inline constexpr std::string_view kGetObjectiveProgressMethod =
    "/carecast.v1.MetricsService/GetObjectiveProgress";
inline constexpr std::string_view kGetProgramSummaryMethod =
    "/carecast.v1.MetricsService/GetProgramSummary";

inline constexpr std::string_view kGetRollupMethod = "/carecast.v1.MetricsService/GetRollup";
inline constexpr std::string_view kGetBestTimesMethod = "/carecast.v1.MetricsService/GetBestTimes";
inline constexpr std::string_view kGetWeeklyReportMethod =
    "/carecast.v1.MetricsService/GetWeeklyReport";

common::RoleTable MetricsRoleTable();

}  // namespace carecast::metrics
