// The spike detector on synthetic traffic at hospital volume: four weeks with a
// daily rhythm to learn from, a fifth week of normal traffic (false alarms are
// counted and printed), then a tenfold spike on one topic (raised within one
// interval), its resolution and cooldown, and absolute crisis triggers.
#include "services/metrics/spike_detector.h"

#include <cmath>
#include <cstdio>
#include <random>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

namespace carecast::metrics {
namespace {

constexpr absl::Duration kInterval = absl::Minutes(15);
// A Monday, 00:00 UTC.
const absl::Time kStart = absl::FromUnixSeconds(1767571200);

// Mentions per 15 minutes on a topic at `t`: quiet at night, busy by day, a
// little busier on weekdays. About 2,000 mentions a day across the topics.
double Rate(absl::Time t, double scale) {
  const absl::CivilSecond civil = absl::ToCivilSecond(t, absl::UTCTimeZone());
  const double hour = static_cast<double>(civil.hour()) + static_cast<double>(civil.minute()) / 60;
  const double day = 0.5 + 0.5 * std::sin((hour - 8) / 24 * 2 * M_PI);
  const bool weekend = absl::GetWeekday(absl::CivilDay(civil)) >= absl::Weekday::saturday;
  return scale * (0.3 + 3.0 * day) * (weekend ? 0.7 : 1.0);
}

class SpikeDetectorTest : public ::testing::Test {
 protected:
  struct Tally {
    int raised = 0;
    int resolved = 0;
    std::vector<SpikeAlert> alerts;
  };

  v1::Mention MakeMention(const std::string& topic, int64_t id, bool negative = false,
                          const std::string& keyword = "") {
    v1::Mention m;
    m.set_name(absl::StrCat("mentions/m", id));
    m.mutable_classification()->add_topics(topic);
    if (negative) m.mutable_classification()->set_sentiment(v1::SENTIMENT_NEGATIVE);
    if (!keyword.empty()) m.mutable_classification()->add_keywords(keyword);
    return m;
  }

  // Plays normal traffic from `from` for `length`, with `spike_topic` multiplied
  // by `factor` inside [spike_from, spike_to). Returns what was raised/resolved.
  Tally Play(absl::Time from, absl::Duration length, const std::string& spike_topic = "",
             double factor = 1, absl::Time spike_from = absl::InfinitePast(),
             absl::Time spike_to = absl::InfinitePast()) {
    Tally tally;
    for (absl::Time t = from; t < from + length; t += kInterval) {
      for (size_t k = 0; k < topics_.size(); ++k) {
        double rate = Rate(t, scales_[k]);
        if (topics_[k] == spike_topic && t >= spike_from && t < spike_to) rate *= factor;
        std::poisson_distribution<int> mentions(rate);
        const int n = mentions(rng_);
        for (int i = 0; i < n; ++i) {
          // Spread inside the interval; a third of them negative.
          const absl::Time at = t + kInterval * (static_cast<double>(i) + 0.5) / (n + 1);
          const int64_t id = next_id_++;
          detector_.Observe(MakeMention(topics_[k], id, id % 3 == 0), at);
        }
      }
      for (SpikeAlert& a : detector_.Advance(t + kInterval)) {
        (a.change == SpikeAlert::Change::kRaised ? tally.raised : tally.resolved)++;
        tally.alerts.push_back(std::move(a));
      }
    }
    return tally;
  }

  SpikeOptions Options() {
    SpikeOptions o;
    o.interval = kInterval;
    o.crisis_terms = {"lockdown"};
    return o;
  }

  std::vector<std::string> topics_ = {"wait_times",   "billing",      "parking",
                                      "staff_praise", "appointments", "emergency_department"};
  std::vector<double> scales_ = {4.0, 2.0, 1.5, 3.0, 4.5, 2.5};
  std::mt19937 rng_{20261207};
  int64_t next_id_ = 0;
  SpikeDetector detector_{Options()};
};

TEST_F(SpikeDetectorTest, NormalWeeksRaiseFewAlarmsAndATenfoldSpikeIsCaughtWithinOneInterval) {
  const Tally learning = Play(kStart, absl::Hours(24 * 28));
  const Tally normal = Play(kStart + absl::Hours(24 * 28), absl::Hours(24 * 7));
  const int mentions_per_day = static_cast<int>(next_id_ / 35);
  std::printf("synthetic traffic: %d mentions a day over %zu topics\n", mentions_per_day,
              topics_.size());
  std::printf("false alarms: %d during the 4 learning weeks, %d in the 5th (normal) week\n",
              learning.raised, normal.raised);
  EXPECT_GE(mentions_per_day, 1500);
  EXPECT_LE(normal.raised, 2) << "too many false alarms on normal traffic";
  ASSERT_TRUE(detector_.Active().empty() || normal.raised > 0);

  // Wednesday of week 6, 14:00: billing mentions run at ten times their rate for an hour.
  const absl::Time week6 = kStart + absl::Hours(24 * 35);
  const absl::Time spike_from = week6 + absl::Hours(24 * 2 + 14);
  const absl::Time spike_to = spike_from + absl::Hours(1);
  const Tally spike = Play(week6, absl::Hours(24 * 3), "billing", 10, spike_from, spike_to);
  const SpikeAlert* first = nullptr;
  for (const SpikeAlert& a : spike.alerts) {
    if (a.series == "topic:billing" && a.change == SpikeAlert::Change::kRaised) {
      first = &a;
      break;
    }
  }
  ASSERT_NE(first, nullptr) << "the spike was not detected";
  std::printf(
      "spike on topic:billing raised for the interval starting %s (spike began %s): "
      "%lld mentions against a baseline of %.1f (bound %.1f)\n",
      absl::FormatTime("%a %H:%M", first->interval_start, absl::UTCTimeZone()).c_str(),
      absl::FormatTime("%a %H:%M", spike_from, absl::UTCTimeZone()).c_str(),
      static_cast<long long>(first->count), first->baseline_mean, first->threshold);
  EXPECT_EQ(first->interval_start, spike_from) << "raised later than the first interval";
  EXPECT_EQ(first->severity, AlertSeverity::kWarning);
  EXPECT_GT(first->count, first->threshold);
  EXPECT_EQ(first->sample_mentions.size(), 3u);
  EXPECT_TRUE(first->sample_mentions[0].starts_with("mentions/"));

  // Raised once for the hour, then resolved; no second alert for the same spike.
  int billing_raised = 0;
  bool resolved = false;
  for (const SpikeAlert& a : spike.alerts) {
    if (a.series != "topic:billing") continue;
    if (a.change == SpikeAlert::Change::kRaised) ++billing_raised;
    if (a.change == SpikeAlert::Change::kResolved) {
      resolved = true;
      EXPECT_GE(a.interval_start, spike_to);
      EXPECT_LE(a.interval_start, spike_to + 2 * kInterval);
    }
  }
  EXPECT_EQ(billing_raised, 1);
  EXPECT_TRUE(resolved);
}

TEST_F(SpikeDetectorTest, ASecondSpikeInsideTheCooldownIsNotRaisedAgain) {
  Play(kStart, absl::Hours(24 * 28));
  const absl::Time day = kStart + absl::Hours(24 * 28 + 10);
  Tally first = Play(day, absl::Hours(1), "parking", 12, day, day + absl::Minutes(30));
  Tally second = Play(day + absl::Hours(1), absl::Hours(1), "parking", 12, day + absl::Hours(1),
                      day + absl::Hours(1) + absl::Minutes(30));
  auto raised_on = [](const Tally& t, const std::string& series) {
    int n = 0;
    for (const SpikeAlert& a : t.alerts)
      n += a.series == series && a.change == SpikeAlert::Change::kRaised;
    return n;
  };
  EXPECT_EQ(raised_on(first, "topic:parking"), 1);
  EXPECT_EQ(raised_on(second, "topic:parking"), 0) << "raised again inside the cooldown";
}

TEST_F(SpikeDetectorTest, CrisisTermsRaiseASevereAlertWithoutAnyHistory) {
  SpikeDetector fresh(Options());
  const absl::Time t = kStart + absl::Hours(3);
  fresh.Advance(t);
  fresh.Observe(MakeMention("safety", 1, true, "Lockdown"), t + absl::Minutes(1));
  fresh.Observe(MakeMention("safety", 2, true, "lockdown"), t + absl::Minutes(2));
  EXPECT_TRUE(fresh.Advance(t + kInterval).empty()) << "two mentions are below the trigger";
  for (int i = 3; i <= 5; ++i) {
    fresh.Observe(MakeMention("safety", i, true, "lockdown"), t + kInterval + absl::Minutes(i));
  }
  std::vector<SpikeAlert> alerts = fresh.Advance(t + 2 * kInterval);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].series, "crisis:lockdown");
  EXPECT_EQ(alerts[0].severity, AlertSeverity::kSevere);
  EXPECT_EQ(alerts[0].count, 3);
  EXPECT_EQ(fresh.Active(), std::vector<std::string>{"crisis:lockdown"});
}

TEST_F(SpikeDetectorTest, AnAlertNamesTheSpokesOfItsIntervalsMentionedAccounts) {
  SpikeDetector fresh(Options());
  const absl::Time t = kStart + absl::Hours(3);
  fresh.Advance(t);
  // An earlier interval's spoke is not the alert's.
  v1::Mention earlier = MakeMention("safety", 1, true, "lockdown");
  earlier.set_account("spokes/north/accounts/main");
  fresh.Observe(earlier, t + absl::Minutes(1));
  EXPECT_TRUE(fresh.Advance(t + kInterval).empty());
  const std::vector<std::string> accounts = {"spokes/west/accounts/main", "",
                                             "spokes/east/accounts/er", "spokes/west/accounts/b"};
  for (size_t i = 0; i < accounts.size(); ++i) {
    v1::Mention m = MakeMention("safety", static_cast<int64_t>(i) + 2, true, "lockdown");
    m.set_account(accounts[i]);
    fresh.Observe(m, t + kInterval + absl::Minutes(static_cast<double>(i) + 1));
  }
  std::vector<SpikeAlert> alerts = fresh.Advance(t + 2 * kInterval);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].series, "crisis:lockdown");
  EXPECT_EQ(alerts[0].spokes, (std::vector<std::string>{"spokes/east", "spokes/west"}));
}

TEST_F(SpikeDetectorTest, AQuietSeriesWithoutHistoryRaisesNothingOnAHandfulOfMentions) {
  SpikeDetector fresh(Options());
  const absl::Time t = kStart;
  fresh.Advance(t);
  for (int i = 0; i < 8; ++i) fresh.Observe(MakeMention("billing", i), t + absl::Minutes(i));
  EXPECT_TRUE(fresh.Advance(t + kInterval).empty());
}

TEST_F(SpikeDetectorTest, AnAlertRestoredFromTheStreamIsNotRaisedTwice) {
  Play(kStart, absl::Hours(24 * 28));
  detector_.RestoreActive("topic:staff_praise", kStart);
  const absl::Time t = kStart + absl::Hours(24 * 28);
  Tally spike = Play(t, absl::Minutes(30), "staff_praise", 10, t, t + absl::Minutes(30));
  for (const SpikeAlert& a : spike.alerts) {
    EXPECT_FALSE(a.series == "topic:staff_praise" && a.change == SpikeAlert::Change::kRaised);
  }
}

}  // namespace
}  // namespace carecast::metrics

namespace carecast::metrics {
namespace {

// Visiting hours in New York: a burst every evening 18:00-19:00 local, four
// weeks of EDT to learn from, then the week after clocks go back (Sunday
// 1 November 2026), with a real tenfold spike on its Monday at 17:00-18:00
// local. Slots in local time compare that hour with earlier quiet 17:00s;
// slots in UTC compare it with the hour the burst used to fill.
struct ClockChangeWeek {
  int false_alarms = 0;       // raised outside the spike's hour
  bool spike_caught = false;  // raised for the spike's first interval
};

ClockChangeWeek PlayAcrossTheClockChange(absl::TimeZone slots_zone) {
  absl::TimeZone new_york;
  EXPECT_TRUE(absl::LoadTimeZone("America/New_York", &new_york));
  SpikeOptions options;
  options.interval = kInterval;
  options.time_zone = slots_zone;
  SpikeDetector detector(options);
  std::mt19937 rng(7);
  const absl::Time learn_from = absl::FromUnixSeconds(1791172800);    // Mon 5 Oct 2026 00:00 EDT
  const absl::Time after_change = absl::FromUnixSeconds(1793595600);  // Mon 2 Nov 2026 00:00 EST
  const absl::Time spike_from = after_change + absl::Hours(17);
  const absl::Time spike_to = spike_from + absl::Hours(1);
  int64_t id = 0;
  ClockChangeWeek week;
  for (absl::Time t = learn_from; t < after_change + absl::Hours(24 * 7); t += kInterval) {
    const int hour = absl::ToCivilSecond(t, new_york).hour();
    const bool spike = t >= spike_from && t < spike_to;
    std::poisson_distribution<int> mentions(hour == 18 || spike ? 20.0 : 2.0);
    const int n = mentions(rng);
    for (int i = 0; i < n; ++i) {
      v1::Mention m;
      m.set_name(absl::StrCat("mentions/v", id++));
      m.mutable_classification()->add_topics("visiting");
      detector.Observe(m, t + kInterval * (i + 0.5) / (n + 1));
    }
    for (const SpikeAlert& a : detector.Advance(t + kInterval)) {
      if (a.change != SpikeAlert::Change::kRaised || a.series != "topic:visiting" ||
          t < after_change) {
        continue;
      }
      if (a.interval_start == spike_from) {
        week.spike_caught = true;
      } else if (a.interval_start < spike_from || a.interval_start >= spike_to) {
        ++week.false_alarms;
      }
    }
  }
  return week;
}

TEST(SpikeDetectorTimeZoneTest, TheSeasonalBaselineFollowsLocalHoursAcrossADaylightSavingChange) {
  absl::TimeZone new_york;
  ASSERT_TRUE(absl::LoadTimeZone("America/New_York", &new_york)) << "tzdata is not installed";
  const ClockChangeWeek local = PlayAcrossTheClockChange(new_york);
  const ClockChangeWeek utc = PlayAcrossTheClockChange(absl::UTCTimeZone());
  std::printf(
      "the week after the clocks went back: local slots caught the spike: %s, %d false alarms; "
      "UTC slots caught it: %s, %d false alarms\n",
      local.spike_caught ? "yes" : "no", local.false_alarms, utc.spike_caught ? "yes" : "no",
      utc.false_alarms);
  EXPECT_TRUE(local.spike_caught);
  EXPECT_LE(local.false_alarms, 1);
  EXPECT_FALSE(utc.spike_caught) << "the test's traffic no longer tells the two apart";
}

}  // namespace
}  // namespace carecast::metrics
