// KeyValueStore and KeyValueStoreFactory kept in memory, with the same revision
// and error semantics as JetStream KV. Revisions are global per factory (like a
// stream sequence), so they only grow. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "services/common/bus/key_value_store.h"

namespace carecast::testing {

class InMemoryKeyValueStore final : public common::KeyValueStore {
 public:
  InMemoryKeyValueStore() = default;

  absl::StatusOr<common::KvEntry> Get(std::string_view key) override;
  absl::StatusOr<uint64_t> Create(std::string_view key, std::string_view value) override;
  absl::StatusOr<uint64_t> Update(std::string_view key, std::string_view value,
                                  uint64_t expected_revision) override;
  absl::StatusOr<uint64_t> Put(std::string_view key, std::string_view value) override;
  absl::Status Delete(std::string_view key) override;
  absl::StatusOr<std::vector<std::string>> Keys(std::string_view prefix) override;

  // Makes every call fail with `status` until cleared with OkStatus().
  void FailAll(absl::Status status);
  // Runs `hook` at the start of every Get, outside the store's lock (so it may
  // write to this store): a test's way to land a change between two reads.
  void BeforeGet(std::function<void(std::string_view key)> hook);
  // Runs `hook` at the start of every Keys (and so every default Scan), outside
  // the lock: a test's way to make a whole-bucket pass slow.
  void BeforeKeys(std::function<void()> hook);

 private:
  absl::Status CheckKey(std::string_view key) const;
  std::mutex mu_;
  std::map<std::string, common::KvEntry, std::less<>> entries_;
  uint64_t last_revision_ = 0;
  absl::Status fail_ = absl::OkStatus();
  std::function<void(std::string_view key)> before_get_;
  std::function<void()> before_keys_;
};

// Hands out views of shared in-memory buckets: opening the same name twice gives
// two handles on one bucket, as two processes would see.
class InMemoryKeyValueStoreFactory final : public common::KeyValueStoreFactory {
 public:
  absl::StatusOr<std::unique_ptr<common::KeyValueStore>> OpenBucket(
      const common::BucketSpec& spec) override;
  // The shared bucket behind `name` (created when missing).
  InMemoryKeyValueStore& Bucket(const std::string& name);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<InMemoryKeyValueStore>> buckets_;
};

}  // namespace carecast::testing
