#include "services/publisher/post_records.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/lifecycle/content_lifecycle.h"
#include "services/common/lifecycle/patient_consent.h"

namespace carecast::publisher {
namespace {

std::string StripPrefix(std::string_view name, std::string_view prefix) {
  if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return {};
  std::string_view id = name.substr(prefix.size());
  if (id.find('/') != std::string_view::npos) return {};
  return std::string(id);
}

// Marks a refusal as the patient-consent check's (RefusalLabel).
constexpr absl::string_view kRefusalPayload = "carecast.publisher/refusal";

absl::Status ConsentRefusal(absl::string_view reason) {
  absl::Status refusal = absl::FailedPreconditionError(reason);
  refusal.SetPayload(kRefusalPayload, absl::Cord("consent"));
  return refusal;
}

// The authorization `content` names, checked for `network` at `now`.
absl::Status CheckConsent(common::EntityStore& contents, const carecast::v1::Content& content,
                          carecast::v1::Network network, absl::Time now) {
  const std::string key = lifecycle::PatientAuthorizationKeyOf(content.patient_authorization());
  if (key.empty()) return ConsentRefusal("content features a patient and names no authorization");
  absl::StatusOr<common::Stored<carecast::v1::PatientAuthorization>> stored =
      contents.GetLatest<carecast::v1::PatientAuthorization>(key);
  if (absl::IsNotFound(stored.status()) || absl::IsDataLoss(stored.status())) {
    return ConsentRefusal("the content's patient authorization cannot be read");
  }
  if (!stored.ok()) return stored.status();
  if (absl::Status ok = lifecycle::CheckPatientAuthorization(stored->value, network, now);
      !ok.ok()) {
    return ConsentRefusal(ok.message());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Duration DispatchPolicy::Backoff(int attempt) const {
  absl::Duration wait = retry_backoff;
  for (int i = 1; i < attempt && wait < max_retry_backoff; ++i) wait *= 2;
  return std::min(wait, max_retry_backoff);
}

std::string PostIdFromName(std::string_view name) { return StripPrefix(name, "posts/"); }
std::string ContentIdFromName(std::string_view name) { return StripPrefix(name, "contents/"); }

std::string IdempotencyKey(const carecast::v1::Post& post) {
  return absl::StrCat(PostIdFromName(post.name()), ".v", post.content_version());
}

PublishRequest RequestFor(const carecast::v1::Post& post, absl::Time deadline) {
  PublishRequest request;
  request.post = post.name();
  request.content_version = post.content_version();
  request.idempotency_key = IdempotencyKey(post);
  request.account = post.account();
  request.network = post.network();
  request.text = post.text();
  request.in_reply_to = post.in_reply_to();
  request.thread_parts.assign(post.thread_parts().begin(), post.thread_parts().end());
  for (const carecast::v1::MediaItem& item : post.media())
    request.media.push_back(MediaRef{item.url(), item.alt_text(), item.mime_type()});
  request.progress.insert(post.channel_progress().begin(), post.channel_progress().end());
  request.deadline = deadline;
  return request;
}

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  int64_t nanos = absl::ToUnixNanos(t);
  int64_t seconds = nanos / 1'000'000'000;
  int64_t rest = nanos % 1'000'000'000;
  if (rest < 0) {
    rest += 1'000'000'000;
    --seconds;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(rest));
}

namespace {

absl::StatusOr<PostRecord> FromRaw(common::RawRecord raw, std::string_view id) {
  PostRecord record;
  record.revision = raw.revision;
  record.unsent = std::move(raw.unsent);
  if (!record.post.ParseFromString(raw.value))
    return absl::DataLossError(absl::StrCat("post ", common::AsAbsl(id), " does not parse"));
  return record;
}

}  // namespace

absl::StatusOr<PostRecord> ReadPost(common::EntityStore& posts, std::string_view id) {
  ASSIGN_OR_RETURN(common::RawRecord raw, posts.GetRaw(id));
  return FromRaw(std::move(raw), id);
}

absl::StatusOr<PostRecord> PostFromEntry(common::KvEntry entry) {
  const std::string id = entry.key;
  return FromRaw(common::DecodeRecord(std::move(entry)), id);
}

absl::StatusOr<PostRecord> ReadPost(common::KeyValueStore& posts, std::string_view id) {
  ASSIGN_OR_RETURN(common::KvEntry entry, posts.Get(id));
  return FromRaw(common::DecodeRecord(std::move(entry)), id);
}

absl::StatusOr<PostRecord> WritePost(common::EntityStore& posts, const carecast::v1::Post& post,
                                     const PostRecord& base,
                                     const std::vector<common::Change>& changes) {
  std::string id = PostIdFromName(post.name());
  if (id.empty()) return absl::InvalidArgumentError("post has no valid name");
  common::Stored<carecast::v1::Post> stored{post, base.revision, base.unsent};
  ASSIGN_OR_RETURN(stored, posts.Update(id, post, stored, changes));
  return PostRecord{std::move(stored.value), stored.revision, std::move(stored.unsent)};
}

absl::Status CheckContentApproved(common::EntityStore& contents, const carecast::v1::Post& post,
                                  absl::Time now) {
  // A responder's reply was passed by the listener's outgoing guard and approved
  // there; it has no content to look up. One that names content too was made
  // by neither path and is not sent.
  if (!post.reply().empty()) {
    if (!post.content().empty())
      return absl::FailedPreconditionError("post names both a reply and content");
    return absl::OkStatus();
  }
  std::string id = ContentIdFromName(post.content());
  if (id.empty()) return absl::FailedPreconditionError("post names no valid content");
  // From the bucket's leader: a replica that is behind may still show an
  // approval that an edit or a revocation has voided.
  absl::StatusOr<common::Stored<carecast::v1::Content>> stored =
      contents.GetLatest<carecast::v1::Content>(id);
  if (absl::IsNotFound(stored.status()))
    return absl::FailedPreconditionError("content no longer exists");
  if (absl::IsDataLoss(stored.status()))
    return absl::FailedPreconditionError("content record does not parse");
  if (!stored.ok()) return stored.status();
  const carecast::v1::Content& content = stored->value;
  // The approval binds to one exact version and hash; any edit since then voids it.
  if (!lifecycle::IsApprovedAt(content, post.content_version(), post.content_hash()))
    return absl::FailedPreconditionError("content changed after approval");
  if (!content.features_patient()) return absl::OkStatus();
  return CheckConsent(contents, content, post.network(), now);
}

std::string_view RefusalLabel(const absl::Status& refusal) {
  return refusal.GetPayload(kRefusalPayload).has_value() ? "consent" : "content_changed";
}

std::optional<absl::Time> NextLookTime(const carecast::v1::Post& post,
                                       const DispatchPolicy& policy) {
  switch (post.state()) {
    case carecast::v1::POST_STATE_SCHEDULED: {
      absl::Time due = ToTime(post.publish_time());
      // Backing off after a retryable failure survives an index rebuild because
      // it is derived from the record, not from the index score alone.
      if (post.attempt() > 0)
        due = std::max(due, ToTime(post.update_time()) + policy.Backoff(post.attempt()));
      return due;
    }
    case carecast::v1::POST_STATE_PUBLISHING:
      return ToTime(post.update_time()) + policy.claim_lease;
    case carecast::v1::POST_STATE_UNSPECIFIED:
    case carecast::v1::POST_STATE_PUBLISHED:
    case carecast::v1::POST_STATE_CANCELLED:
    case carecast::v1::POST_STATE_FAILED:
    case carecast::v1::POST_STATE_NEEDS_HUMAN:
    case carecast::v1::POST_STATE_AWAITING_APPROVAL:
    case carecast::v1::POST_STATE_NEEDS_RESCHEDULE:
    case carecast::v1::PostState_INT_MIN_SENTINEL_DO_NOT_USE_:
    case carecast::v1::PostState_INT_MAX_SENTINEL_DO_NOT_USE_:
      break;
  }
  return std::nullopt;
}

double ScoreOf(absl::Time t) { return static_cast<double>(absl::ToUnixMicros(t)) / 1e6; }

absl::Time TimeOfScore(double score) {
  return absl::FromUnixMicros(static_cast<int64_t>(std::llround(score * 1e6)));
}

}  // namespace carecast::publisher
