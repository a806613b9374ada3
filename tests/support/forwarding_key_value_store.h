// A KeyValueStore that hands every call to another one. Test doubles derive
// from it and override only the calls they count, hook or slow down.
// Thread-safe as `inner` is; `inner` must outlive it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/bus/key_value_store.h"

namespace carecast::testing {

class ForwardingKeyValueStore : public common::KeyValueStore {
 public:
  explicit ForwardingKeyValueStore(common::KeyValueStore& inner) : inner_(inner) {}

  absl::StatusOr<common::KvEntry> Get(std::string_view key) override { return inner_.Get(key); }
  absl::StatusOr<uint64_t> Create(std::string_view key, std::string_view value) override {
    return inner_.Create(key, value);
  }
  absl::StatusOr<uint64_t> Update(std::string_view key, std::string_view value,
                                  uint64_t expected_revision) override {
    return inner_.Update(key, value, expected_revision);
  }
  absl::StatusOr<uint64_t> Put(std::string_view key, std::string_view value) override {
    return inner_.Put(key, value);
  }
  absl::Status Delete(std::string_view key) override { return inner_.Delete(key); }
  absl::StatusOr<std::vector<std::string>> Keys(std::string_view prefix) override {
    return inner_.Keys(prefix);
  }
  absl::Status Scan(
      std::string_view prefix,
      const std::function<absl::Status(std::string_view key, const common::KvEntry& entry)>& visit)
      override {
    return inner_.Scan(prefix, visit);
  }

 protected:
  common::KeyValueStore& inner() { return inner_; }

 private:
  common::KeyValueStore& inner_;
};

}  // namespace carecast::testing
