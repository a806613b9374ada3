// Synthetic engagement histories for the best-times tests: posts at fixed
// local hours of the week, each hour with a known true rate, impressions and
// rates jittered by a seeded generator (the same history on every run).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

#include "services/metrics/best_times.h"

namespace carecast::metrics::testing {

inline constexpr char kAccount[] = "spokes/north/accounts/clinic-fb";
inline constexpr char kZone[] = "America/Chicago";
inline constexpr double kBaseRate = 0.02;

// (ISO day 1..7, hour) of each weekly post.
using WeeklyHours = std::vector<std::pair<int, int>>;
// The true rate of a post at (ISO day, hour).
using RateOf = std::function<double(int, int)>;

inline PostEngagementSample MakePost(absl::CivilSecond local, const std::string& zone_name,
                                     double rate, std::mt19937& rng) {
  absl::TimeZone zone;
  absl::LoadTimeZone(zone_name, &zone);
  std::uniform_int_distribution<int64_t> impressions(800, 1200);
  std::uniform_real_distribution<double> jitter(0.7, 1.3);
  const int64_t n = impressions(rng);
  const auto k = static_cast<int64_t>(std::llround(static_cast<double>(n) * rate * jitter(rng)));
  return {.publish_time = absl::FromCivil(local, zone), .impressions = n, .interactions = k};
}

// `weeks` weeks of posts from the local week starting on `first_monday`.
inline std::vector<PostEngagementSample> WeeklyHistory(absl::CivilDay first_monday, int weeks,
                                                       const WeeklyHours& hours,
                                                       const RateOf& rate_of,
                                                       const std::string& zone = kZone,
                                                       unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::vector<PostEngagementSample> posts;
  for (int w = 0; w < weeks; ++w) {
    for (const auto& [day, hour] : hours) {
      const absl::CivilDay date = first_monday + (int64_t{7} * w) + (day - 1);
      const absl::CivilSecond local(date.year(), date.month(), date.day(), hour, 0, 0);
      posts.push_back(MakePost(local, zone, rate_of(day, hour), rng));
    }
  }
  return posts;
}

// Mon 09, Tue 12, Tue 16, Wed 09, Thu 12, Fri 09, Sat 10 every week.
inline const WeeklyHours& SevenWeeklyHours() {
  static const WeeklyHours* hours =
      new WeeklyHours{{1, 9}, {2, 12}, {2, 16}, {3, 9}, {4, 12}, {5, 9}, {6, 10}};
  return *hours;
}

// Mon 09, Tue 12 and Thu 12 engage three times as much as the base rate, Wed 09
// and Fri 09 half as much, the rest at the base rate.
inline double ThreeGoodHours(int day, int hour) {
  const bool good = (day == 1 && hour == 9) || (day == 2 && hour == 12) || (day == 4 && hour == 12);
  const bool poor = (day == 3 || day == 5) && hour == 9;
  return good ? 3 * kBaseRate : (poor ? kBaseRate / 2 : kBaseRate);
}

// Mon 9:00, Wed 9:00, Fri 9:00, Tue 16:30 and Thu 16:30: five slots a week.
inline v1::Cadence FiveSlotCadence(int64_t version = 4) {
  v1::Cadence cadence;
  cadence.set_name(std::string(kAccount) + "/cadence");
  v1::CadenceSlot* a = cadence.add_slots();
  a->set_rrule("FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=9;BYMINUTE=0");
  a->set_start_local_time("2027-01-04T09:00:00");
  v1::CadenceSlot* b = cadence.add_slots();
  b->set_rrule("FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=16;BYMINUTE=30");
  b->set_start_local_time("2027-01-05T16:30");
  cadence.mutable_min_spacing()->set_seconds(3600);
  cadence.set_time_zone(kZone);
  cadence.set_version(version);
  return cadence;
}

// Eight weeks of SevenWeeklyHours from Monday 4 January 2027, the five-slot
// cadence, and now = Monday 1 March 2027 10:00 in Chicago (the suggestion
// starts on 15 March: clocks change on 14 March, so not on 8 March).
inline BestTimesInput SuggestionInput() {
  BestTimesInput input;
  input.account = kAccount;
  input.time_zone = kZone;
  input.posts = WeeklyHistory(absl::CivilDay(2027, 1, 4), 8, SevenWeeklyHours(), ThreeGoodHours);
  input.current_cadence = FiveSlotCadence();
  absl::TimeZone zone;
  absl::LoadTimeZone(kZone, &zone);
  input.now = absl::FromCivil(absl::CivilSecond(2027, 3, 1, 10, 0, 0), zone);
  return input;
}

}  // namespace carecast::metrics::testing
