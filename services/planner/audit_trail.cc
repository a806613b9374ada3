#include "services/planner/audit_trail.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "carecast/v1/events.pb.h"

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using carecast::v1::AuditEntry;
using common::AsAbsl;

constexpr int kPublishAttempts = 4;
constexpr int kAppendAttempts = 10;

bool Retryable(const absl::Status& s) { return s.code() == absl::StatusCode::kUnavailable; }

void Backoff(int attempt) {
  // Short, growing pauses: the bus reconnects within a few hundred milliseconds.
  std::this_thread::sleep_for(std::chrono::milliseconds(25 << attempt));
}

}  // namespace

Change MakeChange(const ChangeFacts& facts, const common::Caller& caller,
                  std::string_view request_id, std::string_view source, absl::Time time) {
  Change change;
  std::string id = absl::StrCat(EventIdStem(facts.resource), ".r", facts.revision, ".", facts.fact);
  change.event = common::MakeEvent(facts.subject, *facts.payload, source, time, id);
  change.audit_subject = AuditSubjectFor(facts.resource);
  change.audit_event_id = absl::StrCat("audit.", id);
  AuditEntry& e = change.entry;
  e.set_actor(caller.principal.subject);
  e.set_role(std::string(common::RoleName(caller.role)));
  e.set_action(facts.action);
  e.set_resource(facts.resource);
  e.set_version(facts.version);
  e.set_content_hash(facts.content_hash);
  e.set_request_id(std::string(request_id));
  *e.mutable_time() = ToProto(time);
  e.set_detail(facts.detail);
  return change;
}

std::string AuditEntryHash(const AuditEntry& entry) {
  AuditEntry copy = entry;
  copy.clear_entry_hash();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    copy.SerializeToCodedStream(&coded);
  }
  return common::Sha256Hex(bytes);
}

absl::Status AuditTrail::Record(const std::vector<Change>& changes) {
  for (const Change& change : changes) {
    if (absl::Status s = PublishEvent(change.event); !s.ok()) return s;
    if (absl::Status s = AppendEntry(change); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status AuditTrail::PublishEvent(const common::Event& event) {
  absl::Status last;
  for (int attempt = 0; attempt < kPublishAttempts; ++attempt) {
    absl::StatusOr<common::PublishAck> ack = bus_.Publish(event);
    if (ack.ok()) return absl::OkStatus();
    last = ack.status();
    if (!Retryable(last)) break;
    Backoff(attempt);
  }
  logger_.Error(
      "domain event not published",
      {{"event_id", event.id}, {"subject", event.subject}, {"error", std::string(last.message())}});
  return absl::UnavailableError(
      absl::StrCat("the change is saved but its event could not be published yet (",
                   last.ToString(), "); retry with the same request_id to complete it"));
}

absl::Status AuditTrail::AppendEntry(const Change& change) {
  const std::string stream(common::streams::kAudit);
  absl::Status last;
  int unavailable = 0;
  for (int attempt = 0; attempt < kAppendAttempts; ++attempt) {
    uint64_t last_sequence = 0;
    std::string previous_hash;
    absl::StatusOr<common::Event> tail = bus_.GetLastForSubject(stream, change.audit_subject);
    if (tail.ok()) {
      if (tail->id == change.audit_event_id) return absl::OkStatus();  // already recorded
      carecast::v1::AuditRecorded recorded;
      if (absl::Status s = common::DecodeEvent(*tail, &recorded); !s.ok()) return s;
      last_sequence = tail->stream_sequence;
      previous_hash = recorded.entry().entry_hash();
    } else if (tail.status().code() != absl::StatusCode::kNotFound) {
      last = tail.status();
      if (!Retryable(last) || ++unavailable >= kPublishAttempts) break;
      Backoff(unavailable);
      continue;
    }
    carecast::v1::AuditRecorded recorded;
    *recorded.mutable_entry() = change.entry;
    recorded.mutable_entry()->set_previous_hash(previous_hash);
    recorded.mutable_entry()->set_entry_hash(AuditEntryHash(recorded.entry()));
    common::Event event = common::MakeEvent(change.audit_subject, recorded, change.event.source,
                                            FromProto(change.entry.time()), change.audit_event_id);
    common::PublishOptions options;
    options.expected_last_subject_sequence = last_sequence;
    absl::StatusOr<common::PublishAck> ack = bus_.Publish(event, options);
    if (ack.ok()) return absl::OkStatus();
    last = ack.status();
    if (last.code() == absl::StatusCode::kAborted) continue;  // another replica appended
    if (!Retryable(last) || ++unavailable >= kPublishAttempts) break;
    Backoff(unavailable);
  }
  logger_.Error("audit entry not appended",
                {{"audit_id", change.audit_event_id}, {"error", std::string(last.message())}});
  return absl::UnavailableError(
      absl::StrCat("the change is saved but its audit entry could not be written yet (",
                   last.ToString(), "); retry with the same request_id to complete it"));
}

absl::StatusOr<AuditPage> AuditTrail::List(const std::string& subject, uint64_t start_sequence,
                                           size_t limit) {
  absl::StatusOr<std::vector<common::Event>> events =
      bus_.Read(std::string(common::streams::kAudit), subject, start_sequence, limit + 1);
  if (!events.ok()) {
    // A stream that does not exist yet simply holds no entries.
    if (events.status().code() == absl::StatusCode::kNotFound) return AuditPage{};
    return events.status();
  }
  AuditPage page;
  for (size_t i = 0; i < events->size() && i < limit; ++i) {
    carecast::v1::AuditRecorded recorded;
    if (absl::Status s = common::DecodeEvent((*events)[i], &recorded); !s.ok()) return s;
    page.entries.push_back(recorded.entry());
  }
  if (events->size() > limit) page.next_sequence = (*events)[limit].stream_sequence;
  return page;
}

}  // namespace carecast::planner
