// How an objective's KPI value is computed from the facts ProgramFigures has
// counted: which facts count for an objective (window and scope), the value and
// progress ratio of each KPI, and the first count of an objective created after
// its facts. Members of ProgramFigures, called with its lock held.
#include <algorithm>

#include "services/metrics/program_figures.h"

namespace carecast::metrics {
namespace {

// Lower-is-better: >= 1 is on track (see ObjectiveFigure).
double InverseRatio(double target, double current) {
  if (current <= 0) return 1.0;
  return target > 0 ? target / current : 0.0;
}

}  // namespace

bool ProgramFigures::InWindow(const ObjectiveState& o, absl::Time t) const {
  return t >= o.start && t < o.end;
}

bool ProgramFigures::InScope(const ObjectiveState& o, v1::Network network) const {
  return o.objective.network() == v1::NETWORK_UNSPECIFIED || o.objective.network() == network;
}

ObjectiveFigure ProgramFigures::FigureOf(const ObjectiveState& o) const {
  ObjectiveFigure f;
  f.name = o.objective.name();
  f.id = f.name.substr(kObjectivePrefix.size());
  f.kpi = o.objective.kpi();
  f.target = o.objective.target();
  f.display_name = o.objective.display_name();
  f.spoke = o.spoke;
  f.start = o.start;
  f.end = o.end;
  // A KPI added to the enum after this build reaches none of the cases below.
  f.measured = v1::Kpi_IsValid(f.kpi) && f.kpi != v1::KPI_UNSPECIFIED;
  bool lower_is_better = false;
  const auto share = [](int64_t part, int64_t whole) {
    return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
  };
  switch (o.objective.kpi()) {
    case v1::KPI_POSTS_PUBLISHED:
    case v1::KPI_INBOX_ITEMS_CLOSED:
      f.current = static_cast<double>(o.count);
      break;
    case v1::KPI_POSITIVE_MENTION_RATIO:
      f.current = share(o.positive, o.classified);
      break;
    case v1::KPI_NEGATIVE_MENTION_RATIO:
      f.current = share(o.negative, o.classified);
      lower_is_better = true;
      break;
    case v1::KPI_ENGAGEMENT_RATE:
      f.current = share(o.engagement.rated_interactions, o.engagement.impressions);
      break;
    case v1::KPI_REACH:
      f.current = static_cast<double>(o.engagement.impressions);
      break;
    case v1::KPI_LINK_CLICKS:
      f.current = static_cast<double>(o.engagement.clicks);
      break;
    case v1::KPI_FOLLOWER_GROWTH:
      f.current = static_cast<double>(engagement_.FollowerGrowth(
          {.network = o.objective.network(), .spoke = o.spoke, .start = o.start, .end = o.end}));
      break;
    case v1::KPI_INBOX_FIRST_RESPONSE_SECONDS:
      f.current = absl::ToDoubleSeconds(o.first_responses.Median());
      lower_is_better = true;
      break;
    case v1::KPI_UNSPECIFIED:
    case v1::Kpi_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::Kpi_INT_MAX_SENTINEL_DO_NOT_USE_:
      f.measured = false;
      break;
  }
  if (lower_is_better) {
    f.ratio = InverseRatio(f.target, f.current);
    return f;
  }
  f.ratio = f.target > 0 ? f.current / f.target : 0.0;
  return f;
}

bool ProgramFigures::CountsPost(const ObjectiveState& o, const PostIdentity& post) const {
  if (!post.published_time || !InWindow(o, *post.published_time)) return false;
  if (!InScope(o, post.network) || (!o.spoke.empty() && o.spoke != post.spoke)) return false;
  return o.objective.campaign().empty() || o.objective.campaign() == post.campaign;
}

bool ProgramFigures::CountsResponse(const ObjectiveState& o, const InboxFact& fact) const {
  if (o.objective.kpi() != v1::KPI_INBOX_FIRST_RESPONSE_SECONDS) return false;
  if (!fact.create_time || !fact.first_response) return false;
  if (!InWindow(o, *fact.create_time) || !InScope(o, fact.network)) return false;
  return o.spoke.empty() || o.spoke == fact.spoke;
}

bool ProgramFigures::CountsMention(const ObjectiveState& o, const MentionFact& fact) const {
  if (!InWindow(o, fact.time) || !InScope(o, fact.network)) return false;
  return o.spoke.empty() || o.spoke == fact.spoke;
}

bool ProgramFigures::CountsClosed(const ObjectiveState& o, const InboxFact& fact) const {
  if (!fact.closed || !InWindow(o, fact.close_time) || !InScope(o, fact.network)) return false;
  return o.spoke.empty() || o.spoke == fact.spoke;
}

void ProgramFigures::Backfill(ObjectiveState& o) const {
  switch (o.objective.kpi()) {
    case v1::KPI_POSTS_PUBLISHED:
      for (const auto& [name, fact] : published_)
        if (InWindow(o, fact.time) && InScope(o, fact.network) &&
            (o.spoke.empty() || o.spoke == fact.spoke) &&
            (o.objective.campaign().empty() || o.objective.campaign() == fact.campaign))
          ++o.count;
      break;
    case v1::KPI_POSITIVE_MENTION_RATIO:
    case v1::KPI_NEGATIVE_MENTION_RATIO:
      for (const auto& [name, fact] : mentions_) {
        if (fact.sentiment == v1::SENTIMENT_UNSPECIFIED) continue;
        if (!CountsMention(o, fact)) continue;
        ++o.classified;
        if (fact.sentiment == v1::SENTIMENT_POSITIVE) ++o.positive;
        if (fact.sentiment == v1::SENTIMENT_NEGATIVE) ++o.negative;
      }
      break;
    case v1::KPI_INBOX_ITEMS_CLOSED:
      for (const auto& [name, fact] : inbox_)
        if (CountsClosed(o, fact)) ++o.count;
      break;
    case v1::KPI_ENGAGEMENT_RATE:
    case v1::KPI_REACH:
    case v1::KPI_LINK_CLICKS:
      engagement_.ForEachPost([&](const PostIdentity& post, const EngagementContribution& c) {
        if (CountsPost(o, post)) o.engagement += c;
      });
      break;
    case v1::KPI_INBOX_FIRST_RESPONSE_SECONDS:
      for (const auto& [name, fact] : inbox_)
        if (fact.response_counted && CountsResponse(o, fact))
          o.first_responses.insert(
              std::max(absl::ZeroDuration(), *fact.first_response - *fact.create_time));
      break;
    case v1::KPI_FOLLOWER_GROWTH:  // computed from the readings when asked
    case v1::KPI_UNSPECIFIED:
    case v1::Kpi_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::Kpi_INT_MAX_SENTINEL_DO_NOT_USE_:
      break;
  }
}

}  // namespace carecast::metrics
