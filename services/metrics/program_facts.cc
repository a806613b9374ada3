// The facts ProgramFigures keeps one by one (figure_facts.h): what a post, an
// account and its cadence are, and the copy-out that roll-ups, best times and
// the weekly report read. Members of ProgramFigures.
#include <algorithm>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "services/metrics/figure_labels.h"
#include "services/metrics/program_figures.h"

namespace carecast::metrics {
namespace {

constexpr size_t kExcerptCharacters = 140;

// The first `characters` UTF-8 characters of `text` (a cut never splits one).
std::string Excerpt(const std::string& text, size_t characters) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xC0) == 0x80) continue;  // a continuation byte
    if (count == characters) return text.substr(0, i);
    ++count;
  }
  return text;
}

bool Narrows(const std::string& want, const std::string& have) {
  return !want.empty() && want != have;
}

bool NarrowsNetwork(v1::Network want, v1::Network have) {
  return want != v1::NETWORK_UNSPECIFIED && want != have;
}

bool InQueryWindow(const FactsQuery& q, absl::Time t) { return t >= q.start && t < q.end; }

bool InQueryWindow(const FactsQuery& q, const std::optional<absl::Time>& t) {
  return t.has_value() && InQueryWindow(q, *t);
}

}  // namespace

ProgramFigures::PostFact ProgramFigures::PostFactOf(const v1::Post& post, absl::Time time) {
  PostFact fact;
  fact.network = post.network();
  fact.spoke = SpokeOfAccount(post.account());
  fact.campaign = post.campaign();
  fact.time = time;
  fact.account = post.account();
  fact.pillar = post.pillar();
  fact.evergreen_item = post.evergreen_item();
  fact.url = post.url();
  fact.text_excerpt = Excerpt(post.text(), kExcerptCharacters);
  return fact;
}

PostRecord ProgramFigures::RecordOf(const std::string& name, const PostFact& fact) const {
  PostRecord r;
  r.name = name;
  r.account = fact.account;
  r.spoke = fact.spoke;
  r.network = fact.network;
  r.campaign = fact.campaign;
  r.pillar = fact.pillar;
  r.evergreen_item = fact.evergreen_item;
  r.url = fact.url;
  r.text_excerpt = fact.text_excerpt;
  r.time = fact.time;
  if (std::optional<EngagementReading> reading = engagement_.PostReading(name)) {
    r.engagement = ContributionOf(*reading);
    r.reports_impressions = reading->impressions >= 0;
  }
  return r;
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplyAccountCreated(std::string_view event_id,
                                                                absl::Time /*event_time*/,
                                                                const v1::AccountCreated& event) {
  const v1::Account& account = event.account();
  if (account.name().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("account in event ", common::AsAbsl(event_id), " has no name"));
  }
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  AccountRecord& record = accounts_[account.name()];
  record.name = account.name();
  if (!record.time_zone.empty()) return ApplyResult::kDuplicate;
  record.time_zone = account.time_zone();
  return ApplyResult::kApplied;
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplyCadenceChanged(std::string_view event_id,
                                                                absl::Time /*event_time*/,
                                                                const v1::CadenceChanged& event) {
  const v1::Cadence& cadence = event.cadence();
  constexpr std::string_view kSuffix = "/cadence";
  const std::string& name = cadence.name();
  if (name.size() <= kSuffix.size() || !absl::EndsWith(name, common::AsAbsl(kSuffix))) {
    return absl::InvalidArgumentError(absl::StrCat("cadence in event ", common::AsAbsl(event_id),
                                                   " has no name ending in /cadence"));
  }
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  const std::string account = name.substr(0, name.size() - kSuffix.size());
  AccountRecord& record = accounts_[account];
  record.name = account;
  if (record.cadence && record.cadence->version() >= cadence.version())
    return ApplyResult::kDuplicate;
  record.cadence = cadence;
  if (!cadence.time_zone().empty()) record.time_zone = cadence.time_zone();
  return ApplyResult::kApplied;
}

absl::StatusOr<ApplyResult> ProgramFigures::ApplySpokeCreated(std::string_view event_id,
                                                              absl::Time /*event_time*/,
                                                              const v1::SpokeCreated& event) {
  if (event.spoke().name().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spoke in event ", common::AsAbsl(event_id), " has no name"));
  }
  std::lock_guard lock(mu_);
  if (SeenBefore(event_id)) return ApplyResult::kDuplicate;
  ++events_applied_;
  return spokes_.insert(event.spoke().name()).second ? ApplyResult::kApplied
                                                     : ApplyResult::kDuplicate;
}

std::vector<std::string> ProgramFigures::Spokes() const {
  std::lock_guard lock(mu_);
  return {spokes_.begin(), spokes_.end()};
}

std::vector<AccountRecord> ProgramFigures::Accounts(std::string_view spoke) const {
  std::lock_guard lock(mu_);
  std::vector<AccountRecord> out;
  for (const auto& [name, record] : accounts_)
    if (spoke.empty() || SpokeOfAccount(name) == spoke) out.push_back(record);
  return out;
}

std::optional<AccountRecord> ProgramFigures::Account(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = accounts_.find(name);
  if (it == accounts_.end()) return std::nullopt;
  return it->second;
}

FactsSnapshot ProgramFigures::Facts(const FactsQuery& q) const {
  std::lock_guard lock(mu_);
  FactsSnapshot out;
  const auto post_in_scope = [&q](const PostFact& f) {
    return InQueryWindow(q, f.time) && !Narrows(q.spoke, f.spoke) &&
           !NarrowsNetwork(q.network, f.network) && !Narrows(q.campaign, f.campaign) &&
           !Narrows(q.account, f.account);
  };
  for (const auto& [name, fact] : published_)
    if (post_in_scope(fact)) out.published.push_back(RecordOf(name, fact));
  for (const auto& [name, fact] : failed_for_good_)
    if (post_in_scope(fact) && !published_.contains(name))
      out.failed.push_back(RecordOf(name, fact));
  // The maps are unordered: list by time (then name), mentions and items by
  // name, so the same facts always come out in the same order.
  const auto by_time = [](const PostRecord& a, const PostRecord& b) {
    return std::tie(a.time, a.name) < std::tie(b.time, b.name);
  };
  std::sort(out.published.begin(), out.published.end(), by_time);
  std::sort(out.failed.begin(), out.failed.end(), by_time);
  std::vector<std::pair<std::string_view, const MentionFact*>> mentions;
  for (const auto& [name, fact] : mentions_) {
    if (!InQueryWindow(q, fact.time) || Narrows(q.spoke, fact.spoke) ||
        NarrowsNetwork(q.network, fact.network))
      continue;
    mentions.emplace_back(name, &fact);
  }
  std::sort(mentions.begin(), mentions.end());
  out.mentions.reserve(mentions.size());
  for (const auto& [name, fact] : mentions) {
    out.mentions.push_back({.time = fact->time,
                            .spoke = fact->spoke,
                            .network = fact->network,
                            .sentiment = fact->sentiment,
                            .topics = fact->topics});
  }
  std::vector<std::pair<std::string_view, const InboxFact*>> items;
  for (const auto& [name, fact] : inbox_) {
    if (Narrows(q.spoke, fact.spoke)) continue;
    std::optional<absl::Time> closed;
    if (fact.closed) closed = fact.close_time;
    const bool created_before_end = fact.create_time && *fact.create_time < q.end;
    const bool open_at_end = created_before_end && (!closed || *closed >= q.end);
    if (!InQueryWindow(q, fact.create_time) && !InQueryWindow(q, closed) && !open_at_end) continue;
    items.emplace_back(name, &fact);
  }
  std::sort(items.begin(), items.end());
  out.inbox.reserve(items.size());
  for (const auto& [name, fact] : items) {
    std::optional<absl::Time> closed;
    if (fact->closed) closed = fact->close_time;
    out.inbox.push_back({.spoke = fact->spoke,
                         .create_time = fact->create_time,
                         .close_time = closed,
                         .first_response = fact->first_response,
                         .sla_breach_time = fact->sla_breach_time});
  }
  const FollowerScope followers{
      .network = q.network, .spoke = q.spoke, .start = q.start, .end = q.end};
  out.followers_at_end = engagement_.FollowersAt(followers);
  out.follower_change = engagement_.FollowerGrowth(followers);
  return out;
}

}  // namespace carecast::metrics
