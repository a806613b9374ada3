#include "services/planner/planner.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

#include "services/common/base/ids.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/planner/planner_internal.h"

namespace carecast::planner {

absl::StatusOr<std::unique_ptr<Planner>> Planner::Create(const PlannerOptions& options,
                                                         const PlannerDeps& deps) {
  common::TopologyOptions topology{.replicas = options.replicas};
  auto open = [&](std::string_view name) {
    return deps.buckets.OpenBucket(common::BucketSpecFor(name, topology));
  };
  auto buckets = std::make_unique<Buckets>();
  ASSIGN_OR_RETURN(buckets->organisation, open(common::buckets::kOrganisation));
  ASSIGN_OR_RETURN(buckets->objectives, open(common::buckets::kObjectives));
  ASSIGN_OR_RETURN(buckets->contents, open(common::buckets::kContents));
  ASSIGN_OR_RETURN(buckets->posts, open(common::buckets::kPosts));
  ASSIGN_OR_RETURN(buckets->control, open(common::buckets::kControl));
  ASSIGN_OR_RETURN(buckets->requests, open(common::buckets::kRequests));
  ASSIGN_OR_RETURN(buckets->outbox, open(common::kOutboxBucket));
  return std::unique_ptr<Planner>(new Planner(options, std::move(buckets), deps));
}

Planner::Planner(const PlannerOptions& options, std::unique_ptr<Buckets> buckets,
                 const PlannerDeps& deps)
    : options_(options),
      buckets_(std::move(buckets)),
      bus_(deps.bus),
      clock_(deps.clock),
      guard_(deps.guard),
      metrics_(deps.metrics),
      logger_(deps.logger),
      outbox_(deps.bus, *buckets_->outbox, deps.clock, deps.logger, deps.outbox_observer,
              options.instance),
      organisation_(*buckets_->organisation, std::string(common::buckets::kOrganisation), outbox_),
      objectives_(*buckets_->objectives, std::string(common::buckets::kObjectives), outbox_),
      contents_(*buckets_->contents, std::string(common::buckets::kContents), outbox_),
      posts_(*buckets_->posts, std::string(common::buckets::kPosts), outbox_),
      control_(*buckets_->control, std::string(common::buckets::kControl), outbox_),
      relay_(outbox_, {&organisation_, &objectives_, &contents_, &posts_, &control_},
             options.relay),
      replay_(*buckets_->requests),
      calendar_(deps.index, posts_, deps.metrics.index_repairs(), deps.logger),
      reconcile_runner_(options.index_reconcile_period,
                        common::PeriodicRunner::FirstRun::kAfterOnePeriod,
                        [this] {
                          // Errors are logged by the reconciler; the next period tries again.
                          (void)ReconcileCalendar();
                          (void)SettleWaitingPosts();
                          (void)WarnExpiringAuthorizations();
                        }),
      batch_workers_(static_cast<size_t>(std::max(1, options.batch_concurrency))),
      evergreen_runner_(
          options.evergreen_period, common::PeriodicRunner::FirstRun::kAfterOnePeriod, [this] {
            absl::StatusOr<std::vector<v1::Post>> made = RecyclePass(ServiceCaller(), {});
            (void)made;
          }) {}

Planner::~Planner() {
  evergreen_runner_.Stop();
  reconcile_runner_.Stop();
  relay_.Stop();
}

std::vector<std::string> Planner::EntityBuckets() {
  return {std::string(common::buckets::kOrganisation), std::string(common::buckets::kObjectives),
          std::string(common::buckets::kContents), std::string(common::buckets::kPosts),
          std::string(common::buckets::kControl)};
}

void Planner::StartRelay() { relay_.Start(); }

absl::StatusOr<int> Planner::SweepOutbox() { return relay_.SweepOnce(); }

absl::Status Planner::WarmCalendar() {
  ASSIGN_OR_RETURN(bool rebuilt, calendar_.EnsureBuilt());
  if (rebuilt) {
    metrics_.CalendarRebuilt();
    return absl::OkStatus();
  }
  // The marker is there, but the set behind it may not be.
  return calendar_.Reconcile().status();
}

absl::StatusOr<common::ReconcileReport> Planner::ReconcileCalendar() {
  return calendar_.Reconcile();
}

void Planner::StartIndexReconciliation() { reconcile_runner_.Start(); }

void Planner::StartEvergreenRecycling() { evergreen_runner_.Start(); }

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
