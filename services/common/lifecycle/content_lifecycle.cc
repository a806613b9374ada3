#include "services/common/lifecycle/content_lifecycle.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::lifecycle {
namespace {

using common::AsAbsl;

constexpr std::string_view kStatePrefix = "CONTENT_STATE_";

struct Rule {
  v1::ContentState to;
  // Completes "<subject> is <STATE>; " when the move is refused.
  std::string_view requirement;
};

// The target and refusal of each event. A new event is a compile error here.
Rule RuleFor(ContentEvent event) {
  switch (event) {
    case ContentEvent::kCreate:
      return {v1::CONTENT_STATE_DRAFT, "only new content can be created"};
    case ContentEvent::kEdit:
      return {v1::CONTENT_STATE_DRAFT,
              "only DRAFT, IN_REVIEW, APPROVED or REJECTED content can be edited"};
    case ContentEvent::kSubmit:
      return {v1::CONTENT_STATE_IN_REVIEW, "only DRAFT or REJECTED content can be submitted"};
    case ContentEvent::kApprove:
      return {v1::CONTENT_STATE_APPROVED, "only IN_REVIEW content can be approved"};
    case ContentEvent::kReject:
      return {v1::CONTENT_STATE_REJECTED, "only IN_REVIEW content can be rejected"};
  }
  return {v1::CONTENT_STATE_UNSPECIFIED, "that is not a content event"};
}

// The events each state allows. A new state is a compile error here.
bool Allows(v1::ContentState from, ContentEvent event) {
  switch (from) {
    case v1::CONTENT_STATE_UNSPECIFIED:
      return event == ContentEvent::kCreate;
    case v1::CONTENT_STATE_DRAFT:
      return event == ContentEvent::kEdit || event == ContentEvent::kSubmit;
    case v1::CONTENT_STATE_IN_REVIEW:
      return event == ContentEvent::kEdit || event == ContentEvent::kApprove ||
             event == ContentEvent::kReject;
    case v1::CONTENT_STATE_APPROVED:
      return event == ContentEvent::kEdit;
    case v1::CONTENT_STATE_REJECTED:
      return event == ContentEvent::kEdit || event == ContentEvent::kSubmit;
    case v1::ContentState_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::ContentState_INT_MAX_SENTINEL_DO_NOT_USE_:
      return false;
  }
  return false;  // outside the enum
}

}  // namespace

std::string_view EventName(ContentEvent event) {
  switch (event) {
    case ContentEvent::kCreate:
      return "create";
    case ContentEvent::kEdit:
      return "edit";
    case ContentEvent::kSubmit:
      return "submit";
    case ContentEvent::kApprove:
      return "approve";
    case ContentEvent::kReject:
      return "reject";
  }
  return "unknown";
}

std::string_view StateName(v1::ContentState state) {
  // Generated names live as long as the program; the view stays valid.
  std::string_view name = v1::ContentState_Name(state);
  if (name.empty()) return "UNKNOWN";
  if (name.starts_with(kStatePrefix)) name.remove_prefix(kStatePrefix.size());
  return name;
}

absl::StatusOr<v1::ContentState> Next(v1::ContentState from, ContentEvent event,
                                      std::string_view subject) {
  const Rule rule = RuleFor(event);
  if (!Allows(from, event)) {
    return absl::FailedPreconditionError(absl::StrCat(
        AsAbsl(subject), " is ", AsAbsl(StateName(from)), "; ", AsAbsl(rule.requirement)));
  }
  return rule.to;
}

bool IsApprovedAt(const v1::Content& content, int64_t version, std::string_view hash) {
  if (version < 1 || hash.empty()) return false;
  return content.state() == v1::CONTENT_STATE_APPROVED && content.version() == version &&
         content.content_hash() == hash && content.approval().version() == version &&
         content.approval().content_hash() == hash;
}

}  // namespace carecast::lifecycle
