#include "services/common/lifecycle/post_lifecycle.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::lifecycle {
namespace {

using common::AsAbsl;

constexpr std::string_view kStatePrefix = "POST_STATE_";

struct Rule {
  v1::PostState to;
  // Completes "<subject> is <STATE>; " when the move is refused.
  std::string_view requirement;
};

// The target and refusal of each event. A new event is a compile error here.
Rule RuleFor(PostEvent event) {
  switch (event) {
    case PostEvent::kSchedule:
      return {v1::POST_STATE_SCHEDULED, "only a new post can be scheduled"};
    case PostEvent::kCancel:
      return {v1::POST_STATE_CANCELLED,
              "only SCHEDULED, NEEDS_HUMAN, AWAITING_APPROVAL or NEEDS_RESCHEDULE posts can be "
              "cancelled"};
    case PostEvent::kClaim:
      return {v1::POST_STATE_PUBLISHING, "only SCHEDULED posts can be claimed"};
    case PostEvent::kReleaseClaim:
      return {v1::POST_STATE_SCHEDULED, "only PUBLISHING posts can have their claim released"};
    case PostEvent::kReschedule:
      return {v1::POST_STATE_SCHEDULED, "only PUBLISHING posts can be rescheduled"};
    case PostEvent::kPublished:
      return {v1::POST_STATE_PUBLISHED, "only PUBLISHING posts can be recorded as published"};
    case PostEvent::kFailed:
      return {v1::POST_STATE_FAILED, "only SCHEDULED or PUBLISHING posts can fail"};
    case PostEvent::kNeedsHuman:
      return {v1::POST_STATE_NEEDS_HUMAN, "only PUBLISHING posts can be handed to a human"};
    case PostEvent::kConfirmPublished:
      return {v1::POST_STATE_PUBLISHED, "only NEEDS_HUMAN posts can be confirmed published"};
    case PostEvent::kConfirmNotPublished:
      return {v1::POST_STATE_SCHEDULED, "only NEEDS_HUMAN posts can be confirmed not published"};
    case PostEvent::kScheduleAwaiting:
      return {v1::POST_STATE_AWAITING_APPROVAL, "only a new post can await approval"};
    case PostEvent::kContentApproved:
      return {v1::POST_STATE_SCHEDULED,
              "only AWAITING_APPROVAL posts are scheduled by their content's approval"};
    case PostEvent::kApprovedLate:
      return {v1::POST_STATE_NEEDS_RESCHEDULE,
              "only AWAITING_APPROVAL posts can need rescheduling after a late approval"};
    case PostEvent::kSetNewTime:
      return {v1::POST_STATE_SCHEDULED, "only NEEDS_RESCHEDULE posts can be given a new time"};
  }
  return {v1::POST_STATE_UNSPECIFIED, "that is not a post event"};
}

// The events each state allows. A new state is a compile error here.
bool Allows(v1::PostState from, PostEvent event) {
  switch (from) {
    case v1::POST_STATE_UNSPECIFIED:
      return event == PostEvent::kSchedule || event == PostEvent::kScheduleAwaiting;
    case v1::POST_STATE_SCHEDULED:
      return event == PostEvent::kCancel || event == PostEvent::kClaim ||
             event == PostEvent::kFailed;
    case v1::POST_STATE_PUBLISHING:
      return event == PostEvent::kReleaseClaim || event == PostEvent::kReschedule ||
             event == PostEvent::kPublished || event == PostEvent::kFailed ||
             event == PostEvent::kNeedsHuman;
    case v1::POST_STATE_NEEDS_HUMAN:
      // Only a person moves it on: the dispatcher has nothing left to try.
      return event == PostEvent::kConfirmPublished || event == PostEvent::kConfirmNotPublished ||
             event == PostEvent::kCancel;
    case v1::POST_STATE_AWAITING_APPROVAL:
      return event == PostEvent::kContentApproved || event == PostEvent::kApprovedLate ||
             event == PostEvent::kCancel;
    case v1::POST_STATE_NEEDS_RESCHEDULE:
      return event == PostEvent::kSetNewTime || event == PostEvent::kCancel;
    case v1::POST_STATE_PUBLISHED:
    case v1::POST_STATE_CANCELLED:
    case v1::POST_STATE_FAILED:
    // Terminal above; the proto sentinels are no state at all.
    case v1::PostState_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::PostState_INT_MAX_SENTINEL_DO_NOT_USE_:
      return false;
  }
  return false;  // outside the enum
}

absl::Status Refuse(std::string_view subject, v1::PostState from, std::string_view requirement) {
  return absl::FailedPreconditionError(
      absl::StrCat(AsAbsl(subject), " is ", AsAbsl(StateName(from)), "; ", AsAbsl(requirement)));
}

}  // namespace

std::string_view EventName(PostEvent event) {
  switch (event) {
    case PostEvent::kSchedule:
      return "schedule";
    case PostEvent::kCancel:
      return "cancel";
    case PostEvent::kClaim:
      return "claim";
    case PostEvent::kReleaseClaim:
      return "release_claim";
    case PostEvent::kReschedule:
      return "reschedule";
    case PostEvent::kPublished:
      return "published";
    case PostEvent::kFailed:
      return "failed";
    case PostEvent::kNeedsHuman:
      return "needs_human";
    case PostEvent::kConfirmPublished:
      return "confirm_published";
    case PostEvent::kConfirmNotPublished:
      return "confirm_not_published";
    case PostEvent::kScheduleAwaiting:
      return "schedule_awaiting";
    case PostEvent::kContentApproved:
      return "content_approved";
    case PostEvent::kApprovedLate:
      return "approved_late";
    case PostEvent::kSetNewTime:
      return "set_new_time";
  }
  return "unknown";
}

std::string_view StateName(v1::PostState state) {
  // Generated names live as long as the program; the view stays valid.
  std::string_view name = v1::PostState_Name(state);
  if (name.empty()) return "UNKNOWN";
  if (name.starts_with(kStatePrefix)) name.remove_prefix(kStatePrefix.size());
  return name;
}

absl::StatusOr<v1::PostState> Next(v1::PostState from, PostEvent event, std::string_view subject) {
  const Rule rule = RuleFor(event);
  if (!Allows(from, event)) return Refuse(subject, from, rule.requirement);
  return rule.to;
}

absl::StatusOr<v1::PostState> NextOnReceipt(v1::PostState from, std::string_view subject) {
  switch (from) {
    case v1::POST_STATE_SCHEDULED:
    case v1::POST_STATE_PUBLISHING:
    case v1::POST_STATE_PUBLISHED:
    case v1::POST_STATE_CANCELLED:
    case v1::POST_STATE_FAILED:
    case v1::POST_STATE_NEEDS_HUMAN:
    case v1::POST_STATE_AWAITING_APPROVAL:
    case v1::POST_STATE_NEEDS_RESCHEDULE:
      return v1::POST_STATE_PUBLISHED;
    case v1::POST_STATE_UNSPECIFIED:
    case v1::PostState_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::PostState_INT_MAX_SENTINEL_DO_NOT_USE_:
      break;
  }
  return Refuse(subject, from, "only a stored post can be recorded as published");
}

bool IsTerminal(v1::PostState state) {
  switch (state) {
    case v1::POST_STATE_PUBLISHED:
    case v1::POST_STATE_CANCELLED:
    case v1::POST_STATE_FAILED:
      return true;
    case v1::POST_STATE_UNSPECIFIED:
    case v1::POST_STATE_SCHEDULED:
    case v1::POST_STATE_PUBLISHING:
    case v1::POST_STATE_NEEDS_HUMAN:
    case v1::POST_STATE_AWAITING_APPROVAL:
    case v1::POST_STATE_NEEDS_RESCHEDULE:
    case v1::PostState_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::PostState_INT_MAX_SENTINEL_DO_NOT_USE_:
      return false;
  }
  return false;  // outside the enum
}

}  // namespace carecast::lifecycle
