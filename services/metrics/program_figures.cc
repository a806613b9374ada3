#include "services/metrics/program_figures.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "services/common/base/account_name.h"
#include "services/common/base/strings.h"
#include "services/metrics/figure_labels.h"

namespace carecast::metrics {
namespace {

absl::Status MissingName(std::string_view what, std::string_view event_id) {
  return absl::InvalidArgumentError(
      absl::StrCat(common::AsAbsl(what), " in event ", common::AsAbsl(event_id), " has no name"));
}

// The publisher names the post a responder's reply is sent as
// "posts/reply-{reply}" (services/publisher/reply_posts.h); planner post ids
// are hex, so never collide with it.
constexpr std::string_view kReplyPostNamePrefix = "posts/reply-";

std::string NormaliseSpoke(const std::string& spoke) {
  if (spoke.empty() || absl::StartsWith(spoke, "spokes/")) return spoke;
  return absl::StrCat("spokes/", spoke);
}

}  // namespace

bool IsReplyPost(const v1::Post& post) {
  return !post.reply().empty() || IsReplyPostName(post.name());
}

bool IsReplyPostName(std::string_view name) {
  return absl::StartsWith(common::AsAbsl(name), common::AsAbsl(kReplyPostNamePrefix));
}

std::string SpokeOfAccount(std::string_view account) {
  std::optional<common::AccountIds> ids = common::ParseAccountIds(account);
  return ids ? absl::StrCat("spokes/", ids->spoke) : std::string();
}

bool ProgramFigures::SeenBefore(std::string_view event_id) {
  // An empty id cannot be deduplicated; the entity keys still keep it idempotent.
  if (event_id.empty()) return false;
  return !seen_event_ids_.Insert(event_id);
}

void ProgramFigures::NotifyObjective(const ObjectiveState& o) {
  if (observer_ != nullptr) observer_->ObjectiveChanged(FigureOf(o));
}

void ProgramFigures::NoteInboxTimes(InboxFact& fact, const v1::InboxItem& item,
                                    std::optional<absl::Time> answered_at) {
  if (!fact.create_time && IsSet(item.create_time())) fact.create_time = ToTime(item.create_time());
  if (fact.spoke.empty()) fact.spoke = NormaliseSpoke(item.spoke());
  if (!fact.sla_breach_time && IsSet(item.sla_breach_time()))
    fact.sla_breach_time = ToTime(item.sla_breach_time());
  if (IsSet(item.first_response_time())) answered_at = ToTime(item.first_response_time());
  // Set once by the listener; a later event cannot move it, so keep the first.
  if (answered_at && !fact.first_response) fact.first_response = answered_at;
  if (fact.response_counted || !fact.create_time || !fact.first_response) return;
  fact.response_counted = true;
  const absl::Duration response =
      std::max(absl::ZeroDuration(), *fact.first_response - *fact.create_time);
  for (auto& [name, o] : objectives_) {
    if (!CountsResponse(o, fact)) continue;
    o.first_responses.insert(response);
    NotifyObjective(o);
  }
}

void ProgramFigures::CountPost(const PostFact& fact) {
  for (auto& [name, o] : objectives_) {
    if (o.objective.kpi() != v1::KPI_POSTS_PUBLISHED) continue;
    if (!InWindow(o, fact.time) || !InScope(o, fact.network)) continue;
    if (!o.spoke.empty() && o.spoke != fact.spoke) continue;
    if (!o.objective.campaign().empty() && o.objective.campaign() != fact.campaign) continue;
    ++o.count;
    NotifyObjective(o);
  }
}

void ProgramFigures::CountMention(const MentionFact& fact) {
  if (fact.sentiment == v1::SENTIMENT_UNSPECIFIED) return;  // not classified
  for (auto& [name, o] : objectives_) {
    if (o.objective.kpi() != v1::KPI_POSITIVE_MENTION_RATIO &&
        o.objective.kpi() != v1::KPI_NEGATIVE_MENTION_RATIO)
      continue;
    if (!CountsMention(o, fact)) continue;
    ++o.classified;
    if (fact.sentiment == v1::SENTIMENT_POSITIVE) ++o.positive;
    if (fact.sentiment == v1::SENTIMENT_NEGATIVE) ++o.negative;
    NotifyObjective(o);
  }
}

void ProgramFigures::CountClosed(const InboxFact& fact) {
  for (auto& [name, o] : objectives_) {
    if (o.objective.kpi() != v1::KPI_INBOX_ITEMS_CLOSED) continue;
    if (!CountsClosed(o, fact)) continue;
    ++o.count;
    NotifyObjective(o);
  }
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplyPostPublished(std::string_view event_id,
                                                               absl::Time event_time,
                                                               const v1::PostPublished& event) {
  const v1::Post& post = event.post();
  if (post.name().empty()) return MissingName("post", event_id);
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  if (IsReplyPost(post)) return ApplyResult::kApplied;  // not one of the program's posts
  const PostFact fact =
      PostFactOf(post, IsSet(post.published_time()) ? ToTime(post.published_time()) : event_time);
  if (!published_.emplace(post.name(), fact).second) return ApplyResult::kDuplicate;
  ++published_by_network_[fact.network];
  if (observer_ != nullptr) observer_->PostPublished(fact.network);
  if (auto it = needs_human_.find(post.name()); it != needs_human_.end()) {
    // Counted under the network its NEEDS_HUMAN event named, so the figure
    // returns exactly to where it was.
    const v1::Network network = it->second.network;
    needs_human_.erase(it);
    const int64_t left = --needs_human_by_network_[network];
    if (observer_ != nullptr) observer_->NeedsHumanChanged(network, left);
  }
  CountPost(fact);
  return ApplyResult::kApplied;
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplyPostFailed(std::string_view event_id,
                                                            absl::Time event_time,
                                                            const v1::PostFailed& event) {
  const v1::Post& post = event.post();
  if (post.name().empty()) return MissingName("post", event_id);
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  if (IsReplyPost(post)) return ApplyResult::kApplied;  // not one of the program's posts
  const bool first_of_state = failed_.emplace(post.name(), post.state()).second;
  if (first_of_state && post.state() == v1::POST_STATE_FAILED) {
    failed_for_good_.try_emplace(
        post.name(),
        PostFactOf(post, IsSet(post.update_time()) ? ToTime(post.update_time()) : event_time));
  }
  if (first_of_state) {
    ++failed_by_network_state_[{post.network(), post.state()}];
    if (observer_ != nullptr) observer_->PostFailed(post.network(), post.state());
  }
  // A post that went NEEDS_HUMAN again after a person rescheduled it needs a
  // human again, though its failure was counted the first time.
  const bool raised =
      post.state() == v1::POST_STATE_NEEDS_HUMAN &&
      RaiseNeedsHuman(post, IsSet(post.update_time()) ? ToTime(post.update_time()) : event_time);
  return first_of_state || raised ? ApplyResult::kApplied : ApplyResult::kDuplicate;
}

bool ProgramFigures::RaiseNeedsHuman(const v1::Post& post, absl::Time since) {
  // A post published before (a replay in another order) no longer needs anyone.
  if (published_.contains(post.name())) return false;
  // Neither does one a person resolved after this outcome.
  if (auto changed = post_changed_at_.find(post.name());
      changed != post_changed_at_.end() && changed->second > since) {
    return false;
  }
  auto [it, inserted] =
      needs_human_.try_emplace(post.name(), NeedsHumanFact{post.network(), since});
  if (!inserted) {
    it->second.since = std::max(it->second.since, since);
    return false;
  }
  const int64_t now_needing = ++needs_human_by_network_[post.network()];
  if (observer_ != nullptr) observer_->NeedsHumanChanged(post.network(), now_needing);
  return true;
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplyPostChanged(std::string_view event_id,
                                                             absl::Time event_time,
                                                             const v1::PostChanged& event) {
  const v1::Post& post = event.post();
  if (post.name().empty()) return MissingName("post", event_id);
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  if (IsReplyPost(post)) return ApplyResult::kApplied;  // never counted as needing a human
  const absl::Time at = IsSet(post.update_time()) ? ToTime(post.update_time()) : event_time;
  auto [changed, inserted] = post_changed_at_.try_emplace(post.name(), at);
  if (!inserted) changed->second = std::max(changed->second, at);
  auto it = needs_human_.find(post.name());
  // Only a change after the outcome answers it: the schedule that came before
  // the NEEDS_HUMAN outcome (replayed late) does not.
  if (it == needs_human_.end() || it->second.since >= at) return ApplyResult::kApplied;
  const v1::Network network = it->second.network;
  needs_human_.erase(it);
  const int64_t left = --needs_human_by_network_[network];
  if (observer_ != nullptr) observer_->NeedsHumanChanged(network, left);
  return ApplyResult::kApplied;
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplyMentionClassified(
    std::string_view event_id, absl::Time event_time, const v1::MentionClassified& event) {
  const v1::Mention& mention = event.mention();
  if (mention.name().empty()) return MissingName("mention", event_id);
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  MentionFact fact;
  fact.network = mention.network();
  fact.sentiment = mention.classification().sentiment();
  fact.time = IsSet(mention.receive_time()) ? ToTime(mention.receive_time()) : event_time;
  fact.spoke = SpokeOfAccount(mention.account());
  for (const v1::TopicMatch& topic : event.analysis().topics())
    fact.topics.push_back(topic.topic());
  if (!mentions_.emplace(mention.name(), fact).second) return ApplyResult::kDuplicate;
  ++mentions_by_sentiment_[fact.sentiment];
  if (observer_ != nullptr) observer_->MentionClassified(fact.sentiment);
  CountMention(fact);
  return ApplyResult::kApplied;
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplyInboxCreated(std::string_view event_id,
                                                              absl::Time event_time,
                                                              const v1::InboxItemChanged& event) {
  const v1::InboxItem& item = event.inbox_item();
  if (item.name().empty()) return MissingName("inbox item", event_id);
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  InboxFact& fact = inbox_[item.name()];
  if (fact.created) return ApplyResult::kDuplicate;
  fact.created = true;
  fact.network = item.network();
  if (!fact.create_time)
    fact.create_time = IsSet(item.create_time()) ? ToTime(item.create_time()) : event_time;
  NoteInboxTimes(fact, item);
  // A close seen first (out of order) means the item never counts as open.
  if (!fact.closed) {
    ++open_items_;
    if (observer_ != nullptr) observer_->InboxOpenChanged(open_items_);
  }
  return ApplyResult::kApplied;
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplyInboxClosed(std::string_view event_id,
                                                             absl::Time event_time,
                                                             const v1::InboxItemChanged& event) {
  const v1::InboxItem& item = event.inbox_item();
  if (item.name().empty()) return MissingName("inbox item", event_id);
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  InboxFact& fact = inbox_[item.name()];
  if (fact.closed) return ApplyResult::kDuplicate;
  fact.closed = true;
  if (!fact.created) fact.network = item.network();
  // The closed event carries the whole item, so the response time does not depend
  // on having seen the created event.
  if (IsSet(item.create_time())) fact.create_time = ToTime(item.create_time());
  fact.close_time = IsSet(item.close_time()) ? ToTime(item.close_time()) : event_time;
  if (fact.spoke.empty()) fact.spoke = NormaliseSpoke(item.spoke());  // before counting
  ++closed_items_;
  std::optional<absl::Duration> response;
  if (fact.create_time && fact.close_time >= *fact.create_time)
    response = fact.close_time - *fact.create_time;
  if (observer_ != nullptr) observer_->InboxClosed(response);
  if (fact.created) {
    --open_items_;
    if (observer_ != nullptr) observer_->InboxOpenChanged(open_items_);
  }
  CountClosed(fact);
  // Closing answers the item, when no earlier response time was recorded.
  NoteInboxTimes(fact, item, fact.close_time);
  return ApplyResult::kApplied;
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplyInboxChanged(std::string_view event_id,
                                                              absl::Time /*event_time*/,
                                                              const v1::InboxItemChanged& event) {
  const v1::InboxItem& item = event.inbox_item();
  if (item.name().empty()) return MissingName("inbox item", event_id);
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  InboxFact& fact = inbox_[item.name()];
  if (!fact.created && !fact.closed) fact.network = item.network();
  const bool was_counted = fact.response_counted;
  NoteInboxTimes(fact, item);
  return fact.response_counted && !was_counted ? ApplyResult::kApplied : ApplyResult::kDuplicate;
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplyEngagementObserved(
    std::string_view event_id, absl::Time /*event_time*/, const v1::EngagementObserved& event) {
  if (event.post().empty()) return MissingName("engagement reading", event_id);
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  // A reply's reach is not the program's (a publisher that predates the
  // collector's skip may still read one).
  if (IsReplyPostName(event.post())) return ApplyResult::kApplied;
  std::optional<EngagementChange> change = engagement_.Apply(event);
  if (!change) return ApplyResult::kDuplicate;
  const PostIdentity& post = change->post;
  if (observer_ != nullptr)
    observer_->EngagementChanged(post.network, post.spoke,
                                 engagement_.Totals(post.network, post.spoke));
  for (auto& [name, o] : objectives_) {
    const v1::Kpi kpi = o.objective.kpi();
    if (kpi != v1::KPI_REACH && kpi != v1::KPI_ENGAGEMENT_RATE && kpi != v1::KPI_LINK_CLICKS)
      continue;
    if (!CountsPost(o, post)) continue;
    o.engagement -= change->before;
    o.engagement += change->after;
    NotifyObjective(o);
  }
  return ApplyResult::kApplied;
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplyFollowersObserved(
    std::string_view event_id, absl::Time /*event_time*/, const v1::FollowersObserved& event) {
  if (event.account().empty()) return MissingName("follower count", event_id);
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  if (!engagement_.Apply(event)) return ApplyResult::kDuplicate;
  const std::string spoke = SpokeOfAccount(event.account());
  if (observer_ != nullptr)
    observer_->FollowersChanged(event.network(), spoke,
                                engagement_.LatestFollowers(event.network(), spoke));
  for (auto& [name, o] : objectives_)
    if (o.objective.kpi() == v1::KPI_FOLLOWER_GROWTH) NotifyObjective(o);
  return ApplyResult::kApplied;
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplyObjectiveCreated(
    std::string_view event_id, absl::Time event_time, const v1::ObjectiveCreated& event) {
  const v1::Objective& objective = event.objective();
  if (!absl::StartsWith(objective.name(), common::AsAbsl(kObjectivePrefix)) ||
      objective.name().size() == kObjectivePrefix.size()) {
    return absl::InvalidArgumentError(absl::StrCat("objective in event ", common::AsAbsl(event_id),
                                                   " has no name of the form objectives/{id}"));
  }
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  auto [it, inserted] = objectives_.try_emplace(objective.name());
  if (!inserted) return ApplyResult::kDuplicate;
  ObjectiveState& o = it->second;
  o.objective = objective;
  o.spoke = NormaliseSpoke(objective.spoke());
  // An unset bound leaves that side of the window open.
  o.start = IsSet(objective.start_time()) ? ToTime(objective.start_time()) : absl::InfinitePast();
  o.end = IsSet(objective.end_time()) ? ToTime(objective.end_time()) : absl::InfiniteFuture();
  // Facts may precede the objective in the stream (or arrive out of order), so the
  // objective starts from everything already counted.
  Backfill(o);
  NotifyObjective(o);
  return ApplyResult::kApplied;
}

void ProgramFigures::ReserveEvents(int64_t events) {
  if (events <= 0) return;
  std::lock_guard lock(mu_);
  seen_event_ids_.Reserve(seen_event_ids_.size() + static_cast<size_t>(events));
}

std::vector<ObjectiveFigure> ProgramFigures::ObjectivesAsOf(absl::Time as_of) const {
  std::lock_guard lock(mu_);
  std::vector<ObjectiveFigure> out;
  out.reserve(objectives_.size());
  for (const auto& [name, o] : objectives_) {
    ObjectiveState then;
    then.objective = o.objective;
    then.spoke = o.spoke;
    then.start = o.start;
    then.end = std::min(o.end, as_of);
    if (then.end > then.start) Backfill(then);
    ObjectiveFigure figure = FigureOf(then);
    figure.end = o.end;  // the objective's own window, counted up to as_of
    out.push_back(std::move(figure));
  }
  return out;
}

SummaryFigures ProgramFigures::Summary() const {
  std::lock_guard lock(mu_);
  SummaryFigures s;
  s.posts_published = published_by_network_;
  s.posts_failed = failed_by_network_state_;
  for (const auto& [network, count] : needs_human_by_network_)
    if (count > 0) s.posts_needing_human[network] = count;
  s.mentions = mentions_by_sentiment_;
  s.open_inbox_items = open_items_;
  s.closed_inbox_items = closed_items_;
  s.events_applied = events_applied_;
  for (const auto& [name, o] : objectives_) s.objectives.push_back(FigureOf(o));
  return s;
}

std::optional<ObjectiveFigure> ProgramFigures::Objective(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = objectives_.find(name);
  if (it == objectives_.end()) return std::nullopt;
  return FigureOf(it->second);
}

int64_t ProgramFigures::events_applied() const {
  std::lock_guard lock(mu_);
  return events_applied_;
}

}  // namespace carecast::metrics
