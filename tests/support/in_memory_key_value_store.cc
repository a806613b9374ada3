#include "tests/support/in_memory_key_value_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "tests/support/forwarding_key_value_store.h"

namespace carecast::testing {
using common::AsAbsl;

absl::Status InMemoryKeyValueStore::CheckKey(std::string_view key) const {
  if (!fail_.ok()) return fail_;
  if (key.empty()) return absl::InvalidArgumentError("empty key");
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '=' || c == '.' || c == '/' || c == '-';
    if (!ok) return absl::InvalidArgumentError(absl::StrCat("invalid key: ", AsAbsl(key)));
  }
  // JetStream also refuses empty tokens: leading, trailing or doubled dots.
  if (key.front() == '.' || key.back() == '.' || key.find("..") != std::string_view::npos) {
    return absl::InvalidArgumentError("invalid key");
  }
  return absl::OkStatus();
}

void InMemoryKeyValueStore::BeforeGet(std::function<void(std::string_view key)> hook) {
  std::lock_guard lock(mu_);
  before_get_ = std::move(hook);
}

absl::StatusOr<common::KvEntry> InMemoryKeyValueStore::Get(std::string_view key) {
  std::function<void(std::string_view)> hook;
  {
    std::lock_guard lock(mu_);
    hook = before_get_;
  }
  if (hook) hook(key);
  std::lock_guard lock(mu_);
  if (auto s = CheckKey(key); !s.ok()) return s;
  auto it = entries_.find(key);
  if (it == entries_.end())
    return absl::NotFoundError(absl::StrCat("key not found: ", AsAbsl(key)));
  return it->second;
}

absl::StatusOr<uint64_t> InMemoryKeyValueStore::Create(std::string_view key,
                                                       std::string_view value) {
  std::lock_guard lock(mu_);
  if (auto s = CheckKey(key); !s.ok()) return s;
  if (entries_.contains(key))
    return absl::AlreadyExistsError(absl::StrCat("key exists: ", AsAbsl(key)));
  uint64_t rev = ++last_revision_;
  entries_[std::string(key)] = {std::string(key), std::string(value), rev};
  return rev;
}

absl::StatusOr<uint64_t> InMemoryKeyValueStore::Update(std::string_view key, std::string_view value,
                                                       uint64_t expected_revision) {
  std::lock_guard lock(mu_);
  if (auto s = CheckKey(key); !s.ok()) return s;
  auto it = entries_.find(key);
  uint64_t current = it == entries_.end() ? 0 : it->second.revision;
  if (current != expected_revision) {
    return absl::AbortedError(absl::StrCat("wrong last revision for ", AsAbsl(key), ": ", current,
                                           " != ", expected_revision));
  }
  uint64_t rev = ++last_revision_;
  entries_[std::string(key)] = {std::string(key), std::string(value), rev};
  return rev;
}

absl::StatusOr<uint64_t> InMemoryKeyValueStore::Put(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  if (auto s = CheckKey(key); !s.ok()) return s;
  uint64_t rev = ++last_revision_;
  entries_[std::string(key)] = {std::string(key), std::string(value), rev};
  return rev;
}

absl::Status InMemoryKeyValueStore::Delete(std::string_view key) {
  std::lock_guard lock(mu_);
  if (auto s = CheckKey(key); !s.ok()) return s;
  auto it = entries_.find(key);
  if (it != entries_.end()) entries_.erase(it);
  ++last_revision_;
  return absl::OkStatus();
}

void InMemoryKeyValueStore::BeforeKeys(std::function<void()> hook) {
  std::lock_guard lock(mu_);
  before_keys_ = std::move(hook);
}

absl::StatusOr<std::vector<std::string>> InMemoryKeyValueStore::Keys(std::string_view prefix) {
  std::function<void()> hook;
  {
    std::lock_guard lock(mu_);
    hook = before_keys_;
  }
  if (hook) hook();
  std::lock_guard lock(mu_);
  if (!fail_.ok()) return fail_;
  std::vector<std::string> keys;
  for (const auto& [key, entry] : entries_)
    if (absl::StartsWith(key, AsAbsl(prefix))) keys.push_back(key);
  return keys;
}

void InMemoryKeyValueStore::FailAll(absl::Status status) {
  std::lock_guard lock(mu_);
  fail_ = std::move(status);
}

namespace {
// A handle sharing one bucket.
class SharedBucketView final : public ForwardingKeyValueStore {
 public:
  explicit SharedBucketView(std::shared_ptr<InMemoryKeyValueStore> bucket)
      : ForwardingKeyValueStore(*bucket), bucket_(std::move(bucket)) {}

 private:
  std::shared_ptr<InMemoryKeyValueStore> bucket_;  // keeps the shared bucket alive
};
}  // namespace

InMemoryKeyValueStore& InMemoryKeyValueStoreFactory::Bucket(const std::string& name) {
  std::lock_guard lock(mu_);
  auto& slot = buckets_[name];
  if (!slot) slot = std::make_shared<InMemoryKeyValueStore>();
  return *slot;
}

absl::StatusOr<std::unique_ptr<common::KeyValueStore>> InMemoryKeyValueStoreFactory::OpenBucket(
    const common::BucketSpec& spec) {
  if (spec.name.empty()) return absl::InvalidArgumentError("bucket name is empty");
  std::lock_guard lock(mu_);
  auto& slot = buckets_[spec.name];
  if (!slot) slot = std::make_shared<InMemoryKeyValueStore>();
  return std::make_unique<SharedBucketView>(slot);
}

}  // namespace carecast::testing
