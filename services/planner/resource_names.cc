#include "services/planner/resource_names.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"
#include "services/common/bus/subjects.h"
#include "services/common/lifecycle/patient_consent.h"

namespace carecast::planner {
namespace {

using common::AsAbsl;

absl::Status Malformed(std::string_view field, std::string_view shape) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), " must look like ", AsAbsl(shape),
                                                 " with ids of 1-63 characters [a-z0-9-]"));
}

// Splits `name` into segments; true when it is exactly collection/id pairs whose
// collections equal `collections` and whose ids are valid.
bool SplitName(std::string_view name, const std::vector<std::string_view>& collections,
               std::vector<std::string>* ids) {
  if (name.empty() || name.size() > 256) return false;
  std::vector<std::string> parts = absl::StrSplit(AsAbsl(name), '/');
  if (parts.size() != collections.size() * 2) return false;
  for (size_t i = 0; i < collections.size(); ++i) {
    if (parts[2 * i] != collections[i]) return false;
    if (!common::IsValidId(parts[2 * i + 1])) return false;
    ids->push_back(parts[2 * i + 1]);
  }
  return true;
}

absl::StatusOr<std::string> ParseSimple(std::string_view field, std::string_view name,
                                        std::string_view collection, std::string_view shape) {
  std::vector<std::string> ids;
  if (!SplitName(name, {collection}, &ids)) return Malformed(field, shape);
  return ids[0];
}

}  // namespace

absl::StatusOr<std::string> ParseSpokeName(std::string_view field, std::string_view name) {
  return ParseSimple(field, name, "spokes", "spokes/{spoke}");
}

absl::StatusOr<AccountName> ParseAccountName(std::string_view field, std::string_view name) {
  std::vector<std::string> ids;
  if (!SplitName(name, {"spokes", "accounts"}, &ids)) {
    return Malformed(field, "spokes/{spoke}/accounts/{account}");
  }
  return AccountName{ids[0], ids[1]};
}

absl::StatusOr<std::string> ParseObjectiveName(std::string_view field, std::string_view name) {
  return ParseSimple(field, name, "objectives", "objectives/{objective}");
}

absl::StatusOr<std::string> ParseContentName(std::string_view field, std::string_view name) {
  return ParseSimple(field, name, "contents", "contents/{content}");
}

absl::StatusOr<std::string> ParsePostName(std::string_view field, std::string_view name) {
  return ParseSimple(field, name, "posts", "posts/{post}");
}

absl::StatusOr<AccountName> ParseCadenceName(std::string_view field, std::string_view name) {
  constexpr std::string_view kSuffix = "/cadence";
  std::vector<std::string> ids;
  if (name.size() <= kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix ||
      !SplitName(name.substr(0, name.size() - kSuffix.size()), {"spokes", "accounts"}, &ids)) {
    return Malformed(field, "spokes/{spoke}/accounts/{account}/cadence");
  }
  return AccountName{ids[0], ids[1]};
}

absl::StatusOr<std::string> ParseReviewPolicyName(std::string_view field, std::string_view name) {
  constexpr std::string_view kSuffix = "/reviewPolicy";
  std::vector<std::string> ids;
  if (name.size() <= kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix ||
      !SplitName(name.substr(0, name.size() - kSuffix.size()), {"spokes"}, &ids)) {
    return Malformed(field, "spokes/{spoke}/reviewPolicy");
  }
  return ids[0];
}

absl::StatusOr<std::string> ParseBlackoutName(std::string_view field, std::string_view name) {
  return ParseSimple(field, name, "blackouts", "blackouts/{blackout}");
}

absl::StatusOr<std::string> ParseEvergreenItemName(std::string_view field, std::string_view name) {
  return ParseSimple(field, name, "evergreenItems", "evergreenItems/{content}");
}

absl::StatusOr<std::string> ParseAudienceName(std::string_view field, std::string_view name) {
  return ParseSimple(field, name, "audiences", "audiences/{audience}");
}

absl::StatusOr<std::string> ParseCampaignName(std::string_view field, std::string_view name) {
  return ParseSimple(field, name, "campaigns", "campaigns/{campaign}");
}

absl::StatusOr<std::string> ParsePatientAuthorizationName(std::string_view field,
                                                          std::string_view name) {
  return ParseSimple(field, name, "patientAuthorizations", "patientAuthorizations/{authorization}");
}

absl::StatusOr<std::string> ParseTakedownTaskName(std::string_view field, std::string_view name) {
  return ParseSimple(field, name, "takedownTasks", "takedownTasks/{task}");
}

std::string SpokeName(std::string_view spoke) { return absl::StrCat("spokes/", AsAbsl(spoke)); }
std::string AccountResourceName(std::string_view spoke, std::string_view account) {
  return absl::StrCat("spokes/", AsAbsl(spoke), "/accounts/", AsAbsl(account));
}
std::string ObjectiveName(std::string_view id) { return absl::StrCat("objectives/", AsAbsl(id)); }
std::string ContentName(std::string_view id) { return absl::StrCat("contents/", AsAbsl(id)); }
std::string PostName(std::string_view id) { return absl::StrCat("posts/", AsAbsl(id)); }
std::string CadenceName(const AccountName& account) {
  return absl::StrCat(AccountResourceName(account.spoke, account.account), "/cadence");
}
std::string BlackoutName(std::string_view id) { return absl::StrCat("blackouts/", AsAbsl(id)); }
std::string EvergreenItemName(std::string_view content_id) {
  return absl::StrCat("evergreenItems/", AsAbsl(content_id));
}
std::string AudienceName(std::string_view id) { return absl::StrCat("audiences/", AsAbsl(id)); }
std::string CampaignName(std::string_view id) { return absl::StrCat("campaigns/", AsAbsl(id)); }
std::string PatientAuthorizationName(std::string_view id) {
  return absl::StrCat(AsAbsl(lifecycle::kPatientAuthorizationCollection), AsAbsl(id));
}
std::string TakedownTaskName(std::string_view post_id) {
  return absl::StrCat("takedownTasks/", AsAbsl(post_id));
}

std::string ReviewPolicyName(std::string_view spoke) {
  return absl::StrCat(SpokeName(spoke), "/reviewPolicy");
}

std::string SpokeKey(std::string_view spoke) { return absl::StrCat("spokes.", AsAbsl(spoke)); }
std::string AccountKey(std::string_view spoke, std::string_view account) {
  return absl::StrCat("accounts.", AsAbsl(spoke), ".", AsAbsl(account));
}
std::string AccountKeyPrefix(std::string_view spoke) {
  return absl::StrCat("accounts.", AsAbsl(spoke), ".");
}

std::string CadenceKey(const AccountName& account) {
  return absl::StrCat("cadences.", AsAbsl(account.spoke), ".", AsAbsl(account.account));
}
std::string QueueKey(const AccountName& account) {
  return absl::StrCat("queues.", AsAbsl(account.spoke), ".", AsAbsl(account.account));
}
std::string BlackoutKey(std::string_view id) { return absl::StrCat("blackouts.", AsAbsl(id)); }
std::string ReviewPolicyKey(std::string_view spoke) {
  return absl::StrCat("reviewpolicies.", AsAbsl(spoke));
}
std::string EvergreenKey(std::string_view content_id) {
  return absl::StrCat("evergreen.", AsAbsl(content_id));
}
std::string AudienceKey(std::string_view id) { return absl::StrCat("audiences.", AsAbsl(id)); }
std::string CampaignKey(std::string_view id) { return absl::StrCat("campaigns.", AsAbsl(id)); }
std::string TakedownKey(std::string_view post_id) {
  return absl::StrCat(AsAbsl(kTakedownKeyPrefix), AsAbsl(post_id));
}
std::string PatientAuthorizationKey(std::string_view id) {
  return absl::StrCat(AsAbsl(lifecycle::kPatientAuthorizationKeyPrefix), AsAbsl(id));
}

absl::StatusOr<std::string> AuditSubjectForResource(std::string_view resource) {
  std::vector<std::string> ids;
  bool ok =
      resource == kPublishingResource || ParseCadenceName("resource", resource).ok() ||
      ParseReviewPolicyName("resource", resource).ok() ||
      SplitName(resource, {"blackouts"}, &ids) || SplitName(resource, {"evergreenItems"}, &ids) ||
      SplitName(resource, {"spokes"}, &ids) || SplitName(resource, {"spokes", "accounts"}, &ids) ||
      SplitName(resource, {"objectives"}, &ids) || SplitName(resource, {"contents"}, &ids) ||
      SplitName(resource, {"posts"}, &ids) || SplitName(resource, {"audiences"}, &ids) ||
      SplitName(resource, {"campaigns"}, &ids) ||
      SplitName(resource, {"patientAuthorizations"}, &ids) ||
      SplitName(resource, {"takedownTasks"}, &ids) ||
      // The listener's replies and reply policies (docs/replies.md).
      SplitName(resource, {"inboxItems", "replies"}, &ids) ||
      SplitName(resource, {"replyPolicies"}, &ids) ||
      SplitName(resource, {"listeningSettings"}, &ids);
  if (!ok) {
    return absl::InvalidArgumentError(
        "resource must be a resource name such as contents/{content}, posts/{post}, "
        "spokes/{spoke}, spokes/{spoke}/accounts/{account}, "
        "spokes/{spoke}/accounts/{account}/cadence, spokes/{spoke}/reviewPolicy, "
        "blackouts/{blackout}, evergreenItems/{content}, audiences/{audience}, "
        "campaigns/{campaign}, patientAuthorizations/{authorization}, takedownTasks/{task}, "
        "inboxItems/{item}/replies/{reply}, replyPolicies/{spoke}, listeningSettings/keywords, "
        "objectives/{objective} or publishing");
  }
  return AuditSubjectFor(resource);
}

std::string AuditSubjectFor(std::string_view valid_resource) {
  if (valid_resource == kPublishingResource) {
    return absl::StrCat(AsAbsl(common::subjects::kAuditPrefix), "control.publishing");
  }
  return absl::StrCat(AsAbsl(common::subjects::kAuditPrefix), EventIdStem(valid_resource));
}

std::string EventIdStem(std::string_view valid_resource) {
  if (valid_resource == kPublishingResource) return "control.publishing";
  return absl::StrReplaceAll(AsAbsl(valid_resource), {{"/", "."}});
}

}  // namespace carecast::planner
