// The planner core: organisation, objectives, content and its review workflow,
// the post calendar, the global publishing hold and the audit trail. It depends
// only on interfaces (KV buckets, event bus, sorted index, clock, guard, logger),
// so every rule here is unit-tested with fakes. PlannerGrpcService translates.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/planner_service.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/base/periodic_runner.h"
#include "services/common/base/worker_pool.h"
#include "services/common/bus/event_bus.h"
#include "services/common/bus/key_value_store.h"
#include "services/common/cadence/cadence.h"
#include "services/common/cadence/feed_token.h"
#include "services/common/networks/channel_settings.h"
#include "services/common/redis/index_reconciler.h"
#include "services/common/redis/sorted_index.h"
#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/spoke_scope.h"
#include "services/common/store/entity_store.h"
#include "services/common/store/outbox.h"
#include "services/common/store/outbox_relay.h"
#include "services/planner/audit_trail.h"
#include "services/planner/calendar_index.h"
#include "services/planner/outgoing_text_guard.h"
#include "services/planner/planner_metrics.h"
#include "services/planner/request_replay.h"

namespace carecast::common::cadence {
struct ICalendarFeed;  // icalendar_feed.h
}  // namespace carecast::common::cadence

namespace carecast::planner {

struct AccountName;  // resource_names.h

struct PlannerOptions {
  // A post's publish_time must lie in (now + min_lead_time, now + max_schedule_horizon].
  absl::Duration max_schedule_horizon = absl::Hours(24 * 365);
  absl::Duration min_lead_time = absl::Seconds(1);
  // Evergreen recycling: how often the background pass runs, how far ahead it
  // fills empty slots, and how late a recycled post may still go out.
  absl::Duration evergreen_period = absl::Minutes(5);
  absl::Duration evergreen_fill_ahead = absl::Hours(24);
  absl::Duration evergreen_late_tolerance = absl::Minutes(30);
  // How long before a patient authorization expires the planner warns about
  // posts still relying on it (WarnExpiringAuthorizations).
  absl::Duration consent_expiry_warning = absl::Hours(24 * 14);
  // Replicas of the KV buckets opened at start (1 locally, 3 in production).
  int replicas = 1;
  // ce-source of every event.
  std::string source = "/carecast/planner";
  // Names this process in outbox markers.
  std::string instance = "planner";
  // How often the outbox relay looks for writes left owing events.
  common::OutboxRelayOptions relay;
  // How often the calendar is reconciled with the posts bucket once
  // StartIndexReconciliation() has run (CARECAST_INDEX_RECONCILE_PERIOD).
  absl::Duration index_reconcile_period = absl::Seconds(60);
  // The networks this deployment has channel adapters for
  // (CARECAST_CHANNEL_<NET>_BASE_URL); SchedulePost refuses the others. The
  // default has the sandbox only.
  common::networks::ChannelSettings channels;
  // Entries of one BatchSchedulePosts call scheduled at once (threads shared
  // by all batch calls of this process).
  int batch_concurrency = 16;
  // Calendar feeds (calendar_feed.cc): the key ring that signs and verifies
  // feed URLs (null: feeds are off), the public URL prefix of the planner's
  // HTTP port (CARECAST_FEED_BASE_URL), the right-hand side of event UIDs, and
  // the posts a feed shows around now.
  std::shared_ptr<const common::cadence::FeedTokens> feed_tokens;
  std::string feed_base_url;
  std::string feed_uid_domain = "carecast.local";
  absl::Duration feed_past = absl::Hours(24 * 30);
  absl::Duration feed_ahead = absl::Hours(24 * 90);
};

// A rendered calendar feed and its entity tag (changes exactly when the bytes do).
struct CalendarFeedDocument {
  std::string body;
  std::string etag;
};

// How long content and a waiting post must have been left alone before
// SettleWaitingPosts acts on them.
inline constexpr absl::Duration kWaitingPostGrace = absl::Minutes(2);

// The most entries one BatchSchedulePosts call takes.
inline constexpr int kMaxBatchSchedule = 1000;

// What the planner needs; references must outlive it.
struct PlannerDeps {
  common::KeyValueStoreFactory& buckets;
  common::EventBus& bus;
  common::SortedIndex& index;
  const common::Clock& clock;
  const OutgoingTextGuard& guard;
  PlannerMetrics& metrics;
  common::Logger& logger;
  common::OutboxObserver& outbox_observer = common::NullOutboxObserver();
};

template <class T>
using Stored = common::Stored<T>;

// Thread-safe and stateless between calls (all state is in the KV buckets), so
// several planner replicas may serve at once. Every method validates its request
// completely before changing anything. Errors: INVALID_ARGUMENT (bad input,
// nothing changed), NOT_FOUND, FAILED_PRECONDITION (wrong state), ABORTED (stale
// version / lost compare-and-set), PERMISSION_DENIED (separation of duties in
// review: review_rules.h),
// UNAVAILABLE (NATS or Redis down). Every write goes through the entity store:
// once it returns OK its events and audit entries are on record and reach the
// bus even if this process dies (the outbox relay, StartRelay, finishes them).
class Planner {
 public:
  using Caller = common::Caller;

  // Opens the buckets the planner uses (and the outbox markers bucket).
  static absl::StatusOr<std::unique_ptr<Planner>> Create(const PlannerOptions& options,
                                                         const PlannerDeps& deps);
  ~Planner();

  // The entity buckets the planner writes (for the outbox metrics' labels).
  static std::vector<std::string> EntityBuckets();

  // Starts the outbox relay: a sweep now, then every options.relay.period.
  void StartRelay();
  // One relay sweep (tests); returns the number of writes settled.
  absl::StatusOr<int> SweepOutbox();

  // Checks the calendar index against the posts bucket (rebuilds it when its
  // marker is gone, reconciles it otherwise); main calls it at start.
  absl::Status WarmCalendar();
  // One reconciliation of the calendar with the posts bucket (tests; the runner).
  absl::StatusOr<common::ReconcileReport> ReconcileCalendar();
  // Posts a crash left AWAITING_APPROVAL after their content's review was
  // decided (waiting_posts.cc): released (SCHEDULED or NEEDS_RESCHEDULE) when
  // the content is approved, cancelled when it was rejected or edited. Content
  // or posts changed within kWaitingPostGrace are left for the next pass, so a
  // decision in flight is never raced. Returns how many posts it moved.
  absl::StatusOr<int> SettleWaitingPosts();
  // Raises carecast.patient_authorization.expiring, once per authorization
  // (recorded as its expiry_warning_time), for each ACTIVE authorization whose
  // expire_time is within options.consent_expiry_warning of now while posts of
  // its content are SCHEDULED or AWAITING_APPROVAL (patient_authorizations.cc).
  // Returns how many it warned about.
  absl::StatusOr<int> WarnExpiringAuthorizations();
  // Reconciles the calendar (and settles waiting posts) every
  // options.index_reconcile_period on a background thread until the planner is
  // destroyed, so a calendar lost behind its marker heals within one period.
  // Idempotent.
  void StartIndexReconciliation();

  // Organisation and objectives (organisation.cc).
  absl::StatusOr<v1::CreateSpokeResponse> CreateSpoke(const Caller& caller,
                                                      const v1::CreateSpokeRequest& request);
  absl::StatusOr<v1::ListSpokesResponse> ListSpokes(const Caller& caller,
                                                    const v1::ListSpokesRequest& request);
  absl::StatusOr<v1::CreateAccountResponse> CreateAccount(const Caller& caller,
                                                          const v1::CreateAccountRequest& request);
  absl::StatusOr<v1::ListAccountsResponse> ListAccounts(const Caller& caller,
                                                        const v1::ListAccountsRequest& request);
  absl::StatusOr<v1::CreateObjectiveResponse> CreateObjective(
      const Caller& caller, const v1::CreateObjectiveRequest& request);
  absl::StatusOr<v1::GetObjectiveResponse> GetObjective(const Caller& caller,
                                                        const v1::GetObjectiveRequest& request);
  absl::StatusOr<v1::ListObjectivesResponse> ListObjectives(
      const Caller& caller, const v1::ListObjectivesRequest& request);

  // Audiences and campaigns, the P and S of POST (campaigns.cc). Audiences and
  // campaigns are kept in the organisation bucket; content joins a campaign
  // under one of its pillars, and posts carry their content's campaign.
  absl::StatusOr<v1::CreateAudienceResponse> CreateAudience(
      const Caller& caller, const v1::CreateAudienceRequest& request);
  absl::StatusOr<v1::GetAudienceResponse> GetAudience(const Caller& caller,
                                                      const v1::GetAudienceRequest& request);
  absl::StatusOr<v1::ListAudiencesResponse> ListAudiences(const Caller& caller,
                                                          const v1::ListAudiencesRequest& request);
  // Replaces the audience's mutable fields at expected_version (ABORTED when
  // stale), validated as at creation; the spoke never changes.
  absl::StatusOr<v1::UpdateAudienceResponse> UpdateAudience(
      const Caller& caller, const v1::UpdateAudienceRequest& request);
  // Marks the audience deleted (NOT_FOUND to reads from then on; the name is
  // not reused). FAILED_PRECONDITION naming the campaigns, archived or not,
  // that still list it.
  absl::StatusOr<v1::DeleteAudienceResponse> DeleteAudience(
      const Caller& caller, const v1::DeleteAudienceRequest& request);
  absl::StatusOr<v1::CreateCampaignResponse> CreateCampaign(
      const Caller& caller, const v1::CreateCampaignRequest& request);
  absl::StatusOr<v1::GetCampaignResponse> GetCampaign(const Caller& caller,
                                                      const v1::GetCampaignRequest& request);
  absl::StatusOr<v1::ListCampaignsResponse> ListCampaigns(const Caller& caller,
                                                          const v1::ListCampaignsRequest& request);
  // Replaces the campaign's mutable fields at expected_version (ABORTED when
  // stale); pillars may be added or renamed, never removed. The campaign's
  // SCHEDULED and AWAITING_APPROVAL posts the new networks or dates leave
  // outside are listed, and cancelled with request.cancel_posts_outside.
  absl::StatusOr<v1::UpdateCampaignResponse> UpdateCampaign(
      const Caller& caller, const v1::UpdateCampaignRequest& request);

  // Patient authorizations and takedown tasks (patient_authorizations.cc).
  // Revoking cancels the posts of every content naming the authorization that
  // have not gone out and raises one takedown task per post that has (or may
  // have); revoking again finishes what an interrupted revocation left.
  absl::StatusOr<v1::CreatePatientAuthorizationResponse> CreatePatientAuthorization(
      const Caller& caller, const v1::CreatePatientAuthorizationRequest& request);
  absl::StatusOr<v1::GetPatientAuthorizationResponse> GetPatientAuthorization(
      const Caller& caller, const v1::GetPatientAuthorizationRequest& request);
  absl::StatusOr<v1::ListPatientAuthorizationsResponse> ListPatientAuthorizations(
      const Caller& caller, const v1::ListPatientAuthorizationsRequest& request);
  absl::StatusOr<v1::RevokePatientAuthorizationResponse> RevokePatientAuthorization(
      const Caller& caller, const v1::RevokePatientAuthorizationRequest& request);
  absl::StatusOr<v1::ListTakedownTasksResponse> ListTakedownTasks(
      const Caller& caller, const v1::ListTakedownTasksRequest& request);
  absl::StatusOr<v1::CompleteTakedownTaskResponse> CompleteTakedownTask(
      const Caller& caller, const v1::CompleteTakedownTaskRequest& request);

  // Content and its review (content_workflow.cc). Approval also requires every
  // variant, with the content's media, to fit its network's rules. Review runs
  // through the stages copied from the spoke's policy at submission, one
  // ApproveContent per stage approval (review_rules.h has who may approve); the
  // last makes the content APPROVED and schedules its AWAITING_APPROVAL posts
  // still ahead, or marks those whose time passed NEEDS_RESCHEDULE.
  absl::StatusOr<v1::CreateContentResponse> CreateContent(const Caller& caller,
                                                          const v1::CreateContentRequest& request);
  absl::StatusOr<v1::GetContentResponse> GetContent(const Caller& caller,
                                                    const v1::GetContentRequest& request);
  // The review queue and other content lists (content_listing.cc).
  absl::StatusOr<v1::ListContentsResponse> ListContents(const Caller& caller,
                                                        const v1::ListContentsRequest& request);
  absl::StatusOr<v1::UpdateContentResponse> UpdateContent(const Caller& caller,
                                                          const v1::UpdateContentRequest& request);
  absl::StatusOr<v1::SubmitContentResponse> SubmitContent(const Caller& caller,
                                                          const v1::SubmitContentRequest& request);
  absl::StatusOr<v1::ApproveContentResponse> ApproveContent(
      const Caller& caller, const v1::ApproveContentRequest& request);
  absl::StatusOr<v1::RejectContentResponse> RejectContent(const Caller& caller,
                                                          const v1::RejectContentRequest& request);

  // Review policies (review_policy.cc): a spoke's ordered review stages.
  // SetReviewPolicy validates them (INVALID_ARGUMENT, nothing changed) and is
  // fenced on expected_version (ABORTED); GetReviewPolicy answers the default
  // stage at version 0 for a spoke without one.
  absl::StatusOr<v1::SetReviewPolicyResponse> SetReviewPolicy(
      const Caller& caller, const v1::SetReviewPolicyRequest& request);
  absl::StatusOr<v1::GetReviewPolicyResponse> GetReviewPolicy(
      const Caller& caller, const v1::GetReviewPolicyRequest& request);

  // Each network's draft of the content, with the guard's findings on it
  // (content_variants.cc). Reads only.
  absl::StatusOr<v1::GenerateVariantsResponse> GenerateVariants(
      const Caller& caller, const v1::GenerateVariantsRequest& request);

  // Posts and the calendar (post_scheduling.cc).
  // Places the approved content's variant for the account's network (with the
  // content's media) on the calendar; content still IN_REVIEW makes an
  // AWAITING_APPROVAL post, which no publisher sends. FAILED_PRECONDITION, nothing written, when
  // the network has no configured channel adapter or the variant breaks the
  // network's rules (common::networks::CheckPostFits, whose reason it carries).
  absl::StatusOr<v1::SchedulePostResponse> SchedulePost(const Caller& caller,
                                                        const v1::SchedulePostRequest& request);
  // SchedulePost for each entry, options.batch_concurrency at a time
  // (post_import.cc). INVALID_ARGUMENT, nothing written, for no entries or more
  // than kMaxBatchSchedule; every other refusal is the entry's own result.
  absl::StatusOr<v1::BatchSchedulePostsResponse> BatchSchedulePosts(
      const Caller& caller, const v1::BatchSchedulePostsRequest& request);
  absl::StatusOr<v1::GetPostResponse> GetPost(const Caller& caller,
                                              const v1::GetPostRequest& request);
  // Cancels a SCHEDULED post, or a NEEDS_HUMAN one a person decided not to
  // publish (its audit detail says the outcome was unknown). Any other state is
  // FAILED_PRECONDITION naming it.
  absl::StatusOr<v1::CancelPostResponse> CancelPost(const Caller& caller,
                                                    const v1::CancelPostRequest& request);
  // Gives a NEEDS_RESCHEDULE post a new publish_time (checked as SchedulePost
  // checks it) and makes it SCHEDULED; its content must still be approved at
  // the post's version. Any other state is FAILED_PRECONDITION.
  absl::StatusOr<v1::ReschedulePostResponse> ReschedulePost(
      const Caller& caller, const v1::ReschedulePostRequest& request);
  absl::StatusOr<v1::ListCalendarResponse> ListCalendar(const Caller& caller,
                                                        const v1::ListCalendarRequest& request);

  // Cadences and blackout windows (cadence_settings.cc). SetCadence validates
  // every rule in the account's time zone; blackouts are at most 90 days long.
  absl::StatusOr<v1::SetCadenceResponse> SetCadence(const Caller& caller,
                                                    const v1::SetCadenceRequest& request);
  absl::StatusOr<v1::GetCadenceResponse> GetCadence(const Caller& caller,
                                                    const v1::GetCadenceRequest& request);
  absl::StatusOr<v1::CreateBlackoutResponse> CreateBlackout(
      const Caller& caller, const v1::CreateBlackoutRequest& request);
  absl::StatusOr<v1::ListBlackoutsResponse> ListBlackouts(const Caller& caller,
                                                          const v1::ListBlackoutsRequest& request);
  absl::StatusOr<v1::DeleteBlackoutResponse> DeleteBlackout(
      const Caller& caller, const v1::DeleteBlackoutRequest& request);

  // The queue (queue.cc): content placed into the next free cadence slot of
  // each account, and the order of an account's queued posts.
  absl::StatusOr<v1::AddToQueueResponse> AddToQueue(const Caller& caller,
                                                    const v1::AddToQueueRequest& request);
  absl::StatusOr<v1::ListQueueResponse> ListQueue(const Caller& caller,
                                                  const v1::ListQueueRequest& request);
  absl::StatusOr<v1::ReorderQueueResponse> ReorderQueue(const Caller& caller,
                                                        const v1::ReorderQueueRequest& request);
  absl::StatusOr<v1::ShuffleQueueResponse> ShuffleQueue(const Caller& caller,
                                                        const v1::ShuffleQueueRequest& request);

  // The evergreen library (evergreen.cc): approved content recycled into the
  // empty cadence slots of its accounts (evergreen_rules.h has the rules).
  absl::StatusOr<v1::CreateEvergreenItemResponse> CreateEvergreenItem(
      const Caller& caller, const v1::CreateEvergreenItemRequest& request);
  absl::StatusOr<v1::GetEvergreenItemResponse> GetEvergreenItem(
      const Caller& caller, const v1::GetEvergreenItemRequest& request);
  absl::StatusOr<v1::ListEvergreenItemsResponse> ListEvergreenItems(
      const Caller& caller, const v1::ListEvergreenItemsRequest& request);
  absl::StatusOr<v1::RetireEvergreenItemResponse> RetireEvergreenItem(
      const Caller& caller, const v1::RetireEvergreenItemRequest& request);
  absl::StatusOr<v1::RenewEvergreenReviewResponse> RenewEvergreenReview(
      const Caller& caller, const v1::RenewEvergreenReviewRequest& request);
  absl::StatusOr<v1::RecycleEvergreenResponse> RecycleEvergreen(
      const Caller& caller, const v1::RecycleEvergreenRequest& request);
  // Runs a recycling pass every options.evergreen_period on a background
  // thread until the planner is destroyed. Idempotent.
  void StartEvergreenRecycling();

  // The global hold and the audit trail (publishing_control.cc).
  absl::StatusOr<v1::HoldPublishingResponse> HoldPublishing(
      const Caller& caller, const v1::HoldPublishingRequest& request);
  absl::StatusOr<v1::ResumePublishingResponse> ResumePublishing(
      const Caller& caller, const v1::ResumePublishingRequest& request);
  absl::StatusOr<v1::GetPublishingStateResponse> GetPublishingState(
      const Caller& caller, const v1::GetPublishingStateRequest& request);
  // Calendar feeds (calendar_feed.cc).
  absl::StatusOr<v1::GetCalendarFeedResponse> GetCalendarFeed(
      const Caller& caller, const v1::GetCalendarFeedRequest& request);
  absl::StatusOr<v1::RevokeCalendarFeedResponse> RevokeCalendarFeed(
      const Caller& caller, const v1::RevokeCalendarFeedRequest& request);
  // The feed of spoke or campaign `id` when `token` opens it (the HTTP
  // route's core). UNAUTHENTICATED "invalid token" alike for a bad token, a
  // revoked one and an unknown id; FAILED_PRECONDITION when feeds are off.
  absl::StatusOr<CalendarFeedDocument> ReadCalendarFeed(common::cadence::FeedKind kind,
                                                        std::string_view id,
                                                        std::string_view token);

  absl::StatusOr<v1::ListAuditEntriesResponse> ListAuditEntries(
      const Caller& caller, const v1::ListAuditEntriesRequest& request);

 private:
  struct Buckets;
  Planner(const PlannerOptions& options, std::unique_ptr<Buckets> buckets, const PlannerDeps& deps);

  // Runs one mutation with request_id replay: a stored record is answered
  // without running `fn`; otherwise `fn` validates and writes through the entity
  // stores (each write carrying its changes), then the response is stored.
  template <class Response, class Fn>
  absl::StatusOr<Response> Mutate(const Caller& caller, std::string_view method,
                                  const std::string& request_id, Fn&& fn);

  // The id for a new resource: `explicit_id` when given (validated), else one
  // derived from (method, caller, request_id) so a retry lands on the same
  // resource, else a random one. `*derived` tells which.
  absl::StatusOr<std::string> ChooseId(std::string_view field, std::string_view explicit_id,
                                       std::string_view method, const Caller& caller,
                                       std::string_view request_id, bool* derived) const;

  Change NewChange(const ChangeFacts& facts, const Caller& caller, std::string_view request_id,
                   absl::Time now) const;

  // Appends the change for one content transition (event carecast.content.<fact>,
  // audit action "content.<verb>") and counts it in the transition metric.
  struct ContentTransition {
    std::string_view fact;     // "approved"
    std::string_view subject;  // subjects::kContentApproved
    std::string_view verb;     // "approve"
  };
  Change ContentChange(const ContentTransition& transition, const v1::Content& content,
                       uint64_t base_revision, const Caller& caller, std::string_view request_id,
                       absl::Time now, std::string detail = {});

  // The change for one evergreen item transition (event carecast.evergreen.<fact>,
  // audit action "evergreen.<verb>"), the item after it as the payload.
  struct EvergreenTransition {
    std::string_view fact;     // "retired"
    std::string_view subject;  // subjects::kEvergreenRetired
    std::string_view verb;     // "retire"
  };
  Change EvergreenChange(const EvergreenTransition& transition, const v1::EvergreenItem& item,
                         uint64_t base_revision, const Caller& caller, std::string_view request_id,
                         absl::Time now, std::string detail = {},
                         const v1::Content* approved = nullptr) const;

  // The change announcing that `post` was cancelled (carecast.post.cancelled).
  Change CancelChange(const v1::Post& post, uint64_t base_revision, const Caller& caller,
                      std::string_view request_id, absl::Time now, std::string detail) const;

  // Campaign checks of other resources (campaigns.cc). Each reads the campaign
  // as stored: INVALID_ARGUMENT for a malformed name (or a pillar without a
  // campaign), FAILED_PRECONDITION for a campaign that does not exist or does
  // not fit. Content of `spoke` may join `campaign` under `pillar` when the
  // campaign has that pillar, is hub-wide or the spoke's, and is not archived
  // (content already in it, `current_campaign`, may stay in an archived one).
  absl::Status CheckContentCampaign(std::string_view campaign, std::string_view pillar,
                                    std::string_view spoke, std::string_view current_campaign = {});
  // The campaign rule of a post (campaigns.cc): when `content` belongs to a
  // campaign, FAILED_PRECONDITION unless `network` is one of the campaign's
  // networks (a campaign naming none allows every network) and, when given,
  // `publish_time` lies in [start_time, end_time). `window` receives the
  // campaign's range when the content has a campaign (else is left alone).
  absl::Status CheckPostCampaign(
      const v1::Content& content, v1::Network network, std::optional<absl::Time> publish_time,
      std::optional<std::pair<absl::Time, absl::Time>>* window = nullptr);
  // The same rule for a post of campaign `campaign` (a name read from `field`).
  absl::Status CheckCampaignFit(std::string_view campaign, std::string_view field,
                                v1::Network network, std::optional<absl::Time> publish_time,
                                std::optional<std::pair<absl::Time, absl::Time>>* window = nullptr);
  // UpdateCampaign's last step: the campaign's SCHEDULED and AWAITING_APPROVAL
  // posts outside its networks or dates are cancelled (when `cancel`) and
  // those left are listed in `response`.
  absl::Status SettlePostsOutside(const Caller& caller, const v1::Campaign& campaign, bool cancel,
                                  std::string_view request_id, absl::Time now,
                                  v1::UpdateCampaignResponse& response);
  // An objective's campaign scope: the campaign exists, and a spoke-scoped
  // objective is only scoped to a hub-wide campaign or one of its spoke.
  absl::Status CheckObjectiveCampaign(const v1::Objective& objective);
  // What a campaign names (its spoke, objectives and audiences) exists and fits
  // it; `campaign.name()` is empty while it is being created.
  absl::Status CheckCampaignReferences(const v1::Campaign& campaign);

  // FAILED_PRECONDITION listing kind, field and reason of every guard finding
  // in the title, master text and variants (never the matched text). Content
  // under a patient authorization (checked by CheckContentConsent first) may
  // name the patient and disclose their care; every other kind still blocks.
  absl::Status GuardContent(const v1::Content& content);

  // Calendar feed steps (calendar_feed.cc). The feed a request names (exactly
  // one of spoke and campaign), checked against the caller's spokes; what a
  // feed shows; and its parts.
  struct FeedTarget {
    common::cadence::FeedKind kind = common::cadence::FeedKind::kSpoke;
    std::string id;    // "st-marys"
    std::string name;  // "spokes/st-marys"
    int64_t generation = 0;
  };
  struct FeedParts {
    std::string name;   // the spoke or campaign
    std::string title;  // its display name
    int64_t generation = 0;
    std::string spoke;          // whose slots and blackouts; empty: hub-wide
    std::string campaign;       // set: only this campaign's posts
    absl::Time created;         // the earliest DTSTAMP
    std::vector<int> networks;  // set: only accounts on these networks
  };
  absl::StatusOr<FeedTarget> ResolveFeedTarget(const Caller& caller, std::string_view spoke,
                                               std::string_view campaign);
  template <class Resource>
  absl::StatusOr<Resource> BumpFeedGeneration(const Caller& caller, const std::string& key,
                                              std::string_view name, std::string_view request_id,
                                              absl::Time now);
  absl::StatusOr<CalendarFeedDocument> RenderFeed(const FeedParts& parts);
  absl::Status AddFeedSlots(const FeedParts& parts, common::cadence::ICalendarFeed& feed,
                            std::map<std::string, v1::Account>& accounts, absl::Time& stamp);
  absl::Status AddFeedPosts(const FeedParts& parts, absl::Time now,
                            const std::map<std::string, v1::Account>& accounts,
                            common::cadence::ICalendarFeed& feed, absl::Time& stamp);

  // Patient consent of content (patient_authorizations.cc), all
  // FAILED_PRECONDITION with the reason. CheckConsentReference: the
  // authorization content names exists, is the content's spoke's and in force
  // (create, edit). CheckContentConsent: content featuring a patient names one
  // in force at `now` covering every variant's network (submit, approve).
  // CheckPostConsent: it covers `network` until `publish_time` (scheduling).
  absl::Status CheckConsentReference(const v1::Content& content, absl::Time now);
  absl::Status CheckContentConsent(const v1::Content& content, absl::Time now);
  absl::Status CheckPostConsent(const v1::Content& content, v1::Network network,
                                absl::Time publish_time);
  // CheckPostConsent for stored content `content_id` at a slot found later.
  absl::Status CheckSlotConsent(const std::string& content_id, v1::Network network,
                                absl::Time slot);
  absl::StatusOr<v1::PatientAuthorization> ReadConsent(const v1::Content& content);
  // RevokePatientAuthorization's cascade over the posts of `contents`.
  absl::Status CascadeRevocation(const Caller& caller, const v1::PatientAuthorization& revoked,
                                 std::string_view request_id, absl::Time now,
                                 v1::RevokePatientAuthorizationResponse& response);
  absl::StatusOr<v1::TakedownTask> RaiseTakedown(const Caller& caller, const v1::Post& post,
                                                 const v1::PatientAuthorization& revoked,
                                                 std::string_view request_id, absl::Time now);

  // Cancels every post of `content_name` in one of `states` (after an edit or
  // a rejection), with `detail` in the audit trail; each cancellation is
  // written with its own change.
  absl::Status CancelPostsOf(const Caller& caller, const std::string& content_name,
                             const std::vector<v1::PostState>& states, std::string_view detail,
                             std::string_view request_id, absl::Time now);
  // As CancelPostsOf for the posts `matches` accepts, counted under
  // `metric_label`; the names of the posts this call cancelled are appended to
  // `cancelled` when given.
  absl::Status CancelPostsWhere(const Caller& caller,
                                const std::function<bool(const v1::Post&)>& matches,
                                const std::vector<v1::PostState>& states, std::string_view detail,
                                std::string_view request_id, absl::Time now,
                                std::string_view metric_label,
                                std::vector<std::string>* cancelled = nullptr);
  // After the final approval of `content`: each of its AWAITING_APPROVAL posts
  // becomes SCHEDULED (carecast.post.scheduled, so publishers index it) when its
  // publish_time is still beyond the minimum lead time, else NEEDS_RESCHEDULE
  // (carecast.post.needs_reschedule). Posts of another version are cancelled.
  absl::Status ReleaseAwaitingPostsOf(const Caller& caller, const v1::Content& content,
                                      std::string_view request_id, absl::Time now,
                                      int* moved = nullptr);
  // The review policy of `spoke_name` (`spokes/{spoke}`), or the default
  // stage when the spoke has none or the name is empty.
  absl::StatusOr<v1::ReviewPolicy> ReviewPolicyOf(std::string_view spoke_name);

  // INVALID_ARGUMENT unless `publish_time` lies in (now + min_lead_time,
  // now + max_schedule_horizon]: SchedulePost's and ReschedulePost's rule.
  absl::Status CheckPublishWindow(absl::Time publish_time, absl::Time now) const;

  // SchedulePost's steps (post_scheduling.cc): the checks of the content, the
  // account and its network that make the post, then the calendar entry and
  // the write with its event and audit entry.
  // With `allow_awaiting`, content IN_REVIEW makes an AWAITING_APPROVAL post
  // (SchedulePost, AddToQueue); otherwise only APPROVED content makes a post.
  // The campaign rule (CheckPostCampaign) applies to request.publish_time when
  // it is set; without one (the queue) `campaign_window` receives the range
  // the slot must then fall in.
  absl::StatusOr<v1::Post> DraftPost(
      const Caller& caller, const v1::SchedulePostRequest& request, const std::string& content_id,
      const AccountName& account_name, const std::string& id, absl::Time now,
      bool allow_awaiting = false,
      std::optional<std::pair<absl::Time, absl::Time>>* campaign_window = nullptr);
  absl::Status StoreNewPost(const Caller& caller, const v1::SchedulePostRequest& request,
                            const std::string& id, const v1::Post& post, absl::Time now);

  // Blackout windows not deleted, from a copy at most a couple of seconds old
  // (so another replica's new window applies within that time).
  absl::StatusOr<std::vector<v1::Blackout>> LiveBlackouts(absl::Time now);
  void ForgetBlackouts();
  // FAILED_PRECONDITION when `at` lies in a window that applies to `spoke_name`.
  absl::Status CheckNotBlackedOut(std::string_view spoke_name, absl::Time at, absl::Time now);
  // The account's cadence with the windows that apply to it.
  absl::StatusOr<common::cadence::Cadence> AccountCadence(const AccountName& account,
                                                          const v1::Account& record,
                                                          const v1::Cadence& cadence,
                                                          absl::Time now);
  // AddToQueue for one account: reserves the next free slot in the account's
  // ledger (compare-and-set), then creates the post there.
  absl::StatusOr<v1::Post> PlaceInQueue(const Caller& caller, const std::string& content_id,
                                        const std::string& content_name, const AccountName& account,
                                        absl::Time from, std::string_view request_id,
                                        absl::Time now);
  // Records a post given an exact time in the account's ledger, when the
  // account has one (so the queue keeps its spacing and cap around it).
  absl::Status RecordInLedger(const AccountName& account, const std::string& post_name,
                              absl::Time at, absl::Time now);
  // Drops a cancelled post's reservation (best effort: a stale one only keeps a
  // slot empty until the next SyncQueue).
  void ReleaseReservation(const v1::Post& post, absl::Time now);
  // The same with the account's QueueLock already held.
  void ReleaseReservationLocked(const AccountName& account, const std::string& post_name,
                                absl::Time now);
  // Reads the account's ledger, drops the reservations of posts that ended or
  // never came to be, moves queued posts to the slot the ledger gives them, and
  // returns the SCHEDULED posts in slot order.
  absl::StatusOr<std::vector<v1::Post>> SyncQueue(const Caller& caller, const AccountName& account,
                                                  std::string_view request_id, absl::Time now);
  // Gives the movable queued posts of the account their slots in `order`.
  absl::StatusOr<std::vector<v1::Post>> ApplyQueueOrder(
      const Caller& caller, const AccountName& account, const std::vector<std::string>& order,
      std::string_view request_id, absl::Time now,
      const std::function<void(std::vector<std::string>&)>& reshuffle = nullptr);
  // ApplyQueueOrder's ledger write: the same slots, in `order`. A campaign post
  // whose new slot falls outside its campaign (CheckCampaignFit) refuses the
  // order (FAILED_PRECONDITION), unless `reshuffle` is given: then it is called
  // on the order, a bounded number of times, until an order fits.
  absl::Status WriteQueueOrder(
      const AccountName& account, const std::vector<std::string>& order, absl::Time now,
      const std::function<void(std::vector<std::string>&)>& reshuffle = nullptr);
  // Moves a SCHEDULED post to `slot` (calendar first, then the record with a
  // carecast.post.scheduled event the publishers re-index on).
  absl::Status MovePost(const Caller& caller, const std::string& post_name, absl::Time slot,
                        std::string_view request_id, absl::Time now);

  // The planner itself, as the actor of what its background passes do.
  static Caller ServiceCaller();
  // One recycling pass over `accounts` (every account an active item names
  // when empty): settles pending recurrences, applies review expiry, and
  // fills the account's free slots of the next options.evergreen_fill_ahead.
  absl::StatusOr<std::vector<v1::Post>> RecyclePass(const Caller& caller,
                                                    const std::vector<std::string>& accounts);
  // Fills the free slots of one account from `items` (read and settled by the
  // pass); returns the recurrences it scheduled.
  absl::StatusOr<std::vector<v1::Post>> RecycleInto(const Caller& caller,
                                                    const std::string& account_name,
                                                    std::vector<v1::EvergreenItem>& items,
                                                    absl::Time now);
  // Settles every pending recurrence of the item and applies its review
  // expiry, writing the item when that changed something.
  absl::StatusOr<v1::EvergreenItem> SettleEvergreenItem(const Caller& caller,
                                                        const std::string& key, absl::Time now);

  // The switch as stored; a never-set switch reads as running, revision 0.
  absl::StatusOr<Stored<v1::PublishingState>> ReadPublishingState();
  // Sets the global switch (`spoke` empty) or the spoke's own hold by
  // compare-and-set; nullopt when it already was so.
  absl::StatusOr<std::optional<Stored<v1::PublishingState>>> SetPublishing(
      const Caller& caller, const std::string& spoke, bool held, const std::string& reason,
      std::string_view request_id, absl::Time now);
  // OK when the caller may read the audit trail of `resource` (a valid name):
  // a resource of its spokes, or hub-wide content and objectives.
  absl::Status RequireAuditVisible(const common::SpokeScope& scope, const std::string& resource);

  const PlannerOptions options_;
  std::unique_ptr<Buckets> buckets_;
  common::EventBus& bus_;
  const common::Clock& clock_;
  const OutgoingTextGuard& guard_;
  PlannerMetrics& metrics_;
  common::Logger& logger_;
  common::Outbox outbox_;
  common::EntityStore organisation_;
  common::EntityStore objectives_;
  common::EntityStore contents_;
  common::EntityStore posts_;
  common::EntityStore control_;
  common::OutboxRelay relay_;
  RequestReplay replay_;
  CalendarIndex calendar_;
  common::PeriodicRunner reconcile_runner_;
  common::WorkerPool batch_workers_;
  common::PeriodicRunner evergreen_runner_;
  // Queue writes of one account in this process take turns (striped by
  // account), so replicas' compare-and-set is the only race left to retry.
  // std::mutex rather than absl::Mutex: Debian's abseil is not built with TSan,
  // so the sanitizer cannot see an absl::Mutex and reports false races.
  std::mutex& QueueLock(const AccountName& account);
  std::array<std::mutex, 64> queue_locks_;
  std::mutex blackout_mu_;
  std::optional<absl::Time> blackouts_read_at_;  // guarded by blackout_mu_
  std::vector<v1::Blackout> blackouts_;          // guarded by blackout_mu_
};

}  // namespace carecast::planner
