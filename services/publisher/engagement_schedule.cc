#include "services/publisher/engagement_schedule.h"

#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace carecast::publisher {
namespace {

// A duration as absl::ParseDuration reads it, plus whole days ("7d").
bool ParseSpan(absl::string_view text, absl::Duration* out) {
  text = absl::StripAsciiWhitespace(text);
  if (absl::ConsumeSuffix(&text, "d")) {
    int64_t days = 0;
    if (!absl::SimpleAtoi(text, &days) || days < 0 || days > 3650) return false;
    *out = absl::Hours(24 * days);
    return true;
  }
  return absl::ParseDuration(text, out);
}

}  // namespace

EngagementSchedule::EngagementSchedule()
    : tiers_({{absl::Hours(1), absl::Minutes(10)},
              {absl::Hours(24), absl::Hours(1)},
              {absl::Hours(24 * 7), absl::Hours(6)},
              {absl::Hours(24 * 28), absl::Hours(24)}}) {}

absl::StatusOr<EngagementSchedule> EngagementSchedule::Create(std::vector<EngagementTier> tiers) {
  if (tiers.empty()) return absl::InvalidArgumentError("the schedule needs at least one tier");
  absl::Duration previous = absl::ZeroDuration();
  for (const EngagementTier& tier : tiers) {
    if (tier.up_to_age <= previous)
      return absl::InvalidArgumentError(
          absl::StrCat("tier ages must increase: ", absl::FormatDuration(tier.up_to_age), " after ",
                       absl::FormatDuration(previous)));
    if (tier.interval <= absl::ZeroDuration() || tier.interval > tier.up_to_age)
      return absl::InvalidArgumentError(absl::StrCat(
          "the interval ", absl::FormatDuration(tier.interval),
          " must be positive and at most its tier's age ", absl::FormatDuration(tier.up_to_age)));
    previous = tier.up_to_age;
  }
  return EngagementSchedule(std::move(tiers));
}

absl::StatusOr<EngagementSchedule> EngagementSchedule::Parse(std::string_view text) {
  std::vector<EngagementTier> tiers;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(text.data(), text.size()), ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> halves = absl::StrSplit(part, ':');
    EngagementTier tier;
    if (halves.size() != 2 || !ParseSpan(halves[0], &tier.up_to_age) ||
        !ParseSpan(halves[1], &tier.interval)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", part, "\" is not <age>:<interval>, e.g. 24h:1h or 7d:6h"));
    }
    tiers.push_back(tier);
  }
  return Create(std::move(tiers));
}

absl::Time EngagementSchedule::FirstReading(absl::Time published) const {
  return published + tiers_.front().interval;
}

std::optional<absl::Time> EngagementSchedule::NextReading(absl::Time published,
                                                          absl::Time now) const {
  const absl::Duration age = now - published;
  for (const EngagementTier& tier : tiers_) {
    if (age < tier.up_to_age) {
      // Never later than the tier's end would allow, so a post read just
      // before max_age gets one last reading at max_age.
      return std::min(now + tier.interval, published + tier.up_to_age);
    }
  }
  return std::nullopt;
}

}  // namespace carecast::publisher
