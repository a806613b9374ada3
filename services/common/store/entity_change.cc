#include "services/common/store/entity_change.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "services/common/base/strings.h"

namespace carecast::common {

std::vector<carecast::v1::OutboxItem> ToOutboxItems(const std::vector<Change>& changes) {
  std::vector<carecast::v1::OutboxItem> items;
  items.reserve(changes.size() * 2);
  for (const Change& change : changes) {
    *items.emplace_back().mutable_event() = ToOutboxEvent(change.event);
    if (change.audit) {
      carecast::v1::OutboxAudit& audit = *items.emplace_back().mutable_audit();
      audit.set_subject(change.audit->subject);
      audit.set_id(change.audit->id);
      audit.set_source(change.event.source);
      *audit.mutable_entry() = change.audit->entry;
    }
  }
  return items;
}

carecast::v1::OutboxEvent ToOutboxEvent(const Event& event) {
  carecast::v1::OutboxEvent out;
  out.set_id(event.id);
  out.set_subject(event.subject);
  out.set_type(event.type);
  out.set_source(event.source);
  const int64_t nanos = absl::ToUnixNanos(event.time);
  out.mutable_time()->set_seconds(nanos / 1'000'000'000);
  out.mutable_time()->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  out.set_dataschema(event.dataschema);
  out.set_data(event.data);
  return out;
}

Event FromOutboxEvent(const carecast::v1::OutboxEvent& event) {
  Event out;
  out.id = event.id();
  out.subject = event.subject();
  out.type = event.type();
  out.source = event.source();
  out.time =
      absl::FromUnixSeconds(event.time().seconds()) + absl::Nanoseconds(event.time().nanos());
  out.dataschema = event.dataschema();
  out.data = event.data();
  return out;
}

std::string ChangeEventId(std::string_view stem, uint64_t base_revision, std::string_view fact) {
  return absl::StrCat(AsAbsl(stem), ".b", base_revision, ".", AsAbsl(fact));
}

}  // namespace carecast::common
