// Typed entities in one KV bucket, each written together with the changes it
// announces (events and audit entries) as one durable unit.
//
// A write stores StoredRecord{value, outbox} in ONE KV write (create, or
// compare-and-set on the revision read), so once it commits its events and
// audit entries are on record; they are then flushed to the bus and cleared.
// A writer that dies in between leaves a marker that the OutboxRelay settles,
// and the next writer of the same entity carries unsent items forward.
// Events reach the bus at least once, deduplicated by id within the stream's
// duplicate window. Thread-safe as the KV store is; references must outlive it.
//
// Errors: NOT_FOUND (no such key), ALREADY_EXISTS (create over a live key),
// ABORTED (the revision moved), UNAVAILABLE (KV cannot be reached), DATA_LOSS
// (a stored value does not parse). A write that committed but could not flush
// returns OK: the relay finishes the flush.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "carecast/v1/store.pb.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/bus/key_value_store.h"
#include "services/common/store/entity_change.h"
#include "services/common/store/outbox.h"

namespace carecast::common {

// A record as stored: the serialized entity, its revision and what it still owes.
struct RawRecord {
  std::string value;
  uint64_t revision = 0;
  std::vector<carecast::v1::OutboxItem> unsent;
};

// The record in a KV entry the entity store wrote, or a bare entity written
// before it (nothing owed). For readers that hold the bucket itself.
RawRecord DecodeRecord(KvEntry entry);

// A typed entity with the revision that fences its next write.
template <class T>
struct Stored {
  T value;
  uint64_t revision = 0;
  // Items a previous writer has not confirmed yet; carried into the next write.
  std::vector<carecast::v1::OutboxItem> unsent;
};

// Attempts of a read-modify-write whose checks are all redone on every attempt.
inline constexpr int kReadModifyWriteAttempts = 5;

class EntityStore {
 public:
  EntityStore(KeyValueStore& kv, std::string bucket, Outbox& outbox);

  const std::string& bucket() const { return bucket_; }
  KeyValueStore& kv() { return kv_; }

  absl::StatusOr<RawRecord> GetRaw(std::string_view key);
  // GetRaw answered by the bucket's leader (KeyValueStore::GetLatest): for a
  // check that must see every committed write.
  absl::StatusOr<RawRecord> GetRawLatest(std::string_view key);
  // Writes `value` with `items` (and `base`'s unsent items before them): a create
  // when `base` is null, else a compare-and-set on base->revision. Returns the
  // new revision and what is still unsent (empty unless the flush was deferred).
  absl::StatusOr<RawRecord> Write(std::string_view key, std::string value, const RawRecord* base,
                                  std::vector<carecast::v1::OutboxItem> items);
  // Flushes what the record under `key` still owes and clears it (the relay's step).
  absl::Status Settle(std::string_view key);
  absl::StatusOr<std::vector<std::string>> Keys(std::string_view prefix) {
    return kv_.Keys(prefix);
  }

  template <class T>
  absl::StatusOr<Stored<T>> Get(std::string_view key) {
    return Parse<T>(key, GetRaw(key));
  }
  // Get of each key, answers in the keys' order, the reads side by side
  // (KeyValueStore::GetMany): for a page of entities.
  template <class T>
  std::vector<absl::StatusOr<Stored<T>>> GetMany(const std::vector<std::string>& keys) {
    std::vector<absl::StatusOr<KvEntry>> entries = kv_.GetMany(keys);
    std::vector<absl::StatusOr<Stored<T>>> out;
    out.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      absl::StatusOr<RawRecord> raw =
          entries[i].ok() ? absl::StatusOr<RawRecord>(DecodeRecord(*std::move(entries[i])))
                          : absl::StatusOr<RawRecord>(entries[i].status());
      out.push_back(Parse<T>(keys[i], std::move(raw)));
    }
    return out;
  }
  // Get answered by the bucket's leader (see GetRawLatest).
  template <class T>
  absl::StatusOr<Stored<T>> GetLatest(std::string_view key) {
    return Parse<T>(key, GetRawLatest(key));
  }
  template <class T>
  absl::StatusOr<Stored<T>> Parse(std::string_view key, absl::StatusOr<RawRecord> read) {
    ASSIGN_OR_RETURN(RawRecord raw, std::move(read));
    Stored<T> out;
    if (!out.value.ParseFromString(raw.value)) {
      return absl::DataLossError(
          absl::StrCat("stored ", bucket_, " value under ", AsAbsl(key), " does not parse"));
    }
    out.revision = raw.revision;
    out.unsent = std::move(raw.unsent);
    return out;
  }

  // Creates `key` holding `value`; the result is what the next Update is fenced on.
  template <class T>
  absl::StatusOr<Stored<T>> Create(std::string_view key, T value,
                                   const std::vector<Change>& changes = {}) {
    ASSIGN_OR_RETURN(RawRecord written,
                     Write(key, value.SerializeAsString(), nullptr, ToOutboxItems(changes)));
    return Stored<T>{std::move(value), written.revision, std::move(written.unsent)};
  }

  // Compare-and-set of `value` over `base` (as read by Get or returned by a write).
  template <class T>
  absl::StatusOr<Stored<T>> Update(std::string_view key, T value, const Stored<T>& base,
                                   const std::vector<Change>& changes = {}) {
    RawRecord raw{.value = {}, .revision = base.revision, .unsent = base.unsent};
    ASSIGN_OR_RETURN(RawRecord written,
                     Write(key, value.SerializeAsString(), &raw, ToOutboxItems(changes)));
    return Stored<T>{std::move(value), written.revision, std::move(written.unsent)};
  }

  // Reads `key`, lets `mutate(T&) -> Status` check and change it, asks
  // `describe(const T& after, uint64_t base_revision) -> std::vector<Change>`
  // for the changes to announce, and writes all of it fenced by the revision
  // read; repeats on a lost compare-and-set. `mutate` returning an error stops
  // without writing. NOT_FOUND when the key is missing. A retry reads from the
  // bucket's leader: a replica that is behind would lose every attempt.
  template <class T, class Mutate, class Describe>
  absl::StatusOr<Stored<T>> ReadModifyWrite(std::string_view key, Mutate&& mutate,
                                            Describe&& describe) {
    absl::Status last;
    for (int attempt = 0; attempt < kReadModifyWriteAttempts; ++attempt) {
      ASSIGN_OR_RETURN(Stored<T> current, attempt == 0 ? Get<T>(key) : GetLatest<T>(key));
      RETURN_IF_ERROR(mutate(current.value));
      std::vector<Change> changes = describe(current.value, current.revision);
      absl::StatusOr<Stored<T>> written = Update(key, current.value, current, changes);
      if (written.ok()) return written;
      last = written.status();
      if (!absl::IsAborted(last)) return last;
    }
    return absl::AbortedError(
        absl::StrCat(AsAbsl(key), " is being changed concurrently; try again"));
  }

 private:
  KeyValueStore& kv_;
  const std::string bucket_;
  Outbox& outbox_;
};

}  // namespace carecast::common
