#include "services/metrics/rollups.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"

#include "services/metrics/figure_labels.h"
#include "services/metrics/iso_week.h"

namespace carecast::metrics {
namespace {

constexpr char kNone[] = "none";

// Adds one post's engagement to a row; the rate is set once all are added.
struct RowSums {
  v1::RollupRow row;
  int64_t rated_impressions = 0;
  int64_t rated_interactions = 0;

  void AddPublished(const PostRecord& post) {
    row.set_posts_published(row.posts_published() + 1);
    if (!post.engagement) return;
    const EngagementContribution& e = *post.engagement;
    row.set_posts_with_readings(row.posts_with_readings() + 1);
    row.set_impressions(row.impressions() + e.impressions);
    row.set_interactions(row.interactions() + e.interactions);
    row.set_link_clicks(row.link_clicks() + e.clicks);
    rated_impressions += e.impressions;
    rated_interactions += e.rated_interactions;
  }
  void Add(const RowSums& other) {
    row.set_posts_published(row.posts_published() + other.row.posts_published());
    row.set_posts_failed(row.posts_failed() + other.row.posts_failed());
    row.set_posts_with_readings(row.posts_with_readings() + other.row.posts_with_readings());
    row.set_impressions(row.impressions() + other.row.impressions());
    row.set_interactions(row.interactions() + other.row.interactions());
    row.set_link_clicks(row.link_clicks() + other.row.link_clicks());
    rated_impressions += other.rated_impressions;
    rated_interactions += other.rated_interactions;
  }
  v1::RollupRow Finish() {
    row.set_engagement_rate(rated_impressions > 0 ? static_cast<double>(rated_interactions) /
                                                        static_cast<double>(rated_impressions)
                                                  : 0.0);
    return row;
  }
};

}  // namespace

std::string RollupKey(const PostRecord& post, v1::RollupDimension dimension) {
  switch (dimension) {
    case v1::ROLLUP_DIMENSION_CAMPAIGN:
      return post.campaign.empty() ? kNone : post.campaign;
    case v1::ROLLUP_DIMENSION_PILLAR:
      if (post.campaign.empty() || post.pillar.empty()) return kNone;
      return absl::StrCat(post.campaign, "/pillars/", post.pillar);
    case v1::ROLLUP_DIMENSION_SPOKE:
      return post.spoke.empty() ? kNone : post.spoke;
    case v1::ROLLUP_DIMENSION_NETWORK:
      return std::string(NetworkLabel(post.network));
    case v1::ROLLUP_DIMENSION_WEEK:
      return IsoWeekOf(post.time).Label();
    default:
      return kNone;
  }
}

v1::GetRollupResponse Rollup(const FactsSnapshot& facts, v1::RollupDimension dimension) {
  std::map<std::string, RowSums> rows;
  for (const PostRecord& post : facts.published)
    rows[RollupKey(post, dimension)].AddPublished(post);
  for (const PostRecord& post : facts.failed) {
    v1::RollupRow& row = rows[RollupKey(post, dimension)].row;
    row.set_posts_failed(row.posts_failed() + 1);
  }
  v1::GetRollupResponse out;
  RowSums total;
  for (auto& [key, sums] : rows) {
    total.Add(sums);
    sums.row.set_key(key);
    *out.add_rows() = sums.Finish();
  }
  total.row.set_key("total");
  *out.mutable_total() = total.Finish();
  return out;
}

}  // namespace carecast::metrics
