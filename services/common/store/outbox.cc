#include "services/common/store/outbox.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"
#include "services/common/store/audit_chain.h"
#include "services/common/store/entity_change.h"
#include "services/common/store/fault_points.h"

namespace carecast::common {
namespace {

constexpr int kPublishAttempts = 3;

}  // namespace

OutboxObserver& NullOutboxObserver() {
  static OutboxObserver observer;
  return observer;
}

Outbox::Outbox(EventBus& bus, KeyValueStore& markers, const Clock& clock, Logger& logger,
               OutboxObserver& observer, std::string writer)
    : bus_(bus),
      markers_(markers),
      clock_(clock),
      logger_(logger),
      observer_(observer),
      writer_(std::move(writer)) {}

absl::Status Outbox::PublishEvent(const carecast::v1::OutboxEvent& event) {
  absl::Status last;
  for (int attempt = 0; attempt < kPublishAttempts; ++attempt) {
    absl::StatusOr<PublishAck> ack = bus_.Publish(FromOutboxEvent(event));
    if (ack.ok()) return absl::OkStatus();
    last = ack.status();
    if (!absl::IsUnavailable(last)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25 << attempt));
  }
  return last;
}

absl::Status Outbox::Flush(std::string_view bucket,
                           const std::vector<carecast::v1::OutboxItem>& items) {
  int done = 0;
  for (const carecast::v1::OutboxItem& item : items) {
    absl::Status s;
    switch (item.item_case()) {
      case carecast::v1::OutboxItem::kEvent:
        s = PublishEvent(item.event());
        break;
      case carecast::v1::OutboxItem::kAudit:
        s = AppendAuditEntry(bus_, item.audit());
        break;
      case carecast::v1::OutboxItem::ITEM_NOT_SET:
        break;  // written by a newer version that this one cannot read: skipped
    }
    if (!s.ok()) {
      observer_.FlushDeferred(bucket);
      logger_.Warn("outbox flush deferred; the relay will finish it",
                   {{"bucket", std::string(bucket)},
                    {"item", item.has_event() ? item.event().id() : item.audit().id()},
                    {"error", std::string(s.message())}});
      if (done > 0) observer_.Flushed(bucket, done);
      return s;
    }
    ++done;
    FaultPoint(absl::StrCat(AsAbsl(bucket), ":after_flush_item"));
  }
  if (done > 0) observer_.Flushed(bucket, done);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Outbox::PutMarker(std::string_view bucket, std::string_view key) {
  carecast::v1::OutboxMarker marker;
  marker.set_bucket(std::string(bucket));
  marker.set_key(std::string(key));
  const int64_t nanos = absl::ToUnixNanos(clock_.Now());
  marker.mutable_time()->set_seconds(nanos / 1'000'000'000);
  marker.mutable_time()->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  marker.set_writer(writer_);
  std::string marker_key = absl::StrCat(AsAbsl(bucket), ".", NewId());
  absl::StatusOr<uint64_t> put = markers_.Put(marker_key, marker.SerializeAsString());
  if (!put.ok()) return put.status();
  return marker_key;
}

void Outbox::DeleteMarker(std::string_view marker_key) {
  if (absl::Status s = markers_.Delete(marker_key); !s.ok()) {
    logger_.Warn("outbox marker not deleted; the relay will",
                 {{"marker", std::string(marker_key)}, {"error", std::string(s.message())}});
  }
}

}  // namespace carecast::common
