// The program's figures as a pure function of the events: posts published and
// failed (the program's posts only: a responder's reply is not one, see
// IsReplyPost), mentions per sentiment, the inbox, engagement and followers read back
// from the networks (engagement_figures.h), and objective progress. Fed one
// decoded event at a time; idempotent by event id and by the entity the event is
// about, so a redelivered, re-published or replayed event counts once and the
// order of an inbox item's created/closed events does not matter.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/events.pb.h"
#include "carecast/v1/resources.pb.h"

#include "services/metrics/engagement_figures.h"
#include "services/metrics/figure_facts.h"
#include "services/metrics/running_median.h"
#include "services/metrics/seen_ids.h"

namespace carecast::metrics {

// Progress of one objective. `current` is the KPI's value over the objective's
// window [start_time, end_time) and scope. `ratio` is how far along it is, so
// that >= 1 means on track, not capped at 1:
//  - higher-is-better KPIs: current / target (0 when the target is not positive);
//  - lower-is-better KPIs (KPI_NEGATIVE_MENTION_RATIO,
//    KPI_INBOX_FIRST_RESPONSE_SECONDS): target / current, 1 when current is 0
//    (nothing bad measured is on track) and 0 when the target is not positive
//    but current is.
struct ObjectiveFigure {
  std::string name;  // "objectives/{id}"
  std::string id;    // "{id}"
  v1::Kpi kpi = v1::KPI_UNSPECIFIED;
  double target = 0;
  double current = 0;
  double ratio = 0;
  // False only for KPIs outside the enum (KPI_UNSPECIFIED): current stays 0.
  bool measured = false;
  std::string display_name;
  std::string spoke;                        // "spokes/{spoke}", empty for the whole system
  absl::Time start = absl::InfinitePast();  // the window [start, end)
  absl::Time end = absl::InfiniteFuture();
};

// A copy of every figure, taken under the lock.
struct SummaryFigures {
  std::map<v1::Network, int64_t> posts_published;
  std::map<std::pair<v1::Network, v1::PostState>, int64_t> posts_failed;
  // Posts whose last known outcome is NEEDS_HUMAN (never published since).
  std::map<v1::Network, int64_t> posts_needing_human;
  std::map<v1::Sentiment, int64_t> mentions;
  int64_t open_inbox_items = 0;
  int64_t closed_inbox_items = 0;
  std::vector<ObjectiveFigure> objectives;  // sorted by name
  int64_t events_applied = 0;
};

// Told about every change, in order, with the figures' lock held: implementations
// must be quick and must not call back into ProgramFigures.
class FiguresObserver {
 public:
  virtual ~FiguresObserver() = default;
  virtual void PostPublished(v1::Network network) = 0;
  virtual void PostFailed(v1::Network network, v1::PostState state) = 0;
  // `posts` of `network` now need a human (NEEDS_HUMAN and not published,
  // rescheduled or cancelled since).
  virtual void NeedsHumanChanged(v1::Network network, int64_t posts) = 0;
  virtual void MentionClassified(v1::Sentiment sentiment) = 0;
  virtual void InboxOpenChanged(int64_t open_items) = 0;
  // `response_time` is close - create when both are known.
  virtual void InboxClosed(std::optional<absl::Duration> response_time) = 0;
  virtual void ObjectiveChanged(const ObjectiveFigure& figure) = 0;
  // The totals over the latest readings of the posts of (network, spoke) changed.
  virtual void EngagementChanged(v1::Network /*network*/, const std::string& /*spoke*/,
                                 const EngagementContribution& /*totals*/) {}
  // The sum of the latest follower counts of the accounts of (network, spoke).
  virtual void FollowersChanged(v1::Network /*network*/, const std::string& /*spoke*/,
                                int64_t /*followers*/) {}
};

enum class ApplyResult {
  kApplied,    // the figures changed (or the event was new but changed nothing)
  kDuplicate,  // this event id, or this fact about this entity, was already counted
};

// Thread-safe (one mutex; reads copy out). The observer, when given, must outlive
// this object. Apply* return INVALID_ARGUMENT, changing nothing, when the payload
// lacks the name the fact is keyed by.
class ProgramFigures {
 public:
  explicit ProgramFigures(FiguresObserver* observer = nullptr) : observer_(observer) {}

  // carecast.post.published: counted once per post, in the window of its
  // published_time (the event time when unset).
  absl::StatusOr<ApplyResult> ApplyPostPublished(std::string_view event_id, absl::Time event_time,
                                                 const v1::PostPublished& event);
  // carecast.post.failed: counted once per post and state (FAILED, NEEDS_HUMAN).
  // A NEEDS_HUMAN post also counts as needing a human until it is published
  // (whichever of the two events comes first) or a person resolves it (below).
  absl::StatusOr<ApplyResult> ApplyPostFailed(std::string_view event_id, absl::Time event_time,
                                              const v1::PostFailed& event);
  // carecast.post.scheduled / carecast.post.cancelled: a NEEDS_HUMAN post a
  // person scheduled again (PublisherService.ConfirmPostNotPublished) or
  // cancelled (PlannerService.CancelPost) no longer needs anyone. Decided by
  // post.update_time (the event time when unset), so any replay order gives the
  // same answer: a change resolves the NEEDS_HUMAN outcomes older than it, and a
  // NEEDS_HUMAN outcome newer than every change (the post failed again after a
  // reschedule) needs a human again.
  absl::StatusOr<ApplyResult> ApplyPostChanged(std::string_view event_id, absl::Time event_time,
                                               const v1::PostChanged& event);
  // carecast.mention.classified: counted once per mention, at its receive_time.
  absl::StatusOr<ApplyResult> ApplyMentionClassified(std::string_view event_id,
                                                     absl::Time event_time,
                                                     const v1::MentionClassified& event);
  // carecast.inbox.created / carecast.inbox.closed: an item is open when its
  // created event was seen and its closed event was not.
  absl::StatusOr<ApplyResult> ApplyInboxCreated(std::string_view event_id, absl::Time event_time,
                                                const v1::InboxItemChanged& event);
  absl::StatusOr<ApplyResult> ApplyInboxClosed(std::string_view event_id, absl::Time event_time,
                                               const v1::InboxItemChanged& event);
  // carecast.inbox.assigned / waiting / note_added / sla_breached: only the
  // item's create_time and first_response_time are read (the earliest first
  // response seen wins). A closed item that carries none was first answered at
  // its close_time.
  absl::StatusOr<ApplyResult> ApplyInboxChanged(std::string_view event_id, absl::Time event_time,
                                                const v1::InboxItemChanged& event);
  // carecast.engagement.observed: a post's running totals; its latest reading
  // (by observe_time) replaces the earlier ones, so a repeated or older reading
  // changes nothing (kDuplicate: no figure moved). INVALID_ARGUMENT without a
  // post name.
  absl::StatusOr<ApplyResult> ApplyEngagementObserved(std::string_view event_id,
                                                      absl::Time event_time,
                                                      const v1::EngagementObserved& event);
  // carecast.engagement.followers_observed: one count per account and instant.
  absl::StatusOr<ApplyResult> ApplyFollowersObserved(std::string_view event_id,
                                                     absl::Time event_time,
                                                     const v1::FollowersObserved& event);
  // carecast.spoke.created: the spokes reports are made for.
  absl::StatusOr<ApplyResult> ApplySpokeCreated(std::string_view event_id, absl::Time event_time,
                                                const v1::SpokeCreated& event);
  // carecast.account.created: the account's time zone, for best times to post.
  absl::StatusOr<ApplyResult> ApplyAccountCreated(std::string_view event_id, absl::Time event_time,
                                                  const v1::AccountCreated& event);
  // carecast.cadence.changed: the account's cadence, the highest version wins.
  absl::StatusOr<ApplyResult> ApplyCadenceChanged(std::string_view event_id, absl::Time event_time,
                                                  const v1::CadenceChanged& event);
  // carecast.objective.created: the first definition of a name wins.
  absl::StatusOr<ApplyResult> ApplyObjectiveCreated(std::string_view event_id,
                                                    absl::Time event_time,
                                                    const v1::ObjectiveCreated& event);
  // Makes room for about `events` more events (a replay that knows its length),
  // so the seen-id set does not grow step by step.
  void ReserveEvents(int64_t events);
  SummaryFigures Summary() const;
  // Every objective as it stood at `as_of`: counted over its window cut at
  // as_of (the figure keeps its own start and end). Engagement figures use each
  // post's latest reading, which may be later than as_of.
  std::vector<ObjectiveFigure> ObjectivesAsOf(absl::Time as_of) const;
  // nullopt when no objective of that name ("objectives/{id}") was created.
  std::optional<ObjectiveFigure> Objective(std::string_view name) const;
  int64_t events_applied() const;
  // The posts, mentions and inbox items in `query`'s scope and window, copied
  // out (program_facts.cc). Mentions and inbox items ignore query.campaign and
  // query.account; inbox items ignore query.network too.
  FactsSnapshot Facts(const FactsQuery& query) const;
  // What is known of an account ("spokes/{spoke}/accounts/{account}").
  std::optional<AccountRecord> Account(std::string_view name) const;
  // Every account known in `spoke` ("spokes/{spoke}"; empty: all), by name.
  std::vector<AccountRecord> Accounts(std::string_view spoke) const;
  // The spokes created, "spokes/{spoke}", sorted.
  std::vector<std::string> Spokes() const;

 private:
  struct PostFact {
    v1::Network network = v1::NETWORK_UNSPECIFIED;
    std::string spoke;  // "spokes/{spoke}" from the account name; may be empty
    absl::Time time;
    std::string campaign;  // "campaigns/{campaign}" the post was made for; may be empty
    std::string account;
    std::string pillar;
    std::string evergreen_item;
    std::string url;
    std::string text_excerpt;
  };
  struct MentionFact {
    v1::Network network = v1::NETWORK_UNSPECIFIED;
    v1::Sentiment sentiment = v1::SENTIMENT_UNSPECIFIED;
    absl::Time time;
    std::string spoke;  // of the account the mention addresses; may be empty
    std::vector<std::string> topics;
  };
  struct InboxFact {
    bool created = false;
    bool closed = false;
    v1::Network network = v1::NETWORK_UNSPECIFIED;
    std::optional<absl::Time> create_time;
    absl::Time close_time;
    std::string spoke;  // "spokes/{spoke}" the item is routed to; may be empty
    std::optional<absl::Time> first_response;
    bool response_counted = false;  // added to the first-response objectives
    std::optional<absl::Time> sla_breach_time;
  };
  struct ObjectiveState {
    v1::Objective objective;
    std::string spoke;  // normalised "spokes/{spoke}", empty for the whole system
    absl::Time start;   // the window [start, end)
    absl::Time end;
    int64_t count = 0;  // posts published or items closed in scope
    int64_t positive = 0;
    int64_t negative = 0;
    int64_t classified = 0;
    EngagementContribution engagement;  // posts published in window and scope
    RunningMedian first_responses;      // of items created in window
  };

  static constexpr std::string_view kObjectivePrefix = "objectives/";

  // True when `event_id` was seen before (and records it otherwise). Called with mu_.
  bool SeenBefore(std::string_view event_id);
  bool InWindow(const ObjectiveState& o, absl::Time t) const;
  bool InScope(const ObjectiveState& o, v1::Network network) const;
  // Adds the fact to every objective it counts for and tells the observer.
  void CountPost(const PostFact& fact);
  void CountMention(const MentionFact& fact);
  void CountClosed(const InboxFact& fact);
  // Takes the item's create and first-response times from `item`; once both are
  // known, adds the response time to the objectives it counts for.
  // `answered_at` stands for the item's first_response_time when it has none.
  void NoteInboxTimes(InboxFact& fact, const v1::InboxItem& item,
                      std::optional<absl::Time> answered_at = std::nullopt);
  bool CountsPost(const ObjectiveState& o, const PostIdentity& post) const;
  // A mention or a closed item counts for `o` when in its window, network and
  // spoke (the spoke the mention addresses, the spoke the item is routed to).
  bool CountsMention(const ObjectiveState& o, const MentionFact& fact) const;
  bool CountsClosed(const ObjectiveState& o, const InboxFact& fact) const;
  bool CountsResponse(const ObjectiveState& o, const InboxFact& fact) const;
  // program_facts.cc: one post's record with its latest engagement.
  PostRecord RecordOf(const std::string& name, const PostFact& fact) const;
  static PostFact PostFactOf(const v1::Post& post, absl::Time time);
  // Counts the facts already applied towards a new objective (objective_figures.cc).
  void Backfill(ObjectiveState& o) const;
  ObjectiveFigure FigureOf(const ObjectiveState& o) const;
  void NotifyObjective(const ObjectiveState& o);

  FiguresObserver* const observer_;
  mutable std::mutex mu_;
  SeenIds seen_event_ids_;
  // Hash maps keyed by resource name: the replay looks one up per event, and
  // Facts() sorts what it lists, so nothing depends on their order.
  absl::node_hash_map<std::string, PostFact> published_;
  absl::flat_hash_set<std::pair<std::string, v1::PostState>> failed_;
  absl::node_hash_map<std::string, PostFact> failed_for_good_;  // FAILED posts, by name
  std::map<std::string, AccountRecord, std::less<>> accounts_;
  std::set<std::string, std::less<>> spokes_;
  absl::node_hash_map<std::string, MentionFact> mentions_;
  absl::node_hash_map<std::string, InboxFact> inbox_;
  std::map<std::string, ObjectiveState, std::less<>> objectives_;
  std::map<v1::Network, int64_t> published_by_network_;
  std::map<std::pair<v1::Network, v1::PostState>, int64_t> failed_by_network_state_;
  struct NeedsHumanFact {
    v1::Network network = v1::NETWORK_UNSPECIFIED;
    absl::Time since;  // the NEEDS_HUMAN post's update_time
  };
  // Counts `post` as needing a human from `since`, unless it was published or
  // changed by a person later. Called with mu_; true when the figure rose.
  bool RaiseNeedsHuman(const v1::Post& post, absl::Time since);
  absl::flat_hash_map<std::string, NeedsHumanFact> needs_human_;  // by post name
  std::map<v1::Network, int64_t> needs_human_by_network_;
  // The latest update_time of each post's scheduled/cancelled events.
  absl::flat_hash_map<std::string, absl::Time> post_changed_at_;
  std::map<v1::Sentiment, int64_t> mentions_by_sentiment_;
  EngagementFigures engagement_;
  int64_t open_items_ = 0;
  int64_t closed_items_ = 0;
  int64_t events_applied_ = 0;
};

// True for the post a responder's reply is sent as (`reply` set, or named
// "posts/reply-{reply}" as the publisher names it): not one of the program's
// posts, so never in the figures, objectives, roll-ups, best times or reports.
bool IsReplyPost(const v1::Post& post);
bool IsReplyPostName(std::string_view name);

// "spokes/{spoke}" of an account name "spokes/{spoke}/accounts/{account}"; empty
// when the name has another shape.
std::string SpokeOfAccount(std::string_view account);

}  // namespace carecast::metrics
