#include "services/metrics/spike_detector.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

#include "services/common/rpc/spoke_scope.h"

namespace carecast::metrics {
namespace {

constexpr int64_t kWeekSeconds = int64_t{7} * 24 * 3600;
constexpr absl::string_view kCrisisPrefix = "crisis:";

SpikeOptions Checked(SpikeOptions options) {
  const int64_t seconds = absl::ToInt64Seconds(options.interval);
  if (seconds < 60 || seconds > int64_t{24} * 3600 || kWeekSeconds % seconds != 0) {
    options.interval = absl::Minutes(15);
  }
  options.learning_rate = std::clamp(options.learning_rate, 0.01, 1.0);
  options.resolve_after = std::max(options.resolve_after, 1);
  return options;
}

// P(X >= k) when X follows the baseline: Poisson with the baseline's mean, or,
// when the counts vary more than a Poisson count would, the negative binomial
// with the baseline's mean and variance. The mean is floored at 1, so a series
// that is usually silent needs several mentions, not one, to look unusual.
double UpperTail(int64_t k, double mean, double variance) {
  const double lambda = std::max(mean, 1.0);
  if (static_cast<double>(k) <= lambda) return 1.0;
  const bool overdispersed = variance > lambda * 1.05;
  const double r = overdispersed ? lambda * lambda / (variance - lambda) : 0;
  const double q = overdispersed ? lambda / (r + lambda) : 0;
  const auto kd = static_cast<double>(k);
  const double log_pmf = overdispersed
                             ? std::lgamma(kd + r) - std::lgamma(r) - std::lgamma(kd + 1) +
                                   r * std::log1p(-q) + kd * std::log(q)
                             : -lambda + kd * std::log(lambda) - std::lgamma(kd + 1);
  double term = std::exp(log_pmf);
  double sum = 0;
  // Past the mean the terms shrink geometrically; stop when they no longer count.
  for (int64_t j = k; j < k + 1'000'000 && term > 0; ++j) {
    sum += term;
    const auto jd = static_cast<double>(j);
    term *= overdispersed ? (jd + r) / (jd + 1) * q : lambda / (jd + 1);
    if (term < sum * 1e-12) break;
  }
  return std::min(sum, 1.0);
}

// The smallest count (to within 1/64) whose upper tail is below `probability`.
int64_t Bound(double mean, double variance, double probability) {
  auto k = static_cast<int64_t>(std::ceil(std::max(mean, 1.0)));
  while (UpperTail(k, mean, variance) >= probability && k < 10'000'000) {
    k += std::max<int64_t>(1, k / 64);
  }
  return k;
}

}  // namespace

std::string_view AlertSeverityName(AlertSeverity severity) {
  return severity == AlertSeverity::kSevere ? "severe" : "warning";
}

void SpikeDetector::Stats::Learn(double value, double rate) {
  // A plain running mean until the weighting takes over, so the first weeks
  // count fully rather than as a decayed zero.
  const double weight = std::max(rate, 1.0 / static_cast<double>(n + 1));
  if (n == 0) {
    mean = value;
    variance = 0;
  } else {
    const double diff = value - mean;
    const double step = weight * diff;
    mean += step;
    variance = (1 - weight) * (variance + diff * step);
  }
  ++n;
}

SpikeDetector::SpikeDetector(SpikeOptions options)
    : options_(Checked(std::move(options))),
      slots_per_week_(static_cast<size_t>(kWeekSeconds / absl::ToInt64Seconds(options_.interval))) {
}

absl::Time SpikeDetector::IntervalStart(absl::Time t) const {
  const int64_t seconds = absl::ToInt64Seconds(options_.interval);
  int64_t unix = absl::ToUnixSeconds(t);
  int64_t start = unix - ((unix % seconds) + seconds) % seconds;
  return absl::FromUnixSeconds(start);
}

size_t SpikeDetector::SlotOf(absl::Time start) const {
  // Seconds into the local week (Monday 00:00 local is 0).
  const absl::CivilSecond local = absl::ToCivilSecond(start, options_.time_zone);
  const int64_t day = static_cast<int64_t>(absl::GetWeekday(local));  // Monday is 0
  const int64_t into_week = day * 86400 + int64_t{local.hour()} * 3600 +
                            int64_t{local.minute()} * 60 + int64_t{local.second()};
  return static_cast<size_t>(into_week / absl::ToInt64Seconds(options_.interval)) % slots_per_week_;
}

void SpikeDetector::Count(const std::string& key, const std::string& mention,
                          std::string_view spoke) {
  auto it = series_.find(key);
  if (it == series_.end()) {
    if (series_.size() >= options_.max_series) return;
    it = series_.emplace(key, Series{}).first;
    it->second.slots.resize(slots_per_week_);
  }
  Series& series = it->second;
  ++series.count;
  if (series.samples.size() < options_.samples && !mention.empty()) {
    series.samples.push_back(mention);
  }
  if (!spoke.empty() && series.spokes.size() < kMaxAlertSpokes) {
    series.spokes.emplace(spoke);
  }
}

void SpikeDetector::Observe(const v1::Mention& mention, absl::Time at) {
  // Close what `at` shows has ended, keeping the alerts for the next Advance.
  std::vector<SpikeAlert> closed = Advance(at);
  pending_.insert(pending_.end(), std::make_move_iterator(closed.begin()),
                  std::make_move_iterator(closed.end()));
  const std::string& name = mention.name();
  const std::string_view spoke = common::SpokeOfResource(mention.account());
  Count("all", name, spoke);
  const v1::Classification& c = mention.classification();
  if (c.sentiment() == v1::SENTIMENT_NEGATIVE) Count("sentiment:negative", name, spoke);
  for (const std::string& topic : c.topics()) Count(absl::StrCat("topic:", topic), name, spoke);
  for (const std::string& keyword : c.keywords()) {
    const std::string lower = absl::AsciiStrToLower(keyword);
    Count(absl::StrCat("keyword:", lower), name, spoke);
    if (options_.crisis_terms.contains(lower)) {
      Count(absl::StrCat(kCrisisPrefix, lower), name, spoke);
    }
  }
}

std::vector<SpikeAlert> SpikeDetector::Advance(absl::Time now) {
  std::vector<SpikeAlert> out = std::move(pending_);
  pending_.clear();
  if (open_start_ == absl::InfinitePast()) {
    open_start_ = IntervalStart(now);
    return out;
  }
  while (open_start_ + options_.interval <= now) {
    CloseInterval(open_start_, out);
    open_start_ += options_.interval;
  }
  return out;
}

void SpikeDetector::CloseInterval(absl::Time start, std::vector<SpikeAlert>& out) {
  for (auto& [key, series] : series_) {
    Evaluate(key, series, start, out);
    series.count = 0;
    series.samples.clear();
    series.spokes.clear();
  }
}

SpikeDetector::Stats SpikeDetector::Baseline(const Series& series, size_t slot) const {
  // The slot and its two neighbours (45 minutes at the default interval), so a
  // few weeks of history give a dozen observations rather than four.
  Stats pooled;
  int used = 0;
  double mean_of_squares = 0;
  for (size_t offset : {slots_per_week_ - 1, size_t{0}, size_t{1}}) {
    const Stats& s = series.slots[(slot + offset) % slots_per_week_];
    if (s.n < 1) continue;
    pooled.mean += s.mean;
    pooled.variance += s.variance;
    mean_of_squares += s.mean * s.mean;
    pooled.n += s.n;
    ++used;
  }
  if (used == 0) return pooled;
  pooled.mean /= used;
  // Within-slot variance plus the spread between the slots' means.
  pooled.variance = pooled.variance / used + (mean_of_squares / used - pooled.mean * pooled.mean);
  return pooled;
}

void SpikeDetector::Evaluate(const std::string& key, Series& series, absl::Time start,
                             std::vector<SpikeAlert>& out) {
  const size_t slot_index = SlotOf(start);
  Stats& slot = series.slots[slot_index];
  const int64_t per_day = static_cast<int64_t>(slots_per_week_ / 7);
  const Stats pooled = Baseline(series, slot_index);
  const bool slot_known = pooled.n >= 6;
  const bool ready = slot_known || series.all_week.n >= per_day;
  const Stats& base = slot_known ? pooled : series.all_week;
  const bool crisis = absl::StartsWith(key, kCrisisPrefix);
  const auto count = static_cast<double>(series.count);
  const bool over = crisis ? series.count >= options_.crisis_min_count
                           : ready && series.count >= options_.min_count &&
                                 count >= options_.min_ratio * base.mean &&
                                 UpperTail(series.count, base.mean, base.variance) <
                                     options_.false_alarm_probability;
  const double threshold =
      crisis ? static_cast<double>(options_.crisis_min_count)
             : static_cast<double>(std::max<int64_t>(
                   {Bound(base.mean, base.variance, options_.false_alarm_probability),
                    options_.min_count,
                    static_cast<int64_t>(std::ceil(options_.min_ratio * base.mean))}));
  auto learn = [&] {
    slot.Learn(count, options_.learning_rate);
    series.all_week.Learn(count, 1.0 / static_cast<double>(per_day));
  };
  auto alert = [&](SpikeAlert::Change change) {
    SpikeAlert a;
    a.change = change;
    a.series = key;
    a.severity = series.severity;
    a.interval_start = start;
    a.interval_end = start + options_.interval;
    a.count = series.count;
    a.baseline_mean = base.mean;
    a.threshold = threshold;
    a.sample_mentions = series.samples;
    a.spokes.assign(series.spokes.begin(), series.spokes.end());
    out.push_back(std::move(a));
  };
  if (!series.active) {
    if (!over) {
      learn();
      return;
    }
    if (start < series.quiet_until) return;  // cooling down: neither raised nor learnt
    series.active = true;
    series.quiet_intervals = 0;
    series.severity = crisis ? AlertSeverity::kSevere : AlertSeverity::kWarning;
    alert(SpikeAlert::Change::kRaised);
    return;
  }
  if (over) {
    series.quiet_intervals = 0;
    return;
  }
  learn();
  if (++series.quiet_intervals < options_.resolve_after) return;
  series.active = false;
  series.quiet_until = start + options_.interval + options_.cooldown;
  alert(SpikeAlert::Change::kResolved);
}

void SpikeDetector::RestoreActive(std::string_view key, absl::Time /*raised_at*/) {
  auto it = series_.find(key);
  if (it == series_.end()) {
    if (series_.size() >= options_.max_series) return;
    it = series_.emplace(std::string(key), Series{}).first;
    it->second.slots.resize(slots_per_week_);
  }
  it->second.active = true;
  it->second.quiet_intervals = 0;
  it->second.severity = absl::StartsWith(absl::string_view(key.data(), key.size()), kCrisisPrefix)
                            ? AlertSeverity::kSevere
                            : AlertSeverity::kWarning;
}

std::vector<std::string> SpikeDetector::Active() const {
  std::vector<std::string> out;
  for (const auto& [key, series] : series_) {
    if (series.active) out.push_back(key);
  }
  return out;
}

}  // namespace carecast::metrics
