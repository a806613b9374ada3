// The rules of evergreen recycling, as pure functions: what a valid item is,
// whether a recurrence may take a given slot on an account, which of several
// eligible items goes first, and how a settled recurrence updates the item.
//
// A recurrence is anchored to the actual publication of the previous one on
// the same account (never to when a pass ran), and only one recurrence per
// item and account is ever pending. With one post per cadence slot and posts
// that are never published late (Post.late_tolerance), an outage cannot
// release a burst of recycled posts.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::planner {

inline constexpr absl::Duration kMinEvergreenCooldown = absl::Hours(1);
inline constexpr absl::Duration kMaxEvergreenCooldown = absl::Hours(24 * 365);
inline constexpr int kMaxEvergreenRepeats = 1000;
inline constexpr int kMaxEvergreenAccounts = 50;
inline constexpr int kMaxSeasons = 12;

// INVALID_ARGUMENT naming the field ("item.cooldown", "item.seasons[1]", ...)
// for an item as written by a person (content and accounts are checked by the
// caller against the buckets).
absl::Status ValidateEvergreenItem(const v1::EvergreenItem& item, absl::Time now);

// Whether `day` lies in one of `seasons` (inclusive; a window may wrap the new
// year). No seasons: every day.
bool InSeason(const google::protobuf::RepeatedPtrField<v1::SeasonalWindow>& seasons,
              absl::CivilDay day);

// Why `item` may not take `slot` on `account` (whose local day is `local_day`),
// or nullopt when it may. The item's state for the account must be settled.
std::optional<std::string_view> WhyNotEligible(const v1::EvergreenItem& item,
                                               std::string_view account, absl::Time slot,
                                               absl::CivilDay local_day);

// Of the items (each eligible), the one to use: never published on the account
// first, then the longest since its last publication, then by name.
const v1::EvergreenItem* ChooseItem(const std::vector<const v1::EvergreenItem*>& eligible,
                                    std::string_view account);

// What became of the pending recurrence of `account`, from its post (nullptr
// when the post does not exist). Returns true when the state changed: a
// published post counts a repeat and becomes the anchor; a failed or
// cancelled one, or one that never came to be `grace` after it was reserved,
// frees the item for the next slot.
bool SettlePending(v1::EvergreenAccountState& state, const v1::Post* post, absl::Time now,
                   absl::Duration grace);

}  // namespace carecast::planner
