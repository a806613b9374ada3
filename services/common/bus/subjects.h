// NATS subject matching, and the subject names of the event catalogue under their
// older spelling. The strings live in event_catalogue.h (with the streams and
// buckets); new code names a kind there, e.g. events::kPostScheduled.
#pragma once

#include <string_view>

#include "services/common/bus/event_catalogue.h"

namespace carecast::common {

// True when `subject` matches `filter` under NATS rules ('*' one token, '>' the rest).
bool SubjectMatches(std::string_view filter, std::string_view subject);

// True when `token` is a valid single subject token ([A-Za-z0-9_-]+).
bool IsValidSubjectToken(std::string_view token);

// Aliases of the catalogue's subjects, kept so existing callers compile.
namespace subjects {
inline constexpr std::string_view kSpokeCreated = events::kSpokeCreated.subject;
inline constexpr std::string_view kSpokeFeedRevoked = events::kSpokeFeedRevoked.subject;
inline constexpr std::string_view kAccountCreated = events::kAccountCreated.subject;
inline constexpr std::string_view kObjectiveCreated = events::kObjectiveCreated.subject;
inline constexpr std::string_view kAudienceCreated = events::kAudienceCreated.subject;
inline constexpr std::string_view kAudienceUpdated = events::kAudienceUpdated.subject;
inline constexpr std::string_view kAudienceDeleted = events::kAudienceDeleted.subject;
inline constexpr std::string_view kCampaignCreated = events::kCampaignCreated.subject;
inline constexpr std::string_view kCampaignUpdated = events::kCampaignUpdated.subject;
inline constexpr std::string_view kCampaignFeedRevoked = events::kCampaignFeedRevoked.subject;
inline constexpr std::string_view kPatientAuthorizationCreated =
    events::kPatientAuthorizationCreated.subject;
inline constexpr std::string_view kPatientAuthorizationRevoked =
    events::kPatientAuthorizationRevoked.subject;
inline constexpr std::string_view kPatientAuthorizationExpiring =
    events::kPatientAuthorizationExpiring.subject;
inline constexpr std::string_view kTakedownRaised = events::kTakedownRaised.subject;
inline constexpr std::string_view kTakedownCompleted = events::kTakedownCompleted.subject;
inline constexpr std::string_view kContentCreated = events::kContentCreated.subject;
inline constexpr std::string_view kContentUpdated = events::kContentUpdated.subject;
inline constexpr std::string_view kContentSubmitted = events::kContentSubmitted.subject;
inline constexpr std::string_view kContentStageApproved = events::kContentStageApproved.subject;
inline constexpr std::string_view kContentApproved = events::kContentApproved.subject;
inline constexpr std::string_view kContentRejected = events::kContentRejected.subject;
inline constexpr std::string_view kPostScheduled = events::kPostScheduled.subject;
inline constexpr std::string_view kPostCancelled = events::kPostCancelled.subject;
inline constexpr std::string_view kPostAwaitingApproval = events::kPostAwaitingApproval.subject;
inline constexpr std::string_view kPostNeedsReschedule = events::kPostNeedsReschedule.subject;
inline constexpr std::string_view kPostPublished = events::kPostPublished.subject;
inline constexpr std::string_view kPostFailed = events::kPostFailed.subject;
inline constexpr std::string_view kPublishingHeld = events::kPublishingHeld.subject;
inline constexpr std::string_view kPublishingResumed = events::kPublishingResumed.subject;
inline constexpr std::string_view kCadenceChanged = events::kCadenceChanged.subject;
inline constexpr std::string_view kReviewPolicySet = events::kReviewPolicySet.subject;
inline constexpr std::string_view kBlackoutCreated = events::kBlackoutCreated.subject;
inline constexpr std::string_view kBlackoutDeleted = events::kBlackoutDeleted.subject;
inline constexpr std::string_view kEvergreenCreated = events::kEvergreenCreated.subject;
inline constexpr std::string_view kEvergreenRetired = events::kEvergreenRetired.subject;
inline constexpr std::string_view kEvergreenRenewed = events::kEvergreenRenewed.subject;
inline constexpr std::string_view kEvergreenReviewDue = events::kEvergreenReviewDue.subject;
inline constexpr std::string_view kMentionClassified = events::kMentionClassified.subject;
inline constexpr std::string_view kInboxCreated = events::kInboxCreated.subject;
inline constexpr std::string_view kInboxAssigned = events::kInboxAssigned.subject;
inline constexpr std::string_view kInboxWaiting = events::kInboxWaiting.subject;
inline constexpr std::string_view kInboxNoteAdded = events::kInboxNoteAdded.subject;
inline constexpr std::string_view kInboxSlaBreached = events::kInboxSlaBreached.subject;
inline constexpr std::string_view kInboxClosed = events::kInboxClosed.subject;
inline constexpr std::string_view kReplyDrafted = events::kReplyDrafted.subject;
inline constexpr std::string_view kReplyApproved = events::kReplyApproved.subject;
inline constexpr std::string_view kReplySent = events::kReplySent.subject;
inline constexpr std::string_view kReplyFailed = events::kReplyFailed.subject;
inline constexpr std::string_view kReplyPolicySet = events::kReplyPolicySet.subject;
inline constexpr std::string_view kTrackedKeywordsSet = events::kTrackedKeywordsSet.subject;
inline constexpr std::string_view kTopicTaxonomySet = events::kTopicTaxonomySet.subject;
inline constexpr std::string_view kAlertRaised = events::kAlertRaised.subject;
inline constexpr std::string_view kAlertResolved = events::kAlertResolved.subject;
inline constexpr std::string_view kEngagementObserved = events::kEngagementObserved.subject;
inline constexpr std::string_view kFollowersObserved = events::kFollowersObserved.subject;
inline constexpr std::string_view kReportPublished = events::kReportPublished.subject;
// Audit entries go to "carecast.audit.<collection>.<id>", one subject per resource.
inline constexpr std::string_view kAuditPrefix = events::kAuditPrefix;
}  // namespace subjects

}  // namespace carecast::common
