#include "services/metrics/best_times.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"

#include "services/common/base/account_name.h"
#include "services/common/base/ids.h"
#include "services/common/base/weekday.h"
#include "services/common/cadence/cadence.h"
#include "services/common/cadence/recurrence.h"

namespace carecast::metrics {
namespace {

namespace cadence = common::cadence;

constexpr int kHoursPerWeek = 168;
constexpr int kMinutesPerDay = 24 * 60;
constexpr int kMinutesPerWeek = 7 * kMinutesPerDay;
// Instances of one week asked of the cadence at most (one every 5 minutes).
constexpr size_t kMaxWeekInstances = kMinutesPerWeek / 5 + 1;
constexpr std::array<const char*, 7> kDayNames = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<const char*, 7> kDayCodes = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};

absl::Status CheckAccountName(const std::string& name) {
  if (!common::ParseAccountIds(name)) {
    return absl::InvalidArgumentError("account must be spokes/{spoke}/accounts/{account}");
  }
  return absl::OkStatus();
}

// The posts of one hour of the week, or of the whole account.
struct Pool {
  int64_t posts = 0;
  int64_t impressions = 0;
  int64_t interactions = 0;
  std::vector<std::pair<double, double>> items;  // (rate, impressions) per post

  double Rate() const {
    return impressions > 0 ? static_cast<double>(interactions) / static_cast<double>(impressions)
                           : 0.0;
  }
  void Add(const PostEngagementSample& post) {
    ++posts;
    impressions += post.impressions;
    interactions += post.interactions;
    items.emplace_back(
        static_cast<double>(post.interactions) / static_cast<double>(post.impressions),
        static_cast<double>(post.impressions));
  }
};

struct HourFigure {
  int index = 0;  // (ISO day - 1) * 24 + hour
  int64_t posts = 0;
  double rate = 0;
  double lift = 0;
  double confidence = 0;
};

struct History {
  Pool account;
  std::array<Pool, kHoursPerWeek> pools;
  std::array<HourFigure, kHoursPerWeek> hours;
  int weeks = 0;  // distinct local ISO weeks with a post
};

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// The sample standard deviation of the per-post rates (unweighted).
double PostSpread(const Pool& pool) {
  if (pool.items.size() < 2) return 0;
  double mean = 0;
  for (const auto& [rate, unused] : pool.items) mean += rate;
  mean /= static_cast<double>(pool.items.size());
  double sum = 0;
  for (const auto& [rate, unused] : pool.items) sum += (rate - mean) * (rate - mean);
  return std::sqrt(sum / static_cast<double>(pool.items.size() - 1));
}

// P(the hour's true rate > the account's rate), normal approximation. The
// standard error is the largest of: the binomial one on the impressions, the
// cluster-robust one of a ratio estimate from the per-post rates, and the
// account's per-post spread (at least kMinRelativeSpread of its rate) over
// sqrt(posts).
double Confidence(const Pool& hour, double account_rate, double spread) {
  if (hour.posts == 0 || hour.impressions <= 0) return 0;
  const double rate = hour.Rate();
  const double total = static_cast<double>(hour.impressions);
  double variance = std::max(0.0, rate * (1 - rate)) / total;
  if (hour.posts >= 2) {
    double sum = 0;
    for (const auto& [post_rate, impressions] : hour.items) {
      sum += impressions * impressions * (post_rate - rate) * (post_rate - rate);
    }
    const double k = static_cast<double>(hour.posts);
    variance = std::max(variance, sum / (total * total) * k / (k - 1));
  }
  variance = std::max(variance, spread * spread / static_cast<double>(hour.posts));
  if (variance <= 0) return rate > account_rate ? 1.0 : (rate < account_rate ? 0.0 : 0.5);
  return NormalCdf((rate - account_rate) / std::sqrt(variance));
}

History BuildHistory(const std::vector<PostEngagementSample>& posts, const absl::TimeZone& zone) {
  History history;
  std::set<absl::CivilDay> weeks;
  for (const PostEngagementSample& post : posts) {
    if (post.impressions <= 0 || post.interactions < 0) continue;
    if (post.publish_time == absl::InfinitePast() || post.publish_time == absl::InfiniteFuture()) {
      continue;
    }
    const absl::CivilHour local = absl::ToCivilHour(post.publish_time, zone);
    const absl::CivilDay day(local);
    const int index = common::DaysSinceMonday(day) * 24 + local.hour();
    history.pools[index].Add(post);
    history.account.Add(post);
    weeks.insert(day - common::DaysSinceMonday(day));
  }
  history.weeks = static_cast<int>(weeks.size());
  const double account_rate = history.account.Rate();
  const double spread = std::max(PostSpread(history.account), kMinRelativeSpread * account_rate);
  for (int i = 0; i < kHoursPerWeek; ++i) {
    const Pool& pool = history.pools[i];
    HourFigure& figure = history.hours[i];
    figure.index = i;
    figure.posts = pool.posts;
    figure.rate = pool.Rate();
    figure.lift = account_rate > 0 && pool.posts > 0 ? figure.rate / account_rate : 0;
    figure.confidence = account_rate > 0 ? Confidence(pool, account_rate, spread) : 0;
  }
  return history;
}

// Hours with enough posts and a lift above 1, best first (lift, then
// confidence, then the earlier hour of the week).
std::vector<HourFigure> RankedHours(const History& history, double min_confidence) {
  std::vector<HourFigure> ranked;
  for (const HourFigure& figure : history.hours) {
    if (figure.posts >= kMinPostsPerHour && figure.lift > 1 &&
        figure.confidence >= min_confidence) {
      ranked.push_back(figure);
    }
  }
  std::sort(ranked.begin(), ranked.end(), [](const HourFigure& a, const HourFigure& b) {
    if (a.lift != b.lift) return a.lift > b.lift;
    if (a.confidence != b.confidence) return a.confidence > b.confidence;
    return a.index < b.index;
  });
  return ranked;
}

std::string HourText(int minute_of_week) {
  return absl::StrFormat("%s %02d:%02d", kDayNames[minute_of_week / kMinutesPerDay],
                         (minute_of_week % kMinutesPerDay) / 60, minute_of_week % 60);
}

// ---- The suggestion -------------------------------------------------------

absl::StatusOr<cadence::Cadence> ReadCadence(const v1::Cadence& stored,
                                             const std::string& time_zone) {
  cadence::CadenceSpec spec;
  spec.time_zone = time_zone;
  for (int i = 0; i < stored.slots_size(); ++i) {
    absl::CivilSecond start;
    absl::CivilMinute start_minute;
    const std::string& text = stored.slots(i).start_local_time();
    if (!absl::ParseCivilTime(text, &start)) {
      if (!absl::ParseCivilTime(text, &start_minute)) {
        return absl::InvalidArgumentError(
            absl::StrCat("slots[", i, "].start_local_time is not a local time"));
      }
      start = absl::CivilSecond(start_minute);
    }
    spec.slots.push_back({.rrule = stored.slots(i).rrule(), .start_local = start});
  }
  const google::protobuf::Duration& spacing = stored.min_spacing();
  if (spacing.seconds() < 0 || spacing.nanos() < 0 || spacing.nanos() >= 1'000'000'000) {
    return absl::InvalidArgumentError("min_spacing must not be negative");
  }
  spec.min_spacing = absl::Seconds(spacing.seconds()) + absl::Nanoseconds(spacing.nanos());
  spec.daily_cap = stored.daily_cap();
  return cadence::Cadence::Create(spec);
}

// The local minutes of the week (0 = Monday 00:00) of the cadence's instances
// in the local week starting on `monday`, sorted.
std::vector<int> WeekInstances(const cadence::Cadence& built, absl::CivilDay monday) {
  const absl::TimeZone& zone = built.zone();
  const absl::Time from = cadence::LocalToInstant(absl::CivilSecond(monday), zone);
  const absl::Time to = cadence::LocalToInstant(absl::CivilSecond(monday + 7), zone);
  std::vector<int> minutes;
  for (absl::Time at : built.Slots(from, to, kMaxWeekInstances)) {
    const absl::CivilMinute local = absl::ToCivilMinute(at, zone);
    const int64_t day = absl::CivilDay(local) - monday;
    if (day < 0 || day > 6) continue;
    minutes.push_back(static_cast<int>(day) * kMinutesPerDay + local.hour() * 60 + local.minute());
  }
  std::sort(minutes.begin(), minutes.end());
  return minutes;
}

// The local week the suggestion is made for: from the first Monday after
// `now`, or the Monday after that when the zone changes its UTC offset in that
// week (a 02:30 slot read on the night clocks jump is 03:30 that day only, and
// must not become 03:30 for good).
absl::CivilDay SuggestionMonday(absl::Time now, const absl::TimeZone& zone) {
  absl::CivilDay monday = absl::NextWeekday(absl::ToCivilDay(now, zone), absl::Weekday::monday);
  for (int tries = 0; tries < 2; ++tries) {
    const absl::Time from = cadence::LocalToInstant(absl::CivilSecond(monday), zone);
    const absl::Time to = cadence::LocalToInstant(absl::CivilSecond(monday + 7), zone);
    if (zone.At(from).offset == zone.At(to).offset) break;
    monday += 7;
  }
  return monday;
}

int CircularDistance(int a, int b) {
  const int d = std::abs(a - b) % kMinutesPerWeek;
  return std::min(d, kMinutesPerWeek - d);
}

struct MovePlan {
  std::vector<int> instances;     // the week's instances after the moves, sorted
  std::vector<int> destinations;  // the minutes the moved instances went to
};

// Moves the week's instances outside the best hours, the worst hour first, to
// free best hours (one instance each, on the hour), the best first, while the
// destination beats the source and keeps min_spacing (at least 5 minutes) and
// the daily cap.
MovePlan PlanMoves(const std::vector<int>& current, const History& history,
                   const std::vector<HourFigure>& good, const v1::Cadence& stored) {
  std::array<bool, kHoursPerWeek> is_good{};
  for (const HourFigure& figure : good) is_good[figure.index] = true;
  const auto hour_lift = [&](int minute) {
    const HourFigure& figure = history.hours[minute / 60];
    return figure.posts >= kMinPostsPerHour ? figure.lift : 1.0;
  };
  std::array<bool, kHoursPerWeek> taken{};
  std::vector<int> sources;
  for (int minute : current) {
    taken[minute / 60] = true;
    if (!is_good[minute / 60]) sources.push_back(minute);
  }
  std::stable_sort(sources.begin(), sources.end(),
                   [&](int a, int b) { return hour_lift(a) < hour_lift(b); });
  const int64_t spacing_minutes = std::max<int64_t>(
      5, (stored.min_spacing().seconds() + 59) / 60 + (stored.min_spacing().nanos() > 0 ? 1 : 0));
  MovePlan plan{.instances = current, .destinations = {}};
  for (int source : sources) {
    std::vector<int> rest = plan.instances;
    rest.erase(std::find(rest.begin(), rest.end(), source));
    for (const HourFigure& target : good) {
      if (target.lift <= hour_lift(source)) break;
      if (taken[target.index]) continue;
      const int minute = target.index * 60;
      const bool spaced = std::all_of(rest.begin(), rest.end(), [&](int other) {
        return CircularDistance(minute, other) >= spacing_minutes;
      });
      const auto same_day = std::count_if(rest.begin(), rest.end(), [&](int other) {
        return other / kMinutesPerDay == minute / kMinutesPerDay;
      });
      if (!spaced || (stored.daily_cap() > 0 && same_day >= stored.daily_cap())) continue;
      taken[target.index] = true;
      rest.insert(std::upper_bound(rest.begin(), rest.end(), minute), minute);
      plan.instances = std::move(rest);
      plan.destinations.push_back(minute);
      break;
    }
  }
  std::sort(plan.destinations.begin(), plan.destinations.end());
  return plan;
}

// One weekly series: every combination of its days, hours and minutes.
struct WeeklyGroup {
  std::set<int> days;  // 0 = Monday
  std::set<int> hours;
  std::set<int> minutes;
};

// The instances as weekly series: (hour, minute) -> days, then (days, minute)
// -> hours, then, when `merge_minutes`, (days, hours) -> minutes. Each series
// is exactly the product of its days, hours and minutes; its start is its
// first instance in the week starting on `monday`.
std::vector<v1::CadenceSlot> WeeklySeries(const std::vector<int>& instances, absl::CivilDay monday,
                                          bool merge_minutes) {
  std::map<std::pair<int, int>, std::set<int>> days_of;  // (hour, minute) -> days
  for (int m : instances) {
    days_of[{(m % kMinutesPerDay) / 60, m % 60}].insert(m / kMinutesPerDay);
  }
  std::map<std::pair<std::set<int>, int>, std::set<int>> hours_of;  // (days, minute) -> hours
  for (const auto& [hour_minute, days] : days_of) {
    hours_of[{days, hour_minute.second}].insert(hour_minute.first);
  }
  std::vector<WeeklyGroup> groups;
  if (merge_minutes) {
    std::map<std::pair<std::set<int>, std::set<int>>, std::set<int>> minutes_of;
    for (const auto& [days_minute, hours] : hours_of) {
      minutes_of[{days_minute.first, hours}].insert(days_minute.second);
    }
    for (const auto& [days_hours, minutes] : minutes_of) {
      groups.push_back({days_hours.first, days_hours.second, minutes});
    }
  } else {
    for (const auto& [days_minute, hours] : hours_of) {
      groups.push_back({days_minute.first, hours, {days_minute.second}});
    }
  }
  std::vector<v1::CadenceSlot> slots;
  for (const WeeklyGroup& group : groups) {
    std::vector<std::string> codes;
    for (int d : group.days) codes.emplace_back(kDayCodes[d]);
    v1::CadenceSlot& slot = slots.emplace_back();
    slot.set_rrule(absl::StrCat("FREQ=WEEKLY;BYDAY=", absl::StrJoin(codes, ","),
                                ";BYHOUR=", absl::StrJoin(group.hours, ","),
                                ";BYMINUTE=", absl::StrJoin(group.minutes, ",")));
    const absl::CivilDay day = monday + *group.days.begin();
    const absl::CivilSecond start(day.year(), day.month(), day.day(), *group.hours.begin(),
                                  *group.minutes.begin(), 0);
    slot.set_start_local_time(absl::FormatCivilTime(start));
  }
  return slots;
}

// Why the history cannot carry a suggestion, or nothing.
std::optional<std::string> HistoryShortfall(const History& history) {
  if (history.account.posts < kMinPostsForSuggestion) {
    return absl::StrCat(history.account.posts, " posts with readings; ", kMinPostsForSuggestion,
                        " are needed");
  }
  if (history.weeks < kMinWeeksForSuggestion) {
    return absl::StrCat("the ", history.account.posts, " posts with readings span ", history.weeks,
                        " week; ", kMinWeeksForSuggestion, " are needed");
  }
  if (history.account.interactions == 0) return "no post has any interaction yet";
  return std::nullopt;
}

// The suggested cadence for `plan`, checked as SetCadence checks it and giving
// the same number of instances in its first week; or why there is none.
absl::StatusOr<v1::Cadence> SuggestedCadence(const v1::Cadence& stored, const std::string& name,
                                             const std::string& time_zone,
                                             const std::vector<int>& instances,
                                             absl::CivilDay monday) {
  absl::Status last = absl::OkStatus();
  for (bool merge_minutes : {true, false}) {
    v1::Cadence out;
    out.set_name(name);
    for (v1::CadenceSlot& slot : WeeklySeries(instances, monday, merge_minutes)) {
      *out.add_slots() = std::move(slot);
    }
    *out.mutable_min_spacing() = stored.min_spacing();
    out.set_daily_cap(stored.daily_cap());
    if (out.slots_size() > cadence::kMaxRules) {
      last = absl::FailedPreconditionError(absl::StrCat("the moved slots need ", out.slots_size(),
                                                        " weekly series; at most ",
                                                        cadence::kMaxRules, " are allowed"));
      continue;
    }
    absl::StatusOr<cadence::Cadence> built = ReadCadence(out, time_zone);
    if (!built.ok()) {
      last = built.status();
      continue;
    }
    if (WeekInstances(*built, monday) != instances) {
      last = absl::InternalError("the weekly series do not give the planned instances");
      continue;
    }
    return out;
  }
  return last;
}

// Fills suggested_cadence when the history is sure enough and a move helps;
// always sets suggestion_reason.
void Suggest(const BestTimesInput& input, const absl::TimeZone& zone, const History& history,
             v1::GetBestTimesResponse& response) {
  if (!input.current_cadence.has_value()) {
    response.set_suggestion_reason("the account has no cadence to change");
    return;
  }
  if (std::optional<std::string> shortfall = HistoryShortfall(history)) {
    response.set_suggestion_reason(*shortfall);
    return;
  }
  const v1::Cadence& stored = *input.current_cadence;
  absl::StatusOr<cadence::Cadence> current = ReadCadence(stored, input.time_zone);
  if (!current.ok()) {
    response.set_suggestion_reason(
        absl::StrCat("the current cadence cannot be read: ", current.status().message()));
    return;
  }
  const absl::CivilDay monday = SuggestionMonday(input.now, zone);
  const std::vector<int> instances = WeekInstances(*current, monday);
  if (instances.empty()) {
    response.set_suggestion_reason(absl::StrCat("the current cadence has no slot in the week of ",
                                                absl::FormatCivilTime(monday)));
    return;
  }
  const std::vector<HourFigure> good = RankedHours(history, kMinSuggestionConfidence);
  if (good.empty()) {
    response.set_suggestion_reason(
        absl::StrCat("no hour of the week beats the account's usual rate with ",
                     static_cast<int>(kMinSuggestionConfidence * 100),
                     "% confidence over at least ", kMinPostsPerHour, " posts yet"));
    return;
  }
  const MovePlan plan = PlanMoves(instances, history, good, stored);
  if (plan.destinations.empty()) {
    response.set_suggestion_reason(absl::StrCat(
        "the ", instances.size(),
        " weekly slots already sit in the best hours, or no better hour keeps the spacing and "
        "daily cap"));
    return;
  }
  const std::string name = absl::StrCat(input.account, "/cadence");
  absl::StatusOr<v1::Cadence> suggested =
      SuggestedCadence(stored, name, input.time_zone, plan.instances, monday);
  if (!suggested.ok()) {
    response.set_suggestion_reason(absl::StrCat("no suggestion: ", suggested.status().message()));
    return;
  }
  int64_t impressions = 0;
  int64_t interactions = 0;
  std::vector<std::string> where;
  for (int minute : plan.destinations) {
    impressions += history.pools[minute / 60].impressions;
    interactions += history.pools[minute / 60].interactions;
    where.push_back(HourText(minute));
  }
  const double lift = (static_cast<double>(interactions) / static_cast<double>(impressions)) /
                      history.account.Rate();
  v1::SetCadenceRequest& request = *response.mutable_suggested_cadence();
  *request.mutable_cadence() = *std::move(suggested);
  request.set_expected_version(stored.version());
  request.set_request_id(SuggestionRequestId(input.account, stored.version(), request.cadence()));
  response.set_suggestion_reason(absl::StrFormat(
      "moves %d of %d weekly slots to %s where engagement runs %.1fx the account's usual rate",
      plan.destinations.size(), instances.size(), absl::StrJoin(where, ", "), lift));
}

}  // namespace

std::string SuggestionRequestId(const std::string& account, int64_t version,
                                const v1::Cadence& suggested) {
  std::string key = absl::StrCat(account, "\n", version, "\n");
  for (const v1::CadenceSlot& slot : suggested.slots()) {
    absl::StrAppend(&key, slot.rrule(), "\t", slot.start_local_time(), "\n");
  }
  absl::StrAppend(&key, suggested.min_spacing().seconds(), ".", suggested.min_spacing().nanos(),
                  "\n", suggested.daily_cap());
  return absl::StrCat("best-times-", common::Sha256Hex(key).substr(0, 32));
}

absl::StatusOr<v1::GetBestTimesResponse> ComputeBestTimes(const BestTimesInput& input) {
  if (absl::Status status = CheckAccountName(input.account); !status.ok()) return status;
  absl::StatusOr<absl::TimeZone> zone = cadence::LoadZone("time_zone", input.time_zone);
  if (!zone.ok()) return zone.status();
  if (input.top < 0 || input.top > kMaxTop) {
    return absl::InvalidArgumentError(
        absl::StrCat("top must be 1 to ", kMaxTop, " (0: ", kDefaultTop, ")"));
  }
  if (input.current_cadence.has_value() && !input.current_cadence->name().empty() &&
      input.current_cadence->name() != absl::StrCat(input.account, "/cadence")) {
    return absl::InvalidArgumentError(
        absl::StrCat("current_cadence.name must be ", input.account, "/cadence"));
  }
  const History history = BuildHistory(input.posts, *zone);
  v1::GetBestTimesResponse response;
  response.set_account(input.account);
  response.set_time_zone(input.time_zone);
  response.set_posts(history.account.posts);
  response.set_engagement_rate(history.account.Rate());
  const int top = input.top == 0 ? kDefaultTop : input.top;
  for (const HourFigure& figure : RankedHours(history, 0.0)) {
    if (response.best_hours_size() >= top) break;
    v1::HourOfWeek& hour = *response.add_best_hours();
    hour.set_day_of_week(figure.index / 24 + 1);
    hour.set_hour(figure.index % 24);
    hour.set_posts(figure.posts);
    hour.set_engagement_rate(figure.rate);
    hour.set_lift(figure.lift);
    hour.set_confidence(figure.confidence);
  }
  Suggest(input, *zone, history, response);
  return response;
}

}  // namespace carecast::metrics
