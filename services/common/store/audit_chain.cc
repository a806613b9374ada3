#include "services/common/store/audit_chain.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "carecast/v1/events.pb.h"

#include "services/common/base/ids.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"

namespace carecast::common {
namespace {

constexpr int kUnavailableAttempts = 4;
constexpr int kAppendAttempts = 10;

void Backoff(int attempt) {
  // Short, growing pauses: the bus reconnects within a few hundred milliseconds.
  std::this_thread::sleep_for(std::chrono::milliseconds(25 << attempt));
}

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace

std::string AuditEntryHash(const carecast::v1::AuditEntry& entry) {
  carecast::v1::AuditEntry copy = entry;
  copy.clear_entry_hash();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    copy.SerializeToCodedStream(&coded);
  }
  return Sha256Hex(bytes);
}

absl::Status AppendAuditEntry(EventBus& bus, const carecast::v1::OutboxAudit& audit) {
  const std::string stream(streams::kAudit);
  absl::Status last;
  int unavailable = 0;
  for (int attempt = 0; attempt < kAppendAttempts; ++attempt) {
    uint64_t last_sequence = 0;
    std::string previous_hash;
    absl::StatusOr<Event> tail = bus.GetLastForSubject(stream, audit.subject());
    if (tail.ok()) {
      if (tail->id == audit.id()) return absl::OkStatus();  // already recorded
      carecast::v1::AuditRecorded recorded;
      if (absl::Status s = DecodeEvent(*tail, &recorded); !s.ok()) return s;
      last_sequence = tail->stream_sequence;
      previous_hash = recorded.entry().entry_hash();
    } else if (tail.status().code() != absl::StatusCode::kNotFound) {
      last = tail.status();
      if (!absl::IsUnavailable(last) || ++unavailable >= kUnavailableAttempts) break;
      Backoff(unavailable);
      continue;
    }
    carecast::v1::AuditRecorded recorded;
    *recorded.mutable_entry() = audit.entry();
    recorded.mutable_entry()->set_previous_hash(previous_hash);
    recorded.mutable_entry()->set_entry_hash(AuditEntryHash(recorded.entry()));
    Event event = MakeEvent(audit.subject(), recorded, audit.source(),
                            FromProto(audit.entry().time()), audit.id());
    PublishOptions options;
    options.expected_last_subject_sequence = last_sequence;
    absl::StatusOr<PublishAck> ack = bus.Publish(event, options);
    if (ack.ok()) return absl::OkStatus();
    last = ack.status();
    if (absl::IsAborted(last)) continue;  // another replica appended first
    if (!absl::IsUnavailable(last) || ++unavailable >= kUnavailableAttempts) break;
    Backoff(unavailable);
  }
  return absl::UnavailableError(
      absl::StrCat("audit entry ", audit.id(), " not appended yet: ", last.ToString()));
}

absl::StatusOr<AuditPage> ListAuditEntries(EventBus& bus, const std::string& subject,
                                           uint64_t start_sequence, size_t limit) {
  absl::StatusOr<std::vector<Event>> events =
      bus.Read(std::string(streams::kAudit), subject, start_sequence, limit + 1);
  if (!events.ok()) {
    // A stream that does not exist yet simply holds no entries.
    if (events.status().code() == absl::StatusCode::kNotFound) return AuditPage{};
    return events.status();
  }
  AuditPage page;
  for (size_t i = 0; i < events->size() && i < limit; ++i) {
    carecast::v1::AuditRecorded recorded;
    if (absl::Status s = DecodeEvent((*events)[i], &recorded); !s.ok()) return s;
    page.entries.push_back(recorded.entry());
  }
  if (events->size() > limit) page.next_sequence = (*events)[limit].stream_sequence;
  return page;
}

}  // namespace carecast::common
