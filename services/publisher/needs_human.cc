#include "services/publisher/needs_human.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/ids.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/lifecycle/post_lifecycle.h"
#include "services/common/store/entity_change.h"
#include "services/publisher/outcomes.h"

namespace carecast::publisher {
namespace {

using common::AsAbsl;

// google.protobuf.Timestamp's documented range: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinTimestampSeconds = -62'135'596'800;
constexpr int64_t kMaxTimestampSeconds = 253'402'300'799;

absl::StatusOr<std::string> ParsePost(std::string_view name) {
  std::string id = PostIdFromName(name);
  if (id.empty() || !common::IsValidId(id)) {
    return absl::InvalidArgumentError(
        "post must look like posts/{post} with an id of 1-63 characters [a-z0-9-]");
  }
  return id;
}

// Printable ASCII without spaces: what every network's ids and URLs are, and
// nothing that could break a log line or a terminal.
bool IsPrintableAsciiWithoutSpaces(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return false;
  }
  return true;
}

absl::Status CheckExternalId(std::string_view external_id) {
  if (external_id.size() > kMaxExternalIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("external_id is longer than ", kMaxExternalIdBytes, " bytes"));
  }
  if (!IsPrintableAsciiWithoutSpaces(external_id)) {
    return absl::InvalidArgumentError(
        "external_id holds a space, a control or a non-ASCII character");
  }
  return absl::OkStatus();
}

// The post's address is shown to people and opened from the console, so only
// https, and never a credential that would end up in the audit trail.
absl::Status CheckUrl(std::string_view url) {
  if (url.empty()) return absl::OkStatus();
  if (url.size() > kMaxPostUrlBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("url is longer than ", kMaxPostUrlBytes, " bytes"));
  }
  if (!IsPrintableAsciiWithoutSpaces(url)) {
    return absl::InvalidArgumentError(
        "url holds a space, a control or a non-ASCII character (percent-encode it)");
  }
  constexpr std::string_view kScheme = "https://";
  if (!absl::StartsWithIgnoreCase(AsAbsl(url), AsAbsl(kScheme))) {
    return absl::InvalidArgumentError("url must be an https:// URL");
  }
  const std::string_view rest = url.substr(kScheme.size());
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError("url must not carry credentials (user:password@)");
  }
  if (authority.empty() || authority[0] == ':')
    return absl::InvalidArgumentError("url has no host");
  return absl::OkStatus();
}

absl::Status CheckNote(std::string_view note) {
  if (!common::IsValidUtf8(note)) return absl::InvalidArgumentError("note is not valid UTF-8");
  if (common::CodePointCount(note) > kMaxResolutionNoteChars ||
      note.size() > 4 * kMaxResolutionNoteChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("note is longer than ", kMaxResolutionNoteChars, " characters"));
  }
  return absl::OkStatus();
}

// "<what>; note: <note>", or just `what` without a note.
std::string WithNote(std::string what, std::string_view note) {
  if (note.empty()) return what;
  return absl::StrCat(what, "; note: ", AsAbsl(note));
}

// The audit entry of a person's resolution, on the post's own audit subject
// (the chain the publisher's and planner's entries for the post extend).
common::AuditRecord AuditBy(const Resolver& by, const carecast::v1::Post& post,
                            std::string_view action, std::string_view event_id, absl::Time now,
                            std::string detail) {
  common::AuditRecord audit;
  audit.subject =
      absl::StrCat(AsAbsl(common::subjects::kAuditPrefix), "posts.", PostIdFromName(post.name()));
  audit.id = absl::StrCat("audit.", AsAbsl(event_id));
  carecast::v1::AuditEntry& entry = audit.entry;
  entry.set_actor(by.subject);
  entry.set_role(by.role);
  entry.set_action(std::string(action));
  entry.set_resource(post.name());
  entry.set_version(post.content_version());
  entry.set_content_hash(post.content_hash());
  SetTime(now, entry.mutable_time());
  entry.set_detail(std::move(detail));
  return audit;
}

// NOT_FOUND named after the post, as the planner words it.
absl::Status NamedNotFound(const absl::Status& status, std::string_view name) {
  if (absl::IsNotFound(status)) {
    return absl::NotFoundError(absl::StrCat(AsAbsl(name), " not found"));
  }
  return status;
}

}  // namespace

NeedsHumanResolutions::NeedsHumanResolutions(common::EntityStore& posts, DueIndex& index,
                                             const common::Clock& clock, common::Logger& logger,
                                             PublisherMetrics& metrics, DispatchPolicy policy)
    : posts_(posts),
      index_(index),
      clock_(clock),
      logger_(logger),
      metrics_(metrics),
      policy_(policy) {}

absl::StatusOr<carecast::v1::Post> NeedsHumanResolutions::ConfirmPublished(
    const Resolver& by, const carecast::v1::ConfirmPostPublishedRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParsePost(request.post()));
  RETURN_IF_ERROR(CheckExternalId(request.external_id()));
  RETURN_IF_ERROR(CheckUrl(request.url()));
  if (request.external_id().empty() && request.url().empty()) {
    return absl::InvalidArgumentError(
        "external_id or url is required: what identifies the post on the network");
  }
  RETURN_IF_ERROR(CheckNote(request.note()));

  const absl::Time now = clock_.Now();
  absl::StatusOr<common::Stored<carecast::v1::Post>> written =
      posts_.ReadModifyWrite<carecast::v1::Post>(
          id,
          [&](carecast::v1::Post& post) -> absl::Status {
            RETURN_IF_ERROR(
                by.spokes.RequireChangeOf(common::SpokeOfResource(post.account()), post.name()));
            ASSIGN_OR_RETURN(carecast::v1::PostState published,
                             lifecycle::Next(post.state(), lifecycle::PostEvent::kConfirmPublished,
                                             post.name()));
            post.set_state(published);
            post.set_external_id(request.external_id());
            post.set_url(request.url());
            post.set_confirmed_by(by.subject);
            // The reason stays in the trail (the post.escalate entry); the record
            // now states the outcome.
            post.clear_failure_reason();
            post.clear_send_time();
            SetTime(now, post.mutable_published_time());
            SetTime(now, post.mutable_update_time());
            return absl::OkStatus();
          },
          [&](const carecast::v1::Post& after, uint64_t /*base_revision*/) {
            carecast::v1::PostPublished payload;
            *payload.mutable_post() = after;
            payload.set_publisher_id(by.subject);
            common::Change change;
            // The id of the automatic publication of this version: a version is
            // published once, so a consumer that keys on it never counts two.
            change.event = common::MakeCatalogueEvent(
                common::events::kPostPublished, payload, kPublisherSource, now,
                absl::StrCat("post.", id, ".v", after.content_version(), ".published"));
            std::string what = "confirmed published by a person after NEEDS_HUMAN";
            if (!after.external_id().empty())
              absl::StrAppend(&what, "; external id ", after.external_id());
            if (!after.url().empty()) absl::StrAppend(&what, "; url ", after.url());
            change.audit = AuditBy(by, after, "post.publish", change.event.id, now,
                                   WithNote(std::move(what), request.note()));
            return std::vector<common::Change>{std::move(change)};
          });
  if (!written.ok()) return NamedNotFound(written.status(), request.post());

  const carecast::v1::Post& post = written->value;
  const std::string network(NetworkLabel(post.network()));
  metrics_.NeedsHumanResolved(network, kResolvedPublished);
  // A NEEDS_HUMAN post is not indexed; this only clears a stale member.
  if (absl::Status s = index_.Remove(id); !s.ok()) {
    logger_.Warn("cannot remove confirmed post from due index", {{"post", id}});
  }
  logger_.Info("NEEDS_HUMAN post confirmed published by a person",
               {{"post", id},
                {"network", network},
                {"actor", by.subject},
                {"external_id", post.external_id()}});
  return post;
}

absl::StatusOr<carecast::v1::Post> NeedsHumanResolutions::ConfirmNotPublished(
    const Resolver& by, const carecast::v1::ConfirmPostNotPublishedRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParsePost(request.post()));
  const absl::Time now = clock_.Now();
  absl::Time publish_time = now;
  if (request.has_publish_time()) {
    const google::protobuf::Timestamp& ts = request.publish_time();
    if (ts.seconds() < kMinTimestampSeconds || ts.seconds() > kMaxTimestampSeconds ||
        ts.nanos() < 0 || ts.nanos() > 999'999'999) {
      return absl::InvalidArgumentError("publish_time is not a valid timestamp");
    }
    publish_time = ToTime(ts);
    if (publish_time > now + kMaxRescheduleAhead) {
      return absl::InvalidArgumentError("publish_time is more than a year ahead");
    }
    // A time already past means "as soon as possible", like leaving it unset.
  }
  RETURN_IF_ERROR(CheckNote(request.note()));

  absl::StatusOr<common::Stored<carecast::v1::Post>> written =
      posts_.ReadModifyWrite<carecast::v1::Post>(
          id,
          [&](carecast::v1::Post& post) -> absl::Status {
            RETURN_IF_ERROR(
                by.spokes.RequireChangeOf(common::SpokeOfResource(post.account()), post.name()));
            ASSIGN_OR_RETURN(
                carecast::v1::PostState scheduled,
                lifecycle::Next(post.state(), lifecycle::PostEvent::kConfirmNotPublished,
                                post.name()));
            post.set_state(scheduled);
            SetTime(publish_time, post.mutable_publish_time());
            // A fresh start for dispatch: no claim to take over, nothing in flight
            // to reconcile, every attempt available again. channel_progress stays:
            // an Instagram container already made is published, not made twice.
            post.clear_claimed_by();
            post.clear_send_time();
            post.set_attempt(0);
            post.set_dispatch_round(post.dispatch_round() + 1);
            post.clear_failure_reason();
            post.clear_confirmed_by();
            SetTime(now, post.mutable_update_time());
            return absl::OkStatus();
          },
          [&](const carecast::v1::Post& after, uint64_t base_revision) {
            carecast::v1::PostChanged payload;
            *payload.mutable_post() = after;
            payload.set_actor(by.subject);
            common::Change change;
            // The planner's id scheme for post changes: one write per base revision.
            change.event = common::MakeCatalogueEvent(
                common::events::kPostScheduled, payload, kPublisherSource, now,
                common::ChangeEventId(absl::StrCat("posts.", id), base_revision, "scheduled"));
            change.audit = AuditBy(
                by, after, common::events::kPostScheduled.audit_action, change.event.id, now,
                WithNote(absl::StrCat("confirmed not published by a person after "
                                      "NEEDS_HUMAN; rescheduled for ",
                                      absl::FormatTime(absl::RFC3339_full, publish_time,
                                                       absl::UTCTimeZone())),
                         request.note()));
            return std::vector<common::Change>{std::move(change)};
          });
  if (!written.ok()) return NamedNotFound(written.status(), request.post());

  const carecast::v1::Post& post = written->value;
  const std::string network(NetworkLabel(post.network()));
  metrics_.NeedsHumanResolved(network, kResolvedNotPublished);
  // The event indexes it too (on whichever replica takes it); this makes it due
  // here at once, and the due sweep covers a Redis outage.
  if (std::optional<absl::Time> when = NextLookTime(post, policy_); when.has_value()) {
    if (absl::Status s = index_.Put(id, *when); !s.ok()) {
      logger_.Warn("cannot index rescheduled post", {{"post", id}});
    }
  }
  logger_.Info("NEEDS_HUMAN post confirmed not published by a person; rescheduled",
               {{"post", id}, {"network", network}, {"actor", by.subject}});
  return post;
}

}  // namespace carecast::publisher
