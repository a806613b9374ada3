#include "bench/metrics/figure_check.h"

#include <map>

#include "absl/strings/str_cat.h"

#include "bench/metrics/exposition_samples.h"
#include "services/metrics/figure_labels.h"

namespace carecast::bench {
namespace {

// "family{name=value,...}" -> value, for every gauge and counter sample.
std::map<std::string, double> Samples(std::string_view metrics_text) {
  std::map<std::string, double> out;
  for (auto& [key, value] : SampleKeys(ParseExposition(metrics_text))) out[key] = value;
  return out;
}

class Checker {
 public:
  explicit Checker(std::vector<std::string> mismatches) : mismatches_(std::move(mismatches)) {}

  void Equal(const std::string& what, double got, double want) {
    if (got != want) mismatches_.push_back(absl::StrCat(what, ": got ", got, ", want ", want));
  }
  void Series(const std::map<std::string, double>& samples, const std::string& key, double want) {
    auto it = samples.find(key);
    Equal(key, it == samples.end() ? -1 : it->second, want);
  }
  std::vector<std::string> Take() { return std::move(mismatches_); }

 private:
  std::vector<std::string> mismatches_;
};

}  // namespace

std::vector<std::string> CheckFigures(const ExpectedFigures& expected,
                                      const metrics::ProgramFigures& figures,
                                      const metrics::EventIngest& ingest,
                                      std::string_view metrics_text,
                                      std::vector<std::string> mismatches) {
  Checker c(std::move(mismatches));
  const metrics::SummaryFigures s = figures.Summary();
  c.Equal("events handled", static_cast<double>(ingest.events_handled()), expected.events);
  c.Equal("events rejected", static_cast<double>(ingest.events_rejected()), 0);
  c.Equal("events applied", static_cast<double>(s.events_applied), expected.events);
  c.Equal("published kinds", static_cast<double>(s.posts_published.size()),
          expected.published.size());
  for (const auto& [network, n] : expected.published) {
    c.Equal(absl::StrCat("published ", network), s.posts_published.at(network), n);
  }
  for (const auto& [key, n] : expected.failed) {
    auto it = s.posts_failed.find(key);
    c.Equal(absl::StrCat("failed ", key.first, "/", key.second),
            it == s.posts_failed.end() ? 0 : it->second, n);
  }
  for (const auto& [network, n] : expected.needing_human) {
    auto it = s.posts_needing_human.find(network);
    c.Equal(absl::StrCat("needing human ", network),
            it == s.posts_needing_human.end() ? 0 : it->second, n);
  }
  for (const auto& [sentiment, n] : expected.mentions) {
    auto it = s.mentions.find(sentiment);
    c.Equal(absl::StrCat("mentions ", sentiment), it == s.mentions.end() ? 0 : it->second, n);
  }
  c.Equal("open inbox items", s.open_inbox_items, expected.open_items);
  c.Equal("closed inbox items", s.closed_inbox_items, expected.closed_items);
  std::optional<metrics::ObjectiveFigure> all = figures.Objective("objectives/all-posts");
  c.Equal("objective all-posts", all ? all->current : -1, expected.all_posts_objective);
  // The same figures as /metrics shows them.
  const std::map<std::string, double> samples = Samples(metrics_text);
  for (const auto& [network, n] : expected.published) {
    c.Series(samples,
             absl::StrCat("carecast_posts_published_total{network=", metrics::NetworkLabel(network),
                          ",}"),
             n);
  }
  c.Series(samples, "carecast_inbox_open_items{}", expected.open_items);
  c.Series(samples, "carecast_inbox_closed_total{}", expected.closed_items);
  const auto place = [](const std::string& family, const std::pair<v1::Network, std::string>& p) {
    return absl::StrCat(family, "{network=", metrics::NetworkLabel(p.first), ",spoke=", p.second,
                        ",}");
  };
  for (const auto& [p, n] : expected.impressions)
    c.Series(samples, place("carecast_post_impressions", p), n);
  for (const auto& [p, n] : expected.interactions)
    c.Series(samples, place("carecast_post_interactions", p), n);
  for (const auto& [p, n] : expected.clicks) c.Series(samples, place("carecast_link_clicks", p), n);
  for (const auto& [p, n] : expected.followers)
    c.Series(samples, place("carecast_account_followers", p), n);
  double consumed = 0;
  for (const auto& [key, value] : samples)
    if (key.starts_with("carecast_metrics_events_consumed_total{")) consumed += value;
  c.Equal("carecast_metrics_events_consumed_total (all domains)", consumed, expected.events);
  return c.Take();
}

}  // namespace carecast::bench
