#include "services/metrics/engagement_figures.h"

#include <iterator>

#include "services/common/base/strings.h"
#include "services/metrics/figure_labels.h"
#include "services/metrics/program_figures.h"

namespace carecast::metrics {
namespace {

int64_t Reported(int64_t figure) { return figure < 0 ? 0 : figure; }

EngagementReading ReadingOf(const v1::EngagementObserved& e) {
  EngagementReading r;
  r.observe_time = IsSet(e.observe_time()) ? ToTime(e.observe_time()) : absl::InfinitePast();
  r.deleted = e.deleted();
  r.impressions = e.impressions();
  r.likes = e.likes();
  r.shares = e.shares();
  r.replies = e.replies();
  r.clicks = e.clicks();
  return r;
}

bool Equal(const EngagementContribution& a, const EngagementContribution& b) {
  return a.impressions == b.impressions && a.rated_interactions == b.rated_interactions &&
         a.interactions == b.interactions && a.clicks == b.clicks;
}

}  // namespace

EngagementContribution& EngagementContribution::operator+=(const EngagementContribution& o) {
  impressions += o.impressions;
  rated_interactions += o.rated_interactions;
  interactions += o.interactions;
  clicks += o.clicks;
  return *this;
}

EngagementContribution& EngagementContribution::operator-=(const EngagementContribution& o) {
  impressions -= o.impressions;
  rated_interactions -= o.rated_interactions;
  interactions -= o.interactions;
  clicks -= o.clicks;
  return *this;
}

EngagementContribution ContributionOf(const EngagementReading& r) {
  EngagementContribution c;
  c.impressions = Reported(r.impressions);
  c.interactions =
      Reported(r.likes) + Reported(r.shares) + Reported(r.replies) + Reported(r.clicks);
  c.rated_interactions = r.impressions >= 0 ? c.interactions : 0;
  c.clicks = Reported(r.clicks);
  return c;
}

EngagementReading EngagementFigures::PostState::Effective() const {
  if (live) return *live;
  if (deleted) return *deleted;
  return EngagementReading{};
}

std::optional<EngagementChange> EngagementFigures::Apply(const v1::EngagementObserved& event) {
  auto [it, inserted] = posts_.try_emplace(event.post());
  PostState& post = it->second;
  if (inserted) {
    post.identity.network = event.network();
    post.identity.spoke = SpokeOfAccount(event.account());
    post.identity.campaign = event.campaign();
    if (IsSet(event.published_time()))
      post.identity.published_time = ToTime(event.published_time());
  }
  const EngagementContribution before = ContributionOf(post.Effective());
  const EngagementReading reading = ReadingOf(event);
  std::optional<EngagementReading>& slot = reading.deleted ? post.deleted : post.live;
  // The latest observe_time wins; a tie keeps the reading seen first.
  if (slot && slot->observe_time >= reading.observe_time) return std::nullopt;
  slot = reading;
  EngagementChange change{post.identity, before, ContributionOf(post.Effective())};
  if (!inserted && Equal(change.before, change.after)) return std::nullopt;
  EngagementContribution& total = totals_[{post.identity.network, post.identity.spoke}];
  total -= change.before;
  total += change.after;
  return change;
}

bool EngagementFigures::Apply(const v1::FollowersObserved& event) {
  auto [it, inserted] = accounts_.try_emplace(event.account());
  AccountState& account = it->second;
  if (inserted) {
    account.network = event.network();
    account.spoke = SpokeOfAccount(event.account());
  }
  const absl::Time at =
      IsSet(event.observe_time()) ? ToTime(event.observe_time()) : absl::InfinitePast();
  if (account.counts.contains(at)) return false;
  for (CachedGrowth& cached : growth_) cached.growth -= GrowthOf(account, cached.scope);
  account.counts.emplace(at, event.followers());
  for (CachedGrowth& cached : growth_) cached.growth += GrowthOf(account, cached.scope);
  return true;
}

int64_t EngagementFigures::GrowthOf(const AccountState& account, const FollowerScope& scope) {
  if (scope.network != v1::NETWORK_UNSPECIFIED && scope.network != account.network) return 0;
  if (!scope.spoke.empty() && scope.spoke != account.spoke) return 0;
  auto first_in = account.counts.lower_bound(scope.start);
  auto past_end = account.counts.lower_bound(scope.end);
  if (first_in == past_end) return 0;  // no reading in the window
  const int64_t last_in = std::prev(past_end)->second;
  const int64_t base =
      first_in == account.counts.begin() ? first_in->second : std::prev(first_in)->second;
  return last_in - base;
}

int64_t EngagementFigures::FollowerGrowth(const FollowerScope& scope) const {
  for (const CachedGrowth& cached : growth_) {
    const FollowerScope& s = cached.scope;
    if (s.network == scope.network && s.spoke == scope.spoke && s.start == scope.start &&
        s.end == scope.end)
      return cached.growth;
  }
  int64_t growth = 0;
  for (const auto& [name, account] : accounts_) growth += GrowthOf(account, scope);
  growth_.push_back({scope, growth});
  return growth;
}

int64_t EngagementFigures::LatestFollowers(v1::Network network, const std::string& spoke) const {
  int64_t followers = 0;
  for (const auto& [name, account] : accounts_)
    if (account.network == network && account.spoke == spoke && !account.counts.empty())
      followers += account.counts.rbegin()->second;
  return followers;
}

EngagementContribution EngagementFigures::Totals(v1::Network network,
                                                 const std::string& spoke) const {
  auto it = totals_.find({network, spoke});
  return it == totals_.end() ? EngagementContribution{} : it->second;
}

int64_t EngagementFigures::FollowersAt(const FollowerScope& scope) const {
  int64_t followers = 0;
  for (const auto& [name, account] : accounts_) {
    if (scope.network != v1::NETWORK_UNSPECIFIED && scope.network != account.network) continue;
    if (!scope.spoke.empty() && scope.spoke != account.spoke) continue;
    auto past_end = account.counts.lower_bound(scope.end);
    if (past_end != account.counts.begin()) followers += std::prev(past_end)->second;
  }
  return followers;
}

std::optional<EngagementReading> EngagementFigures::PostReading(std::string_view post) const {
  auto it = posts_.find(common::AsAbsl(post));
  if (it == posts_.end()) return std::nullopt;
  return it->second.Effective();
}

}  // namespace carecast::metrics
