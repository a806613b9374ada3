// Spikes in what people say about the hospital, found against a seasonal
// baseline. Mentions are counted per series (each topic, each tracked keyword,
// negative sentiment, everything) in fixed intervals (15 minutes by default).
// Each closed interval's count is compared with the baseline of the same
// interval of the week in the organisation's time zone (hour-of-week
// seasonality: Monday 09:00 local is compared with earlier Mondays at 09:00
// local, across daylight-saving changes), learnt as an exponentially weighted mean and
// variance, pooled with the two neighbouring intervals. Counts are sparse, so
// the test asks how likely the count is under the baseline: Poisson with the
// baseline's mean, or the negative binomial with its mean and variance when
// the counts vary more than Poisson counts do (the mean floored at 1, so a
// usually silent series needs several mentions, not one):
//   raise when P(X >= count) < false_alarm_probability, count >= min_count
//   and count >= min_ratio * mean.
// A series without enough history for its slot falls back to its all-week
// baseline, and raises nothing until it has a
// day of it. Counts inside an alert are not learnt, so a long spike does not
// become the new normal. An alert resolves after `resolve_after` intervals back
// under the bound, and the series then stays quiet for `cooldown`. Crisis terms
// (configured keywords) raise a severe alert from `crisis_min_count` mentions
// in one interval, with or without history. Deterministic and single-threaded:
// the owner serializes calls (metrics' ingest does).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::metrics {

struct SpikeOptions {
  absl::Duration interval = absl::Minutes(15);
  // The zone whose weekdays and clock hours the seasonal slots follow (people
  // write on local Monday mornings, whatever UTC says). Intervals stay
  // aligned on UTC multiples of `interval`. On a daylight-saving change the
  // repeated local hour shares its slots, and the skipped one is not seen
  // that day.
  absl::TimeZone time_zone = absl::UTCTimeZone();
  // The sensitivity: how unlikely under the baseline a count must be to raise,
  // per series and interval (higher: more sensitive, more false alarms).
  double false_alarm_probability = 1e-5;
  int64_t min_count = 5;
  double min_ratio = 2.0;
  int resolve_after = 2;
  absl::Duration cooldown = absl::Hours(2);
  // Weight of a new observation in a slot's baseline (about the last 1/rate weeks).
  double learning_rate = 0.25;
  // Tracked keywords that are crisis terms ("lockdown", "evacuation", ...),
  // lower case; a mention carrying one counts in the series "crisis:<term>".
  std::set<std::string> crisis_terms;
  int64_t crisis_min_count = 3;
  // At most this many series are tracked (topics and keywords are bounded
  // sets; this caps what a misconfiguration could cost).
  size_t max_series = 1000;
  // Sample mentions kept per series and interval, as evidence.
  size_t samples = 3;
};

enum class AlertSeverity { kWarning, kSevere };

// One alert raised or resolved at the close of an interval.
struct SpikeAlert {
  enum class Change { kRaised, kResolved };
  Change change = Change::kRaised;
  std::string series;  // "topic:wait_times", "keyword:stmarys", "sentiment:negative", "all",
                       // "crisis:lockdown"
  AlertSeverity severity = AlertSeverity::kWarning;
  absl::Time interval_start;
  absl::Time interval_end;
  int64_t count = 0;
  double baseline_mean = 0;
  double threshold = 0;  // the smallest count that would raise, for the evidence
  std::vector<std::string> sample_mentions;  // mention names, never text
  // Spokes ("spokes/{spoke}") of the accounts the interval's mentions of the
  // series address, sorted, at most kMaxAlertSpokes; empty when none did.
  std::vector<std::string> spokes;
};

// The most spokes one alert names.
inline constexpr size_t kMaxAlertSpokes = 64;

class SpikeDetector {
 public:
  explicit SpikeDetector(SpikeOptions options);

  // Counts one classified mention at `at` (its receive time). Mentions for an
  // interval already closed by Advance are counted in the current one.
  void Observe(const v1::Mention& mention, absl::Time at);

  // Closes every interval that ended at or before `now`, in order, and returns
  // the alerts raised and resolved at their close.
  std::vector<SpikeAlert> Advance(absl::Time now);

  // Marks `series` as alerting (an alert raised before a restart, read back from
  // the event stream), so it is not raised twice.
  void RestoreActive(std::string_view series, absl::Time raised_at);

  // The series currently alerting.
  std::vector<std::string> Active() const;
  size_t series_count() const { return series_.size(); }

 private:
  struct Stats {
    double mean = 0;
    double variance = 0;
    int64_t n = 0;
    void Learn(double value, double rate);
  };
  struct Series {
    std::vector<Stats> slots;  // one per interval of the week
    Stats all_week;
    int64_t count = 0;  // in the open interval
    std::vector<std::string> samples;
    std::set<std::string> spokes;  // of the open interval's mentions
    bool active = false;
    AlertSeverity severity = AlertSeverity::kWarning;
    int quiet_intervals = 0;
    absl::Time quiet_until = absl::InfinitePast();
  };

  void Count(const std::string& series, const std::string& mention, std::string_view spoke);
  Stats Baseline(const Series& series, size_t slot) const;
  void CloseInterval(absl::Time start, std::vector<SpikeAlert>& out);
  void Evaluate(const std::string& key, Series& series, absl::Time start,
                std::vector<SpikeAlert>& out);
  size_t SlotOf(absl::Time start) const;
  absl::Time IntervalStart(absl::Time t) const;

  const SpikeOptions options_;
  const size_t slots_per_week_;
  std::map<std::string, Series, std::less<>> series_;
  absl::Time open_start_ = absl::InfinitePast();  // the open interval's start
  std::vector<SpikeAlert> pending_;               // closed by Observe, returned by Advance
};

// "warning", "severe".
std::string_view AlertSeverityName(AlertSeverity severity);

}  // namespace carecast::metrics
