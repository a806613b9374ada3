// Strict parsing and formatting of the planner's resource names (AIP-122) and
// their keys in the KV buckets and audit subjects.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace carecast::planner {

struct AccountName {
  std::string spoke;
  std::string account;
};

// Each parser returns the id(s), or INVALID_ARGUMENT naming `field` and the
// expected shape. Ids must satisfy common::IsValidId.
absl::StatusOr<std::string> ParseSpokeName(std::string_view field, std::string_view name);
absl::StatusOr<AccountName> ParseAccountName(std::string_view field, std::string_view name);
absl::StatusOr<std::string> ParseObjectiveName(std::string_view field, std::string_view name);
absl::StatusOr<std::string> ParseContentName(std::string_view field, std::string_view name);
absl::StatusOr<std::string> ParsePostName(std::string_view field, std::string_view name);
// "spokes/{spoke}/accounts/{account}/cadence": the account it belongs to.
absl::StatusOr<AccountName> ParseCadenceName(std::string_view field, std::string_view name);
absl::StatusOr<std::string> ParseBlackoutName(std::string_view field, std::string_view name);
// "spokes/{spoke}/reviewPolicy": the spoke id.
absl::StatusOr<std::string> ParseReviewPolicyName(std::string_view field, std::string_view name);
// "evergreenItems/{content}": the content id.
absl::StatusOr<std::string> ParseEvergreenItemName(std::string_view field, std::string_view name);
absl::StatusOr<std::string> ParseAudienceName(std::string_view field, std::string_view name);
absl::StatusOr<std::string> ParseCampaignName(std::string_view field, std::string_view name);
absl::StatusOr<std::string> ParsePatientAuthorizationName(std::string_view field,
                                                          std::string_view name);
absl::StatusOr<std::string> ParseTakedownTaskName(std::string_view field, std::string_view name);

std::string SpokeName(std::string_view spoke);
std::string AccountResourceName(std::string_view spoke, std::string_view account);
std::string ObjectiveName(std::string_view id);
std::string ContentName(std::string_view id);
std::string PostName(std::string_view id);
std::string CadenceName(const AccountName& account);
std::string BlackoutName(std::string_view id);
std::string EvergreenItemName(std::string_view content_id);
std::string AudienceName(std::string_view id);
std::string CampaignName(std::string_view id);
std::string PatientAuthorizationName(std::string_view id);
// A takedown task is named after its post: one task per post.
std::string TakedownTaskName(std::string_view post_id);
std::string ReviewPolicyName(std::string_view spoke);
// The audit resource of the global publishing switch.
inline constexpr std::string_view kPublishingResource = "publishing";

// KV keys. Organisation bucket: "spokes.<spoke>", "accounts.<spoke>.<account>".
// Objectives, contents and posts buckets: the bare id. Control bucket: "publishing".
std::string SpokeKey(std::string_view spoke);
std::string AccountKey(std::string_view spoke, std::string_view account);
std::string AccountKeyPrefix(std::string_view spoke);
// Also in the organisation bucket: "cadences.<spoke>.<account>",
// "queues.<spoke>.<account>" (the account's QueueLedger), "blackouts.<id>",
// "evergreen.<content>".
std::string CadenceKey(const AccountName& account);
std::string QueueKey(const AccountName& account);
std::string BlackoutKey(std::string_view id);
inline constexpr std::string_view kBlackoutKeyPrefix = "blackouts.";
// "evergreen.<content>": the EvergreenItem kept for that content.
std::string EvergreenKey(std::string_view content_id);
inline constexpr std::string_view kEvergreenKeyPrefix = "evergreen.";
// "audiences.<id>" and "campaigns.<id>", also in the organisation bucket.
std::string AudienceKey(std::string_view id);
std::string CampaignKey(std::string_view id);
inline constexpr std::string_view kAudienceKeyPrefix = "audiences.";
inline constexpr std::string_view kCampaignKeyPrefix = "campaigns.";
// "takedowns.<post>", also in the organisation bucket. Patient authorizations
// are in the contents bucket (lifecycle/patient_consent.h).
std::string TakedownKey(std::string_view post_id);
inline constexpr std::string_view kTakedownKeyPrefix = "takedowns.";
std::string PatientAuthorizationKey(std::string_view id);
// "reviewpolicies.<spoke>": the spoke's ReviewPolicy.
std::string ReviewPolicyKey(std::string_view spoke);
inline constexpr std::string_view kSpokeKeyPrefix = "spokes.";
inline constexpr std::string_view kPublishingKey = "publishing";

// A validated resource name of any kind, as accepted by ListAuditEntries:
// "spokes/s", "spokes/s/accounts/a", "objectives/o", "contents/c", "posts/p",
// "audiences/a", "campaigns/c" or "publishing". Returns its audit subject, e.g.
// "carecast.audit.contents.c" ("carecast.audit.control.publishing" for the switch).
absl::StatusOr<std::string> AuditSubjectForResource(std::string_view resource);
// The same mapping for a name known to be valid, without the check.
std::string AuditSubjectFor(std::string_view valid_resource);
// "contents/c" -> "contents.c": the resource part of deterministic event ids.
std::string EventIdStem(std::string_view valid_resource);

}  // namespace carecast::planner
