// Many posts in one call: a campaign's calendar imported at once. Each entry
// goes through SchedulePost unchanged (its checks, its request_id replay, its
// write with event and audit entry), so the batch can never be more lenient
// than the single call; the entries run side by side on the planner's batch
// workers, which is where the speed comes from (each entry waits on KV, the
// bus and Redis, not on the CPU).
#include <cstddef>
#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"

#include "services/planner/planner.h"

namespace carecast::planner {

absl::StatusOr<v1::BatchSchedulePostsResponse> Planner::BatchSchedulePosts(
    const Caller& caller, const v1::BatchSchedulePostsRequest& request) {
  const int entries = request.requests_size();
  if (entries == 0) return absl::InvalidArgumentError("requests: at least one entry is required");
  if (entries > kMaxBatchSchedule) {
    return absl::InvalidArgumentError(
        absl::StrCat("requests: ", entries, " entries; at most ", kMaxBatchSchedule, " per call"));
  }
  v1::BatchSchedulePostsResponse response;
  for (int i = 0; i < entries; ++i) response.add_results();
  std::vector<std::function<void()>> tasks;
  tasks.reserve(static_cast<size_t>(entries));
  for (int i = 0; i < entries; ++i) {
    // Each task writes only its own result slot, allocated above.
    v1::BatchSchedulePostsResult* result = response.mutable_results(i);
    const v1::SchedulePostRequest* entry = &request.requests(i);
    tasks.push_back([this, &caller, result, entry] {
      absl::StatusOr<v1::SchedulePostResponse> scheduled = SchedulePost(caller, *entry);
      if (scheduled.ok()) {
        *result->mutable_post() = std::move(*scheduled->mutable_post());
        return;
      }
      result->set_code(static_cast<int>(scheduled.status().code()));
      result->set_message(std::string(scheduled.status().message()));
    });
  }
  batch_workers_.RunAll(std::move(tasks));
  int refused = 0;
  for (const v1::BatchSchedulePostsResult& result : response.results())
    refused += result.code() != 0;
  if (refused > 0) {
    logger_.Info(
        "batch schedule: some entries refused",
        {{"entries", static_cast<int64_t>(entries)}, {"refused", static_cast<int64_t>(refused)}});
  }
  return response;
}

}  // namespace carecast::planner
