// A key-value bucket with revisions (JetStream KV in production). Revisions are
// the compare-and-set fence for every entity.
#pragma once

#include <cstdint>
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
};

// Opens (creating when missing) buckets.
class KeyValueStoreFactory {
 public:
  virtual ~KeyValueStoreFactory() = default;
  virtual absl::StatusOr<std::unique_ptr<KeyValueStore>> OpenBucket(const BucketSpec& spec) = 0;
};

}  // namespace carecast::common
