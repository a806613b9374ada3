// Typed access to a KV bucket whose values are serialized protobuf messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "services/common/bus/key_value_store.h"

namespace carecast::planner {

// A message as stored, with the KV revision that fences the next update.
template <class T>
struct Stored {
  T value;
  uint64_t revision = 0;
};

// Not owning; thread-safe as the store is. Errors are the store's, except that a
// value that does not parse is DATA_LOSS.
class ProtoBucket {
 public:
  explicit ProtoBucket(common::KeyValueStore& store) : store_(store) {}

  template <class T>
  absl::StatusOr<Stored<T>> Get(std::string_view key) const {
    absl::StatusOr<common::KvEntry> entry = store_.Get(key);
    if (!entry.ok()) return entry.status();
    Stored<T> out;
    if (!out.value.ParseFromString(entry->value)) {
      return absl::DataLossError(
          absl::StrCat("stored value under ", common::AsAbsl(key), " does not parse"));
    }
    out.revision = entry->revision;
    return out;
  }

  template <class T>
  absl::StatusOr<uint64_t> Create(std::string_view key, const T& value) {
    return store_.Create(key, value.SerializeAsString());
  }

  template <class T>
  absl::StatusOr<uint64_t> Update(std::string_view key, const T& value, uint64_t revision) {
    return store_.Update(key, value.SerializeAsString(), revision);
  }

  absl::StatusOr<std::vector<std::string>> Keys(std::string_view prefix) const {
    return store_.Keys(prefix);
  }

  common::KeyValueStore& store() { return store_; }

 private:
  common::KeyValueStore& store_;
};

}  // namespace carecast::planner
