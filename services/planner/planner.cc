#include "services/planner/planner.h"

#include "absl/strings/str_cat.h"

#include "services/common/base/ids.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/planner/planner_internal.h"

namespace carecast::planner {

absl::StatusOr<std::unique_ptr<Planner>> Planner::Create(
    const PlannerOptions& options, common::KeyValueStoreFactory& factory, common::EventBus& bus,
    common::SortedIndex& index, const common::Clock& clock, const OutgoingTextGuard& guard,
    PlannerMetrics& metrics, common::Logger& logger) {
  common::TopologyOptions topology{.replicas = options.replicas};
  auto open = [&](std::string_view name) {
    return factory.OpenBucket(common::BucketSpecFor(name, topology));
  };
  auto buckets = std::make_unique<Buckets>();
  ASSIGN_OR_RETURN(buckets->organisation, open(common::buckets::kOrganisation));
  ASSIGN_OR_RETURN(buckets->objectives, open(common::buckets::kObjectives));
  ASSIGN_OR_RETURN(buckets->contents, open(common::buckets::kContents));
  ASSIGN_OR_RETURN(buckets->posts, open(common::buckets::kPosts));
  ASSIGN_OR_RETURN(buckets->control, open(common::buckets::kControl));
  ASSIGN_OR_RETURN(buckets->requests, open(common::buckets::kRequests));
  return std::unique_ptr<Planner>(
      new Planner(options, std::move(buckets), bus, index, clock, guard, metrics, logger));
}

Planner::Planner(const PlannerOptions& options, std::unique_ptr<Buckets> buckets,
                 common::EventBus& bus, common::SortedIndex& index, const common::Clock& clock,
                 const OutgoingTextGuard& guard, PlannerMetrics& metrics, common::Logger& logger)
    : options_(options),
      buckets_(std::move(buckets)),
      organisation_(*buckets_->organisation),
      objectives_(*buckets_->objectives),
      contents_(*buckets_->contents),
      posts_(*buckets_->posts),
      control_(*buckets_->control),
      bus_(bus),
      clock_(clock),
      guard_(guard),
      metrics_(metrics),
      logger_(logger),
      audit_(bus, logger),
      replay_(*buckets_->requests),
      calendar_(index, *buckets_->posts, logger) {}

Planner::~Planner() = default;

absl::Status Planner::WarmCalendar() {
  ASSIGN_OR_RETURN(bool rebuilt, calendar_.EnsureBuilt());
  if (rebuilt) metrics_.CalendarRebuilt();
  return absl::OkStatus();
}

absl::StatusOr<std::string> Planner::ChooseId(std::string_view field, std::string_view explicit_id,
                                              std::string_view method, const Caller& caller,
                                              std::string_view request_id, bool* derived) const {
  *derived = false;
  if (!explicit_id.empty()) {
    if (!common::IsValidId(explicit_id)) {
      return absl::InvalidArgumentError(
          absl::StrCat(common::AsAbsl(field),
                       " must be 1-63 characters of [a-z0-9-] starting with a letter or digit"));
    }
    return std::string(explicit_id);
  }
  if (!request_id.empty()) {
    *derived = true;
    return common::IdFromRequest(
        absl::StrCat(common::AsAbsl(method), "\n", caller.principal.subject), request_id);
  }
  return common::NewId();
}

Change Planner::NewChange(const ChangeFacts& facts, const Caller& caller,
                          std::string_view request_id, absl::Time now) const {
  return MakeChange(facts, caller, request_id, options_.source, now);
}

}  // namespace carecast::planner
