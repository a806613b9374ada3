// What the networks report back: each post's latest engagement reading and each
// account's follower counts, from carecast.engagement.observed and
// carecast.engagement.followers_observed. A pure function of the readings in any
// order: a post's figures are those of its reading with the latest observe_time,
// so a repeated or older reading never adds. Not thread-safe: ProgramFigures
// calls it under its own lock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"

#include "carecast/v1/events.pb.h"
#include "carecast/v1/resources.pb.h"

namespace carecast::metrics {

// One post's figures; -1 means the network does not report it.
struct EngagementReading {
  absl::Time observe_time = absl::InfinitePast();
  bool deleted = false;
  int64_t impressions = -1;
  int64_t likes = -1;
  int64_t shares = -1;
  int64_t replies = -1;
  int64_t clicks = -1;
};

// What a reading adds to the KPIs, each figure only where reported.
struct EngagementContribution {
  int64_t impressions = 0;  // reported impressions
  // likes + shares + replies + clicks (each where reported), only when the post
  // reports impressions: the numerator of the engagement rate.
  int64_t rated_interactions = 0;
  int64_t interactions = 0;  // likes + shares + replies + clicks, each where reported
  int64_t clicks = 0;
  EngagementContribution& operator+=(const EngagementContribution& o);
  EngagementContribution& operator-=(const EngagementContribution& o);
};
EngagementContribution ContributionOf(const EngagementReading& r);

// Who a post or account is: what objectives and series are scoped by.
struct PostIdentity {
  v1::Network network = v1::NETWORK_UNSPECIFIED;
  std::string spoke;                         // "spokes/{spoke}" from the account name; may be empty
  std::string campaign;                      // may be empty
  std::optional<absl::Time> published_time;  // unset: the post counts for no window
};

// A change to one post's effective reading.
struct EngagementChange {
  PostIdentity post;
  EngagementContribution before;  // all zero when the post had no reading
  EngagementContribution after;
};

// Objective scope for follower growth: empty spoke / unspecified network = all.
struct FollowerScope {
  v1::Network network = v1::NETWORK_UNSPECIFIED;
  std::string spoke;
  absl::Time start = absl::InfinitePast();
  absl::Time end = absl::InfiniteFuture();
};

class EngagementFigures {
 public:
  // nullopt when the reading changes nothing (repeated, older, or a deleted
  // reading of a post that already has a live one). The post's identity is
  // taken from its first reading.
  std::optional<EngagementChange> Apply(const v1::EngagementObserved& event);
  // True when the count is new for (account, observe_time). A second count at
  // the same instant keeps the first.
  bool Apply(const v1::FollowersObserved& event);

  // Followers gained in [start, end): per account in scope, the last count read
  // in the window minus the last read before it (the first in the window when
  // none was); accounts with no reading in the window add nothing. The first
  // call for a scope walks every account; later ones read a sum that each new
  // count keeps current, so asking on every count stays cheap.
  int64_t FollowerGrowth(const FollowerScope& scope) const;
  // The latest count of every account, summed per (network, spoke).
  int64_t LatestFollowers(v1::Network network, const std::string& spoke) const;
  // Current totals per (network, spoke) over the posts' effective readings.
  EngagementContribution Totals(v1::Network network, const std::string& spoke) const;
  // The sum over the accounts in scope (network, spoke) of each one's last count
  // read before scope.end; the window's start is not read.
  int64_t FollowersAt(const FollowerScope& scope) const;
  // The post's effective reading; nullopt before its first reading.
  std::optional<EngagementReading> PostReading(std::string_view post) const;

  // Every post's identity and current contribution (for objectives created late).
  template <typename F>
  void ForEachPost(F&& f) const {
    for (const auto& [name, post] : posts_) f(post.identity, ContributionOf(post.Effective()));
  }

 private:
  struct PostState {
    PostIdentity identity;
    std::optional<EngagementReading> live;     // the latest reading not marked deleted
    std::optional<EngagementReading> deleted;  // the deletion reading, if any
    // The live reading; the deletion's figures only when no live one was read.
    EngagementReading Effective() const;
  };
  struct AccountState {
    v1::Network network = v1::NETWORK_UNSPECIFIED;
    std::string spoke;
    std::map<absl::Time, int64_t> counts;  // by observe_time
  };
  // One account's share of FollowerGrowth(scope), 0 when out of scope.
  static int64_t GrowthOf(const AccountState& account, const FollowerScope& scope);
  struct CachedGrowth {
    FollowerScope scope;
    int64_t growth = 0;
  };
  absl::node_hash_map<std::string, PostState> posts_;  // by post name; order unused
  std::map<std::string, AccountState, std::less<>> accounts_;
  std::map<std::pair<v1::Network, std::string>, EngagementContribution> totals_;
  // FollowerGrowth of every scope asked so far (objectives: tens at most).
  mutable std::vector<CachedGrowth> growth_;
};

}  // namespace carecast::metrics
