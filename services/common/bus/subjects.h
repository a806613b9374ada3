// NATS subjects, streams and buckets of CareCast: the one place they are named.
// docs/events.md describes each.
#pragma once

#include <string_view>

namespace carecast::common {

// True when `subject` matches `filter` under NATS rules ('*' one token, '>' the rest).
bool SubjectMatches(std::string_view filter, std::string_view subject);

// True when `token` is a valid single subject token ([A-Za-z0-9_-]+).
bool IsValidSubjectToken(std::string_view token);

namespace subjects {
inline constexpr std::string_view kSpokeCreated = "carecast.spoke.created";
inline constexpr std::string_view kAccountCreated = "carecast.account.created";
inline constexpr std::string_view kObjectiveCreated = "carecast.objective.created";
inline constexpr std::string_view kContentCreated = "carecast.content.created";
inline constexpr std::string_view kContentUpdated = "carecast.content.updated";
inline constexpr std::string_view kContentSubmitted = "carecast.content.submitted";
inline constexpr std::string_view kContentApproved = "carecast.content.approved";
inline constexpr std::string_view kContentRejected = "carecast.content.rejected";
inline constexpr std::string_view kPostScheduled = "carecast.post.scheduled";
inline constexpr std::string_view kPostCancelled = "carecast.post.cancelled";
inline constexpr std::string_view kPostPublished = "carecast.post.published";
inline constexpr std::string_view kPostFailed = "carecast.post.failed";
inline constexpr std::string_view kPublishingHeld = "carecast.publishing.held";
inline constexpr std::string_view kPublishingResumed = "carecast.publishing.resumed";
inline constexpr std::string_view kMentionClassified = "carecast.mention.classified";
inline constexpr std::string_view kInboxCreated = "carecast.inbox.created";
inline constexpr std::string_view kInboxClosed = "carecast.inbox.closed";
inline constexpr std::string_view kAlertRaised = "carecast.alert.raised";
inline constexpr std::string_view kEngagementObserved = "carecast.engagement.observed";
// Audit entries go to "carecast.audit.<collection>.<id>", one subject per resource.
inline constexpr std::string_view kAuditPrefix = "carecast.audit.";
}  // namespace subjects

namespace streams {
// Every domain event (carecast.<domain>.<fact>), retained for 30 days.
inline constexpr std::string_view kEvents = "CARECAST_EVENTS";
// The append-only audit trail (deny delete, deny purge), kept forever.
inline constexpr std::string_view kAudit = "CARECAST_AUDIT";
}  // namespace streams

namespace buckets {
inline constexpr std::string_view kOrganisation = "carecast_organisation";  // spokes, accounts
inline constexpr std::string_view kObjectives = "carecast_objectives";
inline constexpr std::string_view kContents = "carecast_contents";
inline constexpr std::string_view kPosts = "carecast_posts";      // shared: planner + publisher
inline constexpr std::string_view kControl = "carecast_control";  // key "publishing": the hold
inline constexpr std::string_view kMentions = "carecast_mentions";
inline constexpr std::string_view kInbox = "carecast_inbox";
inline constexpr std::string_view kRequests = "carecast_requests";  // request_id replay records
}  // namespace buckets

}  // namespace carecast::common
