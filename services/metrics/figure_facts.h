// The facts the figures keep about each post, mention, inbox item and account,
// copied out for the questions that look at them one by one rather than as
// running totals: roll-ups (rollups.h), best times to post (best_times.h) and
// the weekly report (weekly_report_builder.h). Plain values, no locking.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

#include "services/metrics/engagement_figures.h"

namespace carecast::metrics {

// A post that was published (or failed for good), with its latest engagement.
struct PostRecord {
  std::string name;     // "posts/{post}"
  std::string account;  // "spokes/{spoke}/accounts/{account}"
  std::string spoke;    // "spokes/{spoke}"; may be empty
  v1::Network network = v1::NETWORK_UNSPECIFIED;
  std::string campaign;        // may be empty
  std::string pillar;          // the content's pillar id; may be empty
  std::string evergreen_item;  // "evergreenItems/{content}" for a recurrence
  std::string url;
  std::string text_excerpt;  // at most 140 characters of the published text
  absl::Time time;           // published_time (failed: the failure's update_time)
  // The latest reading's contribution; unset before the first reading.
  std::optional<EngagementContribution> engagement;
  bool reports_impressions = false;  // the latest reading had impressions
};

struct MentionRecord {
  absl::Time time;    // receive_time
  std::string spoke;  // of the account the mention addresses; may be empty
  v1::Network network = v1::NETWORK_UNSPECIFIED;
  v1::Sentiment sentiment = v1::SENTIMENT_UNSPECIFIED;
  std::vector<std::string> topics;
};

struct InboxRecord {
  std::string spoke;  // the spoke the item is routed to; may be empty
  std::optional<absl::Time> create_time;
  std::optional<absl::Time> close_time;
  std::optional<absl::Time> first_response;
  std::optional<absl::Time> sla_breach_time;
};

// The scope of a question. Empty / unspecified members do not narrow it.
struct FactsQuery {
  absl::Time start = absl::InfinitePast();  // [start, end) of each fact's time
  absl::Time end = absl::InfiniteFuture();
  std::string spoke;  // "spokes/{spoke}"
  v1::Network network = v1::NETWORK_UNSPECIFIED;
  std::string campaign;  // "campaigns/{campaign}"
  std::string account;   // "spokes/{spoke}/accounts/{account}"
};

// What an account is known to be, from carecast.account.created and
// carecast.cadence.changed.
struct AccountRecord {
  std::string name;
  std::string time_zone;  // IANA; empty when never said
  std::optional<v1::Cadence> cadence;
};

struct FactsSnapshot {
  std::vector<PostRecord> published;  // by time within the query
  std::vector<PostRecord> failed;     // posts FAILED (not NEEDS_HUMAN), by time
  std::vector<MentionRecord> mentions;
  // Items created in the window, or closed in it, or open at its end.
  std::vector<InboxRecord> inbox;
  // The sum of each account's last follower count before query.end, and the
  // change over the window (FollowerGrowth's definition).
  int64_t followers_at_end = 0;
  int64_t follower_change = 0;
};

}  // namespace carecast::metrics
