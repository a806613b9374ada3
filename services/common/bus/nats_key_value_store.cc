#include "services/common/bus/nats_key_value_store.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/base/worker_pool.h"
#include "services/common/bus/nats_status.h"

namespace carecast::common {
namespace {

class NatsKeyValueStore final : public KeyValueStore {
 public:
  NatsKeyValueStore(std::shared_ptr<NatsCore> core, kvStore* kv, std::string bucket, int replicas)
      : core_(std::move(core)), kv_(kv), bucket_(std::move(bucket)), replicas_(replicas) {}
  ~NatsKeyValueStore() override { kvStore_Destroy(kv_); }

  absl::StatusOr<KvEntry> Get(std::string_view key) override {
    if (absl::Status s = Check(key); !s.ok()) return s;
    const std::string k(key);
    kvEntry* e = nullptr;
    natsStatus s = kvStore_Get(&e, kv_, k.c_str());
    if (s != NATS_OK) return Error(s, "getting", key);
    KvEntry entry;
    entry.key = k;
    const void* value = kvEntry_Value(e);
    if (value != nullptr) {
      entry.value.assign(static_cast<const char*>(value), static_cast<size_t>(kvEntry_ValueLen(e)));
    }
    entry.revision = kvEntry_Revision(e);
    kvEntry_Destroy(e);
    return entry;
  }

  std::vector<absl::StatusOr<KvEntry>> GetMany(const std::vector<std::string>& keys) override {
    std::vector<absl::StatusOr<KvEntry>> entries(keys.size(), absl::UnknownError("not read"));
    if (keys.size() <= 1) {
      for (size_t i = 0; i < keys.size(); ++i) entries[i] = Get(keys[i]);
      return entries;
    }
    // One task per reader thread, each taking the next unread key: the reads
    // share the connection, so their round trips overlap.
    std::atomic<size_t> next{0};
    const auto read = [&] {
      for (size_t i = next++; i < keys.size(); i = next++) entries[i] = Get(keys[i]);
    };
    std::vector<std::function<void()>> tasks(std::min(keys.size(), kParallelReads), read);
    Readers().RunAll(std::move(tasks));
    return entries;
  }

  absl::StatusOr<KvEntry> GetLatest(std::string_view key) override {
    // With one copy every read is the latest; the direct get is cheaper.
    if (replicas_ <= 1) return Get(key);
    if (absl::Status s = Check(key); !s.ok()) return s;
    const std::string k(key);
    // The stream's message API is answered by its leader; kvStore_Get may be
    // a direct get, which any replica answers, one that is behind included.
    const std::string stream = absl::StrCat("KV_", bucket_);
    const std::string subject = absl::StrCat("$KV.", bucket_, ".", k);
    natsMsg* msg = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetLastMsg(&msg, core_->js, stream.c_str(), subject.c_str(), nullptr, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) {
      return absl::NotFoundError(absl::StrCat(bucket_, "/", k, " not found"));
    }
    if (s != NATS_OK) return LastNatsError(s, jerr, absl::StrCat("getting ", bucket_, "/", k));
    const char* operation = nullptr;
    const bool deleted =
        natsMsgHeader_Get(msg, "KV-Operation", &operation) == NATS_OK && operation != nullptr &&
        (std::string_view(operation) == "DEL" || std::string_view(operation) == "PURGE");
    if (deleted) {
      natsMsg_Destroy(msg);
      return absl::NotFoundError(absl::StrCat(bucket_, "/", k, " not found"));
    }
    KvEntry entry;
    entry.key = k;
    if (natsMsg_GetDataLength(msg) > 0) {
      entry.value.assign(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
    }
    entry.revision = natsMsg_GetSequence(msg);
    natsMsg_Destroy(msg);
    return entry;
  }

  absl::StatusOr<uint64_t> Create(std::string_view key, std::string_view value) override {
    if (absl::Status s = Check(key); !s.ok()) return s;
    const std::string k(key);
    uint64_t rev = 0;
    natsStatus s =
        kvStore_Create(&rev, kv_, k.c_str(), value.data(), static_cast<int>(value.size()));
    if (s != NATS_OK) return Error(s, "creating", key, NatsOperation::kKvCreate);
    return rev;
  }

  absl::StatusOr<uint64_t> Update(std::string_view key, std::string_view value,
                                  uint64_t expected_revision) override {
    if (absl::Status s = Check(key); !s.ok()) return s;
    if (expected_revision == 0) {
      // nats.c treats a zero revision as "no check"; zero means "no live value".
      absl::StatusOr<uint64_t> created = Create(key, value);
      if (created.status().code() == absl::StatusCode::kAlreadyExists) {
        return absl::AbortedError(created.status().message());
      }
      return created;
    }
    const std::string k(key);
    uint64_t rev = 0;
    natsStatus s = kvStore_Update(&rev, kv_, k.c_str(), value.data(),
                                  static_cast<int>(value.size()), expected_revision);
    if (s != NATS_OK) return Error(s, "updating", key);
    return rev;
  }

  absl::StatusOr<uint64_t> Put(std::string_view key, std::string_view value) override {
    if (absl::Status s = Check(key); !s.ok()) return s;
    const std::string k(key);
    uint64_t rev = 0;
    natsStatus s = kvStore_Put(&rev, kv_, k.c_str(), value.data(), static_cast<int>(value.size()));
    if (s != NATS_OK) return Error(s, "putting", key);
    return rev;
  }

  absl::Status Delete(std::string_view key) override {
    if (absl::Status s = Check(key); !s.ok()) return s;
    const std::string k(key);
    natsStatus s = kvStore_Delete(kv_, k.c_str());
    if (s != NATS_OK) return Error(s, "deleting", key);
    return absl::OkStatus();
  }

  // Both read the bucket on one ordered consumer (a watch of every key, deletes
  // left out) until the marker that says every current value was delivered.
  // kvStore_Keys is not used: it gives up on the whole listing after one request
  // timeout, which a bucket of a hundred thousand keys exceeds.
  absl::StatusOr<std::vector<std::string>> Keys(std::string_view prefix) override {
    std::vector<std::string> keys;
    RETURN_IF_ERROR(
        Watch(prefix, /*meta_only=*/true, [&keys](std::string_view key, const KvEntry&) {
          keys.emplace_back(key);
          return absl::OkStatus();
        }));
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  absl::Status Scan(std::string_view prefix,
                    const std::function<absl::Status(std::string_view key, const KvEntry& entry)>&
                        visit) override {
    return Watch(prefix, /*meta_only=*/false, visit);
  }

 private:
  absl::Status Watch(
      std::string_view prefix, bool meta_only,
      const std::function<absl::Status(std::string_view key, const KvEntry& entry)>& visit) {
    if (!core_->Connected()) return absl::UnavailableError("not connected to NATS");
    kvWatchOptions wo;
    kvWatchOptions_Init(&wo);
    // Deletions are delivered and skipped below: asked to ignore them, nats.c never
    // reports the end of a bucket that holds only deletions (the outbox, idle).
    wo.IgnoreDeletes = false;
    wo.MetaOnly = meta_only;
    wo.Timeout = core_->TimeoutMillis();
    kvWatcher* watcher = nullptr;
    natsStatus s = kvStore_WatchAll(&watcher, kv_, &wo);
    if (s != NATS_OK) return LastNatsError(s, 0, absl::StrCat("reading the keys of ", bucket_));
    std::unique_ptr<kvWatcher, decltype(&kvWatcher_Destroy)> owned(watcher, &kvWatcher_Destroy);
    KvEntry entry;
    while (true) {
      kvEntry* e = nullptr;
      // The wait is for the next entry only, however large the bucket.
      s = kvWatcher_Next(&e, watcher, core_->TimeoutMillis());
      if (s != NATS_OK) return LastNatsError(s, 0, absl::StrCat("reading the keys of ", bucket_));
      if (e == nullptr) return absl::OkStatus();  // every current value delivered
      std::unique_ptr<kvEntry, decltype(&kvEntry_Destroy)> held(e, &kvEntry_Destroy);
      if (kvEntry_Operation(e) != kvOp_Put) continue;
      const char* key = kvEntry_Key(e);
      if (key == nullptr || !absl::StartsWith(key, AsAbsl(prefix))) continue;
      entry.key = key;
      const void* value = kvEntry_Value(e);
      entry.value.assign(value != nullptr ? static_cast<const char*>(value) : "",
                         static_cast<size_t>(kvEntry_ValueLen(e)));
      entry.revision = kvEntry_Revision(e);
      RETURN_IF_ERROR(visit(entry.key, entry));
    }
  }

  absl::Status Check(std::string_view key) const {
    if (absl::Status s = ValidateKvKey(key); !s.ok()) return s;
    if (!core_->Connected()) return absl::UnavailableError("not connected to NATS");
    return absl::OkStatus();
  }

  absl::Status Error(natsStatus s, std::string_view verb, std::string_view key,
                     NatsOperation op = NatsOperation::kGeneric) const {
    return LastNatsError(s, 0, absl::StrCat(AsAbsl(verb), " ", bucket_, "/", AsAbsl(key)), op);
  }

  // Reads in flight at once for GetMany: enough to cover a page's round trips
  // on loopback without a thread per key.
  static constexpr size_t kParallelReads = 8;

  // The GetMany threads, made on first use (most buckets never read pages).
  WorkerPool& Readers() {
    std::call_once(readers_once_,
                   [this] { readers_ = std::make_unique<WorkerPool>(kParallelReads); });
    return *readers_;
  }

  const std::shared_ptr<NatsCore> core_;
  kvStore* const kv_;
  const std::string bucket_;
  const int replicas_;  // of the bucket's stream as the server reported it at open
  std::once_flag readers_once_;
  std::unique_ptr<WorkerPool> readers_;
};

// The bucket's replicas as the server has them (not as configured here: a
// bucket another deployment made R3 must be read from its leader). 3 when the
// status cannot be read: the careful answer.
int ReplicasOf(kvStore* kv) {
  kvStatus* status = nullptr;
  if (kvStore_Status(&status, kv) != NATS_OK) return 3;
  const int replicas = static_cast<int>(kvStatus_Replicas(status));
  kvStatus_Destroy(status);
  return replicas;
}

}  // namespace

absl::Status ValidateKvKey(std::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("empty key");
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '=' || c == '.' || c == '/' || c == '-';
    if (!ok) return absl::InvalidArgumentError(absl::StrCat("invalid key: ", AsAbsl(key)));
    if (c == '.' && (i == 0 || i + 1 == key.size() || key[i - 1] == '.')) {
      return absl::InvalidArgumentError(absl::StrCat("invalid key: ", AsAbsl(key)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<KeyValueStore>> OpenNatsBucket(std::shared_ptr<NatsCore> core,
                                                              const BucketSpec& spec) {
  if (spec.name.empty()) return absl::InvalidArgumentError("bucket name is empty");
  if (spec.history < 1 || spec.history > 64) {
    return absl::InvalidArgumentError("bucket history must be between 1 and 64");
  }
  if (!core->Connected()) return absl::UnavailableError("not connected to NATS");
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, core->js, spec.name.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = spec.name.c_str();
    cfg.History = static_cast<uint8_t>(spec.history);
    cfg.TTL = absl::ToInt64Nanoseconds(spec.ttl);
    cfg.Replicas = std::max(1, spec.replicas);
    s = js_CreateKeyValue(&kv, core->js, &cfg);
  }
  if (s != NATS_OK) return LastNatsError(s, 0, absl::StrCat("opening bucket ", spec.name));
  return std::unique_ptr<KeyValueStore>(
      std::make_unique<NatsKeyValueStore>(std::move(core), kv, spec.name, ReplicasOf(kv)));
}

}  // namespace carecast::common
