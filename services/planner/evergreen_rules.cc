#include "services/planner/evergreen_rules.h"

#include <tuple>

#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

absl::Duration FromDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

bool ValidMonthDay(int month, int day) {
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  // A leap year, so 02-29 is a valid day; CivilDay normalises 04-31 to 05-01.
  const absl::CivilDay d(2024, month, day);
  return d.month() == month && d.day() == day;
}

int DayOfYear(int month, int day) { return month * 100 + day; }

}  // namespace

absl::Status ValidateEvergreenItem(const v1::EvergreenItem& item, absl::Time now) {
  if (item.accounts_size() < 1 || item.accounts_size() > kMaxEvergreenAccounts) {
    return absl::InvalidArgumentError("item.accounts must name 1 to 50 accounts");
  }
  const absl::Duration cooldown = FromDuration(item.cooldown());
  if (cooldown < kMinEvergreenCooldown || cooldown > kMaxEvergreenCooldown) {
    return absl::InvalidArgumentError(
        "item.cooldown must be between 1 hour and 365 days (a cooldown of zero would let one "
        "item fill every slot)");
  }
  if (item.max_repeats() < 1 || item.max_repeats() > kMaxEvergreenRepeats) {
    return absl::InvalidArgumentError("item.max_repeats must be 1 to 1000");
  }
  if (item.seasons_size() > kMaxSeasons) {
    return absl::InvalidArgumentError("item.seasons: at most 12 windows");
  }
  for (int i = 0; i < item.seasons_size(); ++i) {
    const v1::SeasonalWindow& w = item.seasons(i);
    if (!ValidMonthDay(w.start_month(), w.start_day()) ||
        !ValidMonthDay(w.end_month(), w.end_day())) {
      return absl::InvalidArgumentError(
          absl::StrCat("item.seasons[", i, "] must name real days of the year (month 1-12)"));
    }
  }
  RETURN_IF_ERROR(CheckTimestamp("item.review_expire_time", item.has_review_expire_time(),
                                 item.review_expire_time()));
  if (FromProto(item.review_expire_time()) <= now) {
    return absl::InvalidArgumentError("item.review_expire_time must be in the future");
  }
  if (item.on_review_expiry() != v1::REVIEW_EXPIRY_ACTION_RETIRE &&
      item.on_review_expiry() != v1::REVIEW_EXPIRY_ACTION_REVIEW) {
    return absl::InvalidArgumentError("item.on_review_expiry must be RETIRE or REVIEW");
  }
  return absl::OkStatus();
}

bool InSeason(const google::protobuf::RepeatedPtrField<v1::SeasonalWindow>& seasons,
              absl::CivilDay day) {
  if (seasons.empty()) return true;
  const int d = DayOfYear(day.month(), day.day());
  for (const v1::SeasonalWindow& w : seasons) {
    const int start = DayOfYear(w.start_month(), w.start_day());
    const int end = DayOfYear(w.end_month(), w.end_day());
    const bool in = start <= end ? (start <= d && d <= end) : (d >= start || d <= end);
    if (in) return true;
  }
  return false;
}

std::optional<std::string_view> WhyNotEligible(const v1::EvergreenItem& item,
                                               std::string_view account, absl::Time slot,
                                               absl::CivilDay local_day) {
  if (item.state() != v1::EVERGREEN_STATE_ACTIVE) return "not active";
  if (slot >= FromProto(item.review_expire_time())) return "medical review expires first";
  if (!InSeason(item.seasons(), local_day)) return "out of season";
  auto it = item.account_states().find(std::string(account));
  if (it == item.account_states().end()) return std::nullopt;
  const v1::EvergreenAccountState& state = it->second;
  if (!state.pending_post().empty()) return "a recurrence is still pending";
  if (state.repeats() >= item.max_repeats()) return "repeated as often as allowed";
  if (state.has_last_publish_time() &&
      slot < FromProto(state.last_publish_time()) + FromDuration(item.cooldown())) {
    return "in its cooldown";
  }
  return std::nullopt;
}

const v1::EvergreenItem* ChooseItem(const std::vector<const v1::EvergreenItem*>& eligible,
                                    std::string_view account) {
  const v1::EvergreenItem* best = nullptr;
  auto key = [&](const v1::EvergreenItem* item) {
    auto it = item->account_states().find(std::string(account));
    const bool published = it != item->account_states().end() && it->second.has_last_publish_time();
    const absl::Time last =
        published ? FromProto(it->second.last_publish_time()) : absl::InfinitePast();
    return std::make_tuple(published, last, item->name());
  };
  for (const v1::EvergreenItem* item : eligible) {
    if (best == nullptr || key(item) < key(best)) best = item;
  }
  return best;
}

bool SettlePending(v1::EvergreenAccountState& state, const v1::Post* post, absl::Time now,
                   absl::Duration grace) {
  if (state.pending_post().empty()) return false;
  if (post == nullptr) {
    if (FromProto(state.pending_since()) + grace >= now) return false;
  } else {
    switch (post->state()) {
      case v1::POST_STATE_PUBLISHED:
        state.set_repeats(state.repeats() + 1);
        *state.mutable_last_publish_time() =
            post->has_published_time() ? post->published_time() : post->publish_time();
        break;
      case v1::POST_STATE_FAILED:
      case v1::POST_STATE_CANCELLED:
        break;
      default:  // scheduled, publishing, or waiting for a person
        return false;
    }
  }
  state.clear_pending_post();
  state.clear_pending_since();
  return true;
}

}  // namespace carecast::planner
