// The event catalogue: every kind of fact CareCast states on the bus, with its
// subject, CloudEvents type, protobuf payload, producing service, audit action,
// stream, and the KV buckets beside them. This file is the one place those
// strings are spelled; subjects.h, the codec and docs/events.md follow it
// (tests/unit/bus/event_catalogue_test.cc checks the docs and the descriptors).
//
// Producers name a kind by its typed constant, e.g. events::kPostScheduled, whose
// C++ type carries the payload message, so MakeCatalogueEvent (event_codec.h) does
// not compile with the wrong payload. Everything here is constexpr and
// thread-safe; the string_views point at literals and never dangle.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// The payload messages, from carecast/v1/events.pb.h. Declared, not included, so
// that naming a subject does not pull in the generated headers; the catalogue test
// checks each against the descriptor pool.
namespace carecast::v1 {
class SpokeCreated;
class SpokeChanged;
class AccountCreated;
class ObjectiveCreated;
class AudienceCreated;
class AudienceChanged;
class CampaignChanged;
class PatientAuthorizationChanged;
class PatientAuthorizationExpiring;
class TakedownTaskChanged;
class ContentChanged;
class PostChanged;
class PostPublished;
class PostFailed;
class PublishingChanged;
class CadenceChanged;
class ReviewPolicyChanged;
class BlackoutChanged;
class EvergreenChanged;
class MentionClassified;
class AlertChanged;
class InboxItemChanged;
class ReplyChanged;
class ReplyPolicyChanged;
class TrackedKeywordsSet;
class TopicTaxonomySet;
class AuditRecorded;
class EngagementObserved;
class FollowersObserved;
class ReportPublished;
}  // namespace carecast::v1

namespace carecast::common {

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
inline constexpr std::string_view kRequests = "carecast_requests";    // request_id replay records
inline constexpr std::string_view kReplies = "carecast_replies";      // replies, reply policies
inline constexpr std::string_view kListening = "carecast_listening";  // tracked keywords

inline constexpr std::array<std::string_view, 10> kAll = {
    kOrganisation, kObjectives, kContents, kPosts,   kControl,
    kMentions,     kInbox,      kRequests, kReplies, kListening};
}  // namespace buckets

// The first token of every CareCast subject, and the filter that matches them all.
inline constexpr std::string_view kSubjectRoot = "carecast";
inline constexpr std::string_view kAllSubjects = "carecast.>";

// Prefix of ce-dataschema: "urn:carecast:proto:" + the payload's full message name.
inline constexpr std::string_view kDataSchemaPrefix = "urn:carecast:proto:";

// One kind of event.
struct EventKind {
  // "carecast.<domain>.<fact>", fact in the past tense. For a per-resource kind
  // (the audit trail) the NATS filter of its subjects, "carecast.audit.>"; each
  // event then goes to the filter's prefix plus the resource's tokens.
  std::string_view subject;
  // Full protobuf name of the payload, e.g. "carecast.v1.PostChanged"; empty for a
  // reserved kind that nothing emits yet.
  std::string_view payload;
  // The service that emits it: "planner", "publisher", "listener" or "metrics".
  std::string_view producer;
  // A second service that states the same fact in a narrower case, with the same
  // payload and audit action; empty for most kinds. The publisher schedules a
  // NEEDS_HUMAN post again when a person confirms it did not go out
  // (PublisherService.ConfirmPostNotPublished).
  std::string_view also_producer;
  // The AuditEntry.action recorded with the fact, e.g. "content.approve"; empty when
  // the fact is not audited (or, for the audit kind itself, is the audit).
  std::string_view audit_action;
  // The JetStream stream that stores it.
  std::string_view stream = streams::kEvents;
  // Payload version: the CloudEvents type is subject + ".v" + version.
  int version = 1;
  bool per_resource = false;

  // ce-type, e.g. "carecast.post.published.v1". A per-resource kind's events each
  // take their own subject plus ".v<version>" ("carecast.audit.contents.c1.v1").
  std::string CloudEventsType() const;
  // ce-dataschema, e.g. "urn:carecast:proto:carecast.v1.PostPublished".
  std::string DataSchema() const;
  // "<domain>" of "carecast.<domain>.<fact>" ("audit" for the audit trail).
  std::string_view Domain() const;
  // The payload's message name without its package: "PostChanged".
  std::string_view PayloadShortName() const;
  bool reserved() const { return payload.empty(); }
};

// A kind with one subject whose payload is the generated message `Payload`.
template <class Payload>
struct EventDef : EventKind {
  using payload_type = Payload;
};

// A per-resource kind (one subject per resource) whose payload is `Payload`.
template <class Payload>
struct ResourceEventDef : EventKind {
  using payload_type = Payload;
};

namespace events {
// clang-format off
inline constexpr EventDef<v1::SpokeCreated> kSpokeCreated{{
    .subject = "carecast.spoke.created", .payload = "carecast.v1.SpokeCreated",
    .producer = "planner", .audit_action = "spoke.create"}};
inline constexpr EventDef<v1::SpokeChanged> kSpokeFeedRevoked{{
    .subject = "carecast.spoke.feed_revoked", .payload = "carecast.v1.SpokeChanged",
    .producer = "planner", .audit_action = "spoke.feed_revoke"}};
inline constexpr EventDef<v1::AccountCreated> kAccountCreated{{
    .subject = "carecast.account.created", .payload = "carecast.v1.AccountCreated",
    .producer = "planner", .audit_action = "account.create"}};
inline constexpr EventDef<v1::ObjectiveCreated> kObjectiveCreated{{
    .subject = "carecast.objective.created", .payload = "carecast.v1.ObjectiveCreated",
    .producer = "planner", .audit_action = "objective.create"}};
inline constexpr EventDef<v1::AudienceCreated> kAudienceCreated{{
    .subject = "carecast.audience.created", .payload = "carecast.v1.AudienceCreated",
    .producer = "planner", .audit_action = "audience.create"}};
inline constexpr EventDef<v1::AudienceChanged> kAudienceUpdated{{
    .subject = "carecast.audience.updated", .payload = "carecast.v1.AudienceChanged",
    .producer = "planner", .audit_action = "audience.update"}};
inline constexpr EventDef<v1::AudienceChanged> kAudienceDeleted{{
    .subject = "carecast.audience.deleted", .payload = "carecast.v1.AudienceChanged",
    .producer = "planner", .audit_action = "audience.delete"}};
inline constexpr EventDef<v1::CampaignChanged> kCampaignCreated{{
    .subject = "carecast.campaign.created", .payload = "carecast.v1.CampaignChanged",
    .producer = "planner", .audit_action = "campaign.create"}};
inline constexpr EventDef<v1::CampaignChanged> kCampaignUpdated{{
    .subject = "carecast.campaign.updated", .payload = "carecast.v1.CampaignChanged",
    .producer = "planner", .audit_action = "campaign.update"}};
inline constexpr EventDef<v1::CampaignChanged> kCampaignFeedRevoked{{
    .subject = "carecast.campaign.feed_revoked", .payload = "carecast.v1.CampaignChanged",
    .producer = "planner", .audit_action = "campaign.feed_revoke"}};
inline constexpr EventDef<v1::PatientAuthorizationChanged> kPatientAuthorizationCreated{{
    .subject = "carecast.patient_authorization.created",
    .payload = "carecast.v1.PatientAuthorizationChanged",
    .producer = "planner", .audit_action = "patient_authorization.create"}};
inline constexpr EventDef<v1::PatientAuthorizationChanged> kPatientAuthorizationRevoked{{
    .subject = "carecast.patient_authorization.revoked",
    .payload = "carecast.v1.PatientAuthorizationChanged",
    .producer = "planner", .audit_action = "patient_authorization.revoke"}};
inline constexpr EventDef<v1::PatientAuthorizationExpiring> kPatientAuthorizationExpiring{{
    .subject = "carecast.patient_authorization.expiring",
    .payload = "carecast.v1.PatientAuthorizationExpiring",
    .producer = "planner", .audit_action = "patient_authorization.warn_expiry"}};
inline constexpr EventDef<v1::TakedownTaskChanged> kTakedownRaised{{
    .subject = "carecast.takedown.raised", .payload = "carecast.v1.TakedownTaskChanged",
    .producer = "planner", .audit_action = "takedown.raise"}};
inline constexpr EventDef<v1::TakedownTaskChanged> kTakedownCompleted{{
    .subject = "carecast.takedown.completed", .payload = "carecast.v1.TakedownTaskChanged",
    .producer = "planner", .also_producer = "publisher", .audit_action = "takedown.complete"}};
inline constexpr EventDef<v1::ContentChanged> kContentCreated{{
    .subject = "carecast.content.created", .payload = "carecast.v1.ContentChanged",
    .producer = "planner", .audit_action = "content.create"}};
inline constexpr EventDef<v1::ContentChanged> kContentUpdated{{
    .subject = "carecast.content.updated", .payload = "carecast.v1.ContentChanged",
    .producer = "planner", .audit_action = "content.update"}};
inline constexpr EventDef<v1::ContentChanged> kContentSubmitted{{
    .subject = "carecast.content.submitted", .payload = "carecast.v1.ContentChanged",
    .producer = "planner", .audit_action = "content.submit"}};
inline constexpr EventDef<v1::ContentChanged> kContentStageApproved{{
    .subject = "carecast.content.stage_approved", .payload = "carecast.v1.ContentChanged",
    .producer = "planner", .audit_action = "content.approve_stage"}};
inline constexpr EventDef<v1::ContentChanged> kContentApproved{{
    .subject = "carecast.content.approved", .payload = "carecast.v1.ContentChanged",
    .producer = "planner", .audit_action = "content.approve"}};
inline constexpr EventDef<v1::ContentChanged> kContentRejected{{
    .subject = "carecast.content.rejected", .payload = "carecast.v1.ContentChanged",
    .producer = "planner", .audit_action = "content.reject"}};
inline constexpr EventDef<v1::PostChanged> kPostScheduled{{
    .subject = "carecast.post.scheduled", .payload = "carecast.v1.PostChanged",
    .producer = "planner", .also_producer = "publisher", .audit_action = "post.schedule"}};
inline constexpr EventDef<v1::PostChanged> kPostCancelled{{
    .subject = "carecast.post.cancelled", .payload = "carecast.v1.PostChanged",
    .producer = "planner", .audit_action = "post.cancel"}};
inline constexpr EventDef<v1::PostChanged> kPostAwaitingApproval{{
    .subject = "carecast.post.awaiting_approval", .payload = "carecast.v1.PostChanged",
    .producer = "planner", .audit_action = "post.schedule_awaiting"}};
inline constexpr EventDef<v1::PostChanged> kPostNeedsReschedule{{
    .subject = "carecast.post.needs_reschedule", .payload = "carecast.v1.PostChanged",
    .producer = "planner", .audit_action = "post.needs_reschedule"}};
inline constexpr EventDef<v1::PostPublished> kPostPublished{{
    .subject = "carecast.post.published", .payload = "carecast.v1.PostPublished",
    .producer = "publisher"}};
inline constexpr EventDef<v1::PostFailed> kPostFailed{{
    .subject = "carecast.post.failed", .payload = "carecast.v1.PostFailed",
    .producer = "publisher"}};
inline constexpr EventDef<v1::PublishingChanged> kPublishingHeld{{
    .subject = "carecast.publishing.held", .payload = "carecast.v1.PublishingChanged",
    .producer = "planner", .audit_action = "publishing.hold"}};
inline constexpr EventDef<v1::PublishingChanged> kPublishingResumed{{
    .subject = "carecast.publishing.resumed", .payload = "carecast.v1.PublishingChanged",
    .producer = "planner", .audit_action = "publishing.resume"}};
inline constexpr EventDef<v1::CadenceChanged> kCadenceChanged{{
    .subject = "carecast.cadence.changed", .payload = "carecast.v1.CadenceChanged",
    .producer = "planner", .audit_action = "cadence.set"}};
inline constexpr EventDef<v1::ReviewPolicyChanged> kReviewPolicySet{{
    .subject = "carecast.review_policy.set", .payload = "carecast.v1.ReviewPolicyChanged",
    .producer = "planner", .audit_action = "review_policy.set"}};
inline constexpr EventDef<v1::BlackoutChanged> kBlackoutCreated{{
    .subject = "carecast.blackout.created", .payload = "carecast.v1.BlackoutChanged",
    .producer = "planner", .audit_action = "blackout.create"}};
inline constexpr EventDef<v1::BlackoutChanged> kBlackoutDeleted{{
    .subject = "carecast.blackout.deleted", .payload = "carecast.v1.BlackoutChanged",
    .producer = "planner", .audit_action = "blackout.delete"}};
inline constexpr EventDef<v1::EvergreenChanged> kEvergreenCreated{{
    .subject = "carecast.evergreen.created", .payload = "carecast.v1.EvergreenChanged",
    .producer = "planner", .audit_action = "evergreen.create"}};
inline constexpr EventDef<v1::EvergreenChanged> kEvergreenRetired{{
    .subject = "carecast.evergreen.retired", .payload = "carecast.v1.EvergreenChanged",
    .producer = "planner", .audit_action = "evergreen.retire"}};
inline constexpr EventDef<v1::EvergreenChanged> kEvergreenRenewed{{
    .subject = "carecast.evergreen.renewed", .payload = "carecast.v1.EvergreenChanged",
    .producer = "planner", .audit_action = "evergreen.renew"}};
inline constexpr EventDef<v1::EvergreenChanged> kEvergreenReviewDue{{
    .subject = "carecast.evergreen.review_due", .payload = "carecast.v1.EvergreenChanged",
    .producer = "planner", .audit_action = "evergreen.review_due"}};
inline constexpr EventDef<v1::MentionClassified> kMentionClassified{{
    .subject = "carecast.mention.classified", .payload = "carecast.v1.MentionClassified",
    .producer = "listener"}};
inline constexpr EventDef<v1::InboxItemChanged> kInboxCreated{{
    .subject = "carecast.inbox.created", .payload = "carecast.v1.InboxItemChanged",
    .producer = "listener"}};
inline constexpr EventDef<v1::InboxItemChanged> kInboxAssigned{{
    .subject = "carecast.inbox.assigned", .payload = "carecast.v1.InboxItemChanged",
    .producer = "listener"}};
inline constexpr EventDef<v1::InboxItemChanged> kInboxWaiting{{
    .subject = "carecast.inbox.waiting", .payload = "carecast.v1.InboxItemChanged",
    .producer = "listener"}};
inline constexpr EventDef<v1::InboxItemChanged> kInboxNoteAdded{{
    .subject = "carecast.inbox.note_added", .payload = "carecast.v1.InboxItemChanged",
    .producer = "listener"}};
inline constexpr EventDef<v1::InboxItemChanged> kInboxSlaBreached{{
    .subject = "carecast.inbox.sla_breached", .payload = "carecast.v1.InboxItemChanged",
    .producer = "listener"}};
inline constexpr EventDef<v1::InboxItemChanged> kInboxClosed{{
    .subject = "carecast.inbox.closed", .payload = "carecast.v1.InboxItemChanged",
    .producer = "listener"}};
inline constexpr EventDef<v1::ReplyChanged> kReplyDrafted{{
    .subject = "carecast.reply.drafted", .payload = "carecast.v1.ReplyChanged",
    .producer = "listener", .audit_action = "reply.draft"}};
inline constexpr EventDef<v1::ReplyChanged> kReplyApproved{{
    .subject = "carecast.reply.approved", .payload = "carecast.v1.ReplyChanged",
    .producer = "listener", .audit_action = "reply.approve"}};
inline constexpr EventDef<v1::ReplyChanged> kReplySent{{
    .subject = "carecast.reply.sent", .payload = "carecast.v1.ReplyChanged",
    .producer = "listener", .audit_action = "reply.send"}};
inline constexpr EventDef<v1::ReplyChanged> kReplyFailed{{
    .subject = "carecast.reply.failed", .payload = "carecast.v1.ReplyChanged",
    .producer = "listener", .audit_action = "reply.fail"}};
inline constexpr EventDef<v1::ReplyPolicyChanged> kReplyPolicySet{{
    .subject = "carecast.reply.policy_set", .payload = "carecast.v1.ReplyPolicyChanged",
    .producer = "listener", .audit_action = "reply.policy_set"}};
inline constexpr EventDef<v1::TrackedKeywordsSet> kTrackedKeywordsSet{{
    .subject = "carecast.listening.keywords_set", .payload = "carecast.v1.TrackedKeywordsSet",
    .producer = "listener", .audit_action = "listening.keywords_set"}};
inline constexpr EventDef<v1::TopicTaxonomySet> kTopicTaxonomySet{{
    .subject = "carecast.listening.taxonomy_set", .payload = "carecast.v1.TopicTaxonomySet",
    .producer = "listener", .audit_action = "listening.taxonomy_set"}};
inline constexpr EventDef<v1::AlertChanged> kAlertRaised{{
    .subject = "carecast.alert.raised", .payload = "carecast.v1.AlertChanged",
    .producer = "metrics"}};
inline constexpr EventDef<v1::AlertChanged> kAlertResolved{{
    .subject = "carecast.alert.resolved", .payload = "carecast.v1.AlertChanged",
    .producer = "metrics"}};
inline constexpr EventDef<v1::EngagementObserved> kEngagementObserved{{
    .subject = "carecast.engagement.observed", .payload = "carecast.v1.EngagementObserved",
    .producer = "publisher"}};
inline constexpr EventDef<v1::FollowersObserved> kFollowersObserved{{
    .subject = "carecast.engagement.followers_observed",
    .payload = "carecast.v1.FollowersObserved", .producer = "publisher"}};
inline constexpr EventDef<v1::ReportPublished> kReportPublished{{
    .subject = "carecast.report.published", .payload = "carecast.v1.ReportPublished",
    .producer = "metrics"}};
// The audit trail: one subject per resource, "carecast.audit.<collection>.<id>"
// (accounts "carecast.audit.spokes.<s>.accounts.<a>", the hold
// "carecast.audit.control.publishing"). Each entry records the audit_action of
// the fact it audits.
inline constexpr ResourceEventDef<v1::AuditRecorded> kAuditRecorded{{
    .subject = "carecast.audit.>", .payload = "carecast.v1.AuditRecorded",
    .producer = "planner", .stream = streams::kAudit, .per_resource = true}};
// clang-format on

// "carecast.audit.": the prefix of every audit subject.
inline constexpr std::string_view kAuditPrefix =
    kAuditRecorded.subject.substr(0, kAuditRecorded.subject.size() - 1);

// Every kind, in the order of docs/events.md.
inline constexpr std::array<const EventKind*, 57> kAll = {&kSpokeCreated,
                                                          &kSpokeFeedRevoked,
                                                          &kAccountCreated,
                                                          &kObjectiveCreated,
                                                          &kAudienceCreated,
                                                          &kAudienceUpdated,
                                                          &kAudienceDeleted,
                                                          &kCampaignCreated,
                                                          &kCampaignUpdated,
                                                          &kCampaignFeedRevoked,
                                                          &kPatientAuthorizationCreated,
                                                          &kPatientAuthorizationRevoked,
                                                          &kPatientAuthorizationExpiring,
                                                          &kTakedownRaised,
                                                          &kTakedownCompleted,
                                                          &kContentCreated,
                                                          &kContentUpdated,
                                                          &kContentSubmitted,
                                                          &kContentStageApproved,
                                                          &kContentApproved,
                                                          &kContentRejected,
                                                          &kPostScheduled,
                                                          &kPostCancelled,
                                                          &kPostAwaitingApproval,
                                                          &kPostNeedsReschedule,
                                                          &kPostPublished,
                                                          &kPostFailed,
                                                          &kPublishingHeld,
                                                          &kPublishingResumed,
                                                          &kCadenceChanged,
                                                          &kReviewPolicySet,
                                                          &kBlackoutCreated,
                                                          &kBlackoutDeleted,
                                                          &kEvergreenCreated,
                                                          &kEvergreenRetired,
                                                          &kEvergreenRenewed,
                                                          &kEvergreenReviewDue,
                                                          &kMentionClassified,
                                                          &kInboxCreated,
                                                          &kInboxAssigned,
                                                          &kInboxWaiting,
                                                          &kInboxNoteAdded,
                                                          &kInboxSlaBreached,
                                                          &kInboxClosed,
                                                          &kReplyDrafted,
                                                          &kReplyApproved,
                                                          &kReplySent,
                                                          &kReplyFailed,
                                                          &kReplyPolicySet,
                                                          &kTrackedKeywordsSet,
                                                          &kTopicTaxonomySet,
                                                          &kAuditRecorded,
                                                          &kAlertRaised,
                                                          &kAlertResolved,
                                                          &kEngagementObserved,
                                                          &kFollowersObserved,
                                                          &kReportPublished};
}  // namespace events

// Every kind in the catalogue, in the order of docs/events.md.
std::span<const EventKind* const> AllEventKinds();

// The kind an event on `subject` belongs to (a per-resource kind matches every
// subject under its filter), or nullptr when the catalogue has none.
const EventKind* FindEventKind(std::string_view subject);

// The filter of every subject of `kind`'s domain: "carecast.post.>" for
// events::kPostScheduled; a per-resource kind's own filter ("carecast.audit.>").
std::string DomainFilter(const EventKind& kind);

// The subject filters of `stream`, derived from the kinds it stores:
// "carecast.<domain>.>" once per domain, in catalogue order, and a per-resource
// kind's own filter. Empty for an unknown stream.
std::vector<std::string> StreamSubjectFilters(std::string_view stream);

// The domains of the kinds on `stream`, in catalogue order, each once.
std::vector<std::string_view> StreamDomains(std::string_view stream);

// The subject of a per-resource kind's event: its prefix plus `resource_tokens`
// ("contents.c1" -> "carecast.audit.contents.c1"). The tokens are not validated.
template <class Payload>
std::string ResourceSubject(const ResourceEventDef<Payload>& kind,
                            std::string_view resource_tokens) {
  std::string subject(kind.subject.substr(0, kind.subject.size() - 1));  // drop the ">"
  subject.append(resource_tokens);
  return subject;
}

}  // namespace carecast::common
