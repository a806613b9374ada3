#include "services/common/store/entity_store.h"

#include "services/common/store/fault_points.h"

namespace carecast::common {
namespace {

constexpr uint32_t kStoredRecordFormat = 1;

std::string Encode(std::string value, std::vector<carecast::v1::OutboxItem> items) {
  carecast::v1::StoredRecord record;
  record.set_format(kStoredRecordFormat);
  record.set_value(std::move(value));
  for (carecast::v1::OutboxItem& item : items) *record.add_outbox() = std::move(item);
  return record.SerializeAsString();
}

}  // namespace

EntityStore::EntityStore(KeyValueStore& kv, std::string bucket, Outbox& outbox)
    : kv_(kv), bucket_(std::move(bucket)), outbox_(outbox) {}

absl::StatusOr<RawRecord> EntityStore::GetRaw(std::string_view key) {
  ASSIGN_OR_RETURN(KvEntry entry, kv_.Get(key));
  return DecodeRecord(std::move(entry));
}

absl::StatusOr<RawRecord> EntityStore::GetRawLatest(std::string_view key) {
  ASSIGN_OR_RETURN(KvEntry entry, kv_.GetLatest(key));
  return DecodeRecord(std::move(entry));
}

RawRecord DecodeRecord(KvEntry entry) {
  RawRecord raw;
  raw.revision = entry.revision;
  carecast::v1::StoredRecord record;
  if (record.ParseFromString(entry.value) && record.format() == kStoredRecordFormat) {
    raw.value = std::move(*record.mutable_value());
    raw.unsent.assign(record.outbox().begin(), record.outbox().end());
  } else {
    // Written before the entity store (a bare entity): nothing is owed.
    raw.value = std::move(entry.value);
  }
  return raw;
}

absl::StatusOr<RawRecord> EntityStore::Write(std::string_view key, std::string value,
                                             const RawRecord* base,
                                             std::vector<carecast::v1::OutboxItem> items) {
  std::vector<carecast::v1::OutboxItem> owed;
  if (base != nullptr) owed = base->unsent;
  for (carecast::v1::OutboxItem& item : items) owed.push_back(std::move(item));

  std::string marker;
  if (!owed.empty()) {
    ASSIGN_OR_RETURN(marker, outbox_.PutMarker(bucket_, key));
    FaultPoint(absl::StrCat(bucket_, ":after_marker"));
  }
  std::string encoded = Encode(value, owed);
  absl::StatusOr<uint64_t> revision =
      base == nullptr ? kv_.Create(key, encoded) : kv_.Update(key, encoded, base->revision);
  if (!revision.ok()) {
    if (!marker.empty()) outbox_.DeleteMarker(marker);
    return revision.status();
  }
  RawRecord written{.value = {}, .revision = *revision, .unsent = {}};
  if (owed.empty()) return written;
  FaultPoint(absl::StrCat(bucket_, ":after_write"));

  if (!outbox_.Flush(bucket_, owed).ok()) {
    written.unsent = std::move(owed);  // the relay, or this entity's next write, finishes it
    return written;
  }
  FaultPoint(absl::StrCat(bucket_, ":after_flush"));
  // Clear what was confirmed. Losing this compare-and-set is fine: the newer
  // write carried the items and owns their flush; the caller's next write is
  // fenced on the old revision and re-reads.
  absl::StatusOr<uint64_t> cleared = kv_.Update(key, Encode(std::move(value), {}), *revision);
  if (cleared.ok()) written.revision = *cleared;
  outbox_.DeleteMarker(marker);
  return written;
}

absl::Status EntityStore::Settle(std::string_view key) {
  // The latest revision, never a replica's copy: a lagging replica may still
  // hold an older revision that owes nothing, and settling on it would drop
  // the marker of a write whose events were never sent.
  absl::StatusOr<RawRecord> raw = GetRawLatest(key);
  if (absl::IsNotFound(raw.status())) return absl::OkStatus();
  if (!raw.ok()) return raw.status();
  if (raw->unsent.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(outbox_.Flush(bucket_, raw->unsent));
  absl::StatusOr<uint64_t> cleared =
      kv_.Update(key, Encode(std::move(raw->value), {}), raw->revision);
  if (cleared.ok() || absl::IsAborted(cleared.status())) return absl::OkStatus();
  return cleared.status();
}

}  // namespace carecast::common
