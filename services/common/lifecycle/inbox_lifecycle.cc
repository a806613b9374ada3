#include "services/common/lifecycle/inbox_lifecycle.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::lifecycle {
namespace {

using common::AsAbsl;

constexpr std::string_view kStatePrefix = "INBOX_ITEM_STATE_";

struct Rule {
  v1::InboxItemState to;
  // Completes "<subject> is <STATE>; " when the move is refused.
  std::string_view requirement;
};

// The target and refusal of each event. A new event is a compile error here.
Rule RuleFor(InboxEvent event) {
  switch (event) {
    case InboxEvent::kOpen:
      return {v1::INBOX_ITEM_STATE_NEW, "only a new inbox item can be opened"};
    case InboxEvent::kAssign:
      return {v1::INBOX_ITEM_STATE_ASSIGNED, "only unresolved inbox items can be assigned"};
    case InboxEvent::kWait:
      return {v1::INBOX_ITEM_STATE_WAITING, "only ASSIGNED inbox items can wait on the public"};
    case InboxEvent::kResolve:
      return {v1::INBOX_ITEM_STATE_RESOLVED, "only unresolved inbox items can be resolved"};
  }
  return {v1::INBOX_ITEM_STATE_UNSPECIFIED, "that is not an inbox event"};
}

// The events each (current) state allows. A new state is a compile error here.
bool Allows(v1::InboxItemState from, InboxEvent event) {
  switch (from) {
    case v1::INBOX_ITEM_STATE_UNSPECIFIED:
      return event == InboxEvent::kOpen;
    case v1::INBOX_ITEM_STATE_NEW:
      return event == InboxEvent::kAssign || event == InboxEvent::kResolve;
    case v1::INBOX_ITEM_STATE_ASSIGNED:
      return event == InboxEvent::kAssign || event == InboxEvent::kWait ||
             event == InboxEvent::kResolve;
    case v1::INBOX_ITEM_STATE_WAITING:
      return event == InboxEvent::kAssign || event == InboxEvent::kResolve;
    case v1::INBOX_ITEM_STATE_RESOLVED:
    // Legacy values never reach here (Current maps them); terminal above; the
    // proto sentinels are no state at all.
    case v1::INBOX_ITEM_STATE_OPEN:
    case v1::INBOX_ITEM_STATE_CLOSED:
    case v1::InboxItemState_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::InboxItemState_INT_MAX_SENTINEL_DO_NOT_USE_:
      return false;
  }
  return false;  // outside the enum
}

}  // namespace

std::string_view EventName(InboxEvent event) {
  switch (event) {
    case InboxEvent::kOpen:
      return "open";
    case InboxEvent::kAssign:
      return "assign";
    case InboxEvent::kWait:
      return "wait";
    case InboxEvent::kResolve:
      return "resolve";
  }
  return "unknown";
}

std::string_view StateName(v1::InboxItemState state) {
  // Generated names live as long as the program; the view stays valid.
  std::string_view name = v1::InboxItemState_Name(state);
  if (name.empty()) return "UNKNOWN";
  if (name.starts_with(kStatePrefix)) name.remove_prefix(kStatePrefix.size());
  return name;
}

v1::InboxItemState Current(v1::InboxItemState state) {
  if (state == v1::INBOX_ITEM_STATE_OPEN) return v1::INBOX_ITEM_STATE_NEW;
  if (state == v1::INBOX_ITEM_STATE_CLOSED) return v1::INBOX_ITEM_STATE_RESOLVED;
  return state;
}

absl::StatusOr<v1::InboxItemState> Next(v1::InboxItemState from, InboxEvent event,
                                        std::string_view subject) {
  const v1::InboxItemState current = Current(from);
  const Rule rule = RuleFor(event);
  if (Allows(current, event)) return rule.to;
  if (current == v1::INBOX_ITEM_STATE_RESOLVED && event == InboxEvent::kResolve) {
    // The listener's message for a second, different resolution of the same item.
    return absl::FailedPreconditionError(absl::StrCat(AsAbsl(subject), " is already resolved"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      AsAbsl(subject), " is ", AsAbsl(StateName(current)), "; ", AsAbsl(rule.requirement)));
}

bool IsTerminal(v1::InboxItemState state) {
  switch (state) {
    case v1::INBOX_ITEM_STATE_RESOLVED:
    case v1::INBOX_ITEM_STATE_CLOSED:
      return true;
    case v1::INBOX_ITEM_STATE_UNSPECIFIED:
    case v1::INBOX_ITEM_STATE_OPEN:
    case v1::INBOX_ITEM_STATE_NEW:
    case v1::INBOX_ITEM_STATE_ASSIGNED:
    case v1::INBOX_ITEM_STATE_WAITING:
    case v1::InboxItemState_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::InboxItemState_INT_MAX_SENTINEL_DO_NOT_USE_:
      return false;
  }
  return false;  // outside the enum
}

}  // namespace carecast::lifecycle
