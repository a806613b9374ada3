// A key-value bucket with revisions (JetStream KV in production). Revisions are
// the compare-and-set fence for every entity.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace carecast::common {

struct KvEntry {
  std::string key;
  std::string value;
  uint64_t revision = 0;
};

struct BucketSpec {
  std::string name;
  int history = 5;
  absl::Duration ttl = absl::ZeroDuration();  // zero: entries never expire
  int replicas = 1;
};

// Thread-safe. Keys are [A-Za-z0-9_=./-]+. Errors: NOT_FOUND (no such key, or
// deleted), ALREADY_EXISTS (Create over a live key), ABORTED (revision mismatch),
// UNAVAILABLE (the store cannot be reached), INVALID_ARGUMENT (bad key).
class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;

  virtual absl::StatusOr<KvEntry> Get(std::string_view key) = 0;
  // Get answered by the bucket's leader, never by a replica that is behind:
  // for reads that must see every committed write (the publishing hold, an
  // approval checked right before a send). On a cluster Get may be served by
  // any replica. This default is Get (a store with one copy).
  virtual absl::StatusOr<KvEntry> GetLatest(std::string_view key) { return Get(key); }
  // Get of each key, answers in the keys' order (NOT_FOUND for a missing one):
  // for a page of entities read together. The NATS store sends the reads side
  // by side rather than one round trip after another; this default reads them
  // in turn.
  virtual std::vector<absl::StatusOr<KvEntry>> GetMany(const std::vector<std::string>& keys) {
    std::vector<absl::StatusOr<KvEntry>> entries;
    entries.reserve(keys.size());
    for (const std::string& key : keys) entries.push_back(Get(key));
    return entries;
  }
  // Stores `value` only when `key` has no live value; returns the new revision.
  virtual absl::StatusOr<uint64_t> Create(std::string_view key, std::string_view value) = 0;
  // Stores `value` only when the key's current revision is `expected_revision`.
  virtual absl::StatusOr<uint64_t> Update(std::string_view key, std::string_view value,
                                          uint64_t expected_revision) = 0;
  // Stores `value` unconditionally.
  virtual absl::StatusOr<uint64_t> Put(std::string_view key, std::string_view value) = 0;
  virtual absl::Status Delete(std::string_view key) = 0;
  // Live keys starting with `prefix`, sorted.
  virtual absl::StatusOr<std::vector<std::string>> Keys(std::string_view prefix) = 0;
  // Calls `visit` with every live entry whose key starts with `prefix` (any
  // order); an error from `visit` stops the scan and is returned. For passes over
  // a whole bucket: the NATS store streams the entries on one consumer instead
  // of one request per key. This default lists the keys and reads each (a key
  // deleted in between is skipped).
  virtual absl::Status Scan(
      std::string_view prefix,
      const std::function<absl::Status(std::string_view key, const KvEntry& entry)>& visit) {
    absl::StatusOr<std::vector<std::string>> keys = Keys(prefix);
    if (!keys.ok()) return keys.status();
    for (const std::string& key : *keys) {
      absl::StatusOr<KvEntry> entry = Get(key);
      if (absl::IsNotFound(entry.status())) continue;
      if (!entry.ok()) return entry.status();
      if (absl::Status s = visit(key, *entry); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
};

// Opens (creating when missing) buckets.
class KeyValueStoreFactory {
 public:
  virtual ~KeyValueStoreFactory() = default;
  virtual absl::StatusOr<std::unique_ptr<KeyValueStore>> OpenBucket(const BucketSpec& spec) = 0;
};

}  // namespace carecast::common
