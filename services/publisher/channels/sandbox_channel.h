// The `sandbox` network: records what would have been posted as one JSON line per
// delivery in <dir>/deliveries.jsonl. Several publisher processes may share the
// directory: appends happen under flock(2) after checking the idempotency key, so
// a key is recorded at most once and a repeat returns the first receipt (as
// Mastodon's Idempotency-Key does). Thread-safe.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "services/common/base/clock.h"
#include "services/publisher/channels/channel.h"
#include "services/publisher/channels/delivery_log.h"

namespace carecast::publisher {

class SandboxChannel final : public Channel, public DeliveryLog {
 public:
  // Creates `dir` when missing and opens (creating) the record file. UNAVAILABLE
  // when either cannot be done. `clock` must outlive the channel.
  static absl::StatusOr<std::unique_ptr<SandboxChannel>> Open(const std::string& dir,
                                                              std::string publisher_id,
                                                              const common::Clock& clock);
  ~SandboxChannel() override;

  absl::StatusOr<Receipt> Publish(const PublishRequest& request) override;
  absl::StatusOr<std::optional<Receipt>> FindByMarker(std::string_view idempotency_key) override;
  absl::StatusOr<std::vector<DeliveryRecord>> ListDeliveries(size_t offset, size_t limit) override;

  const std::string& path() const { return path_; }

 private:
  SandboxChannel(std::string path, int fd, std::string publisher_id, const common::Clock& clock);
  // Reads the complete lines other writers appended since the last scan into the
  // cache. Called with mu_ and the file lock held.
  absl::Status CatchUpLocked();

  const std::string path_;
  const int fd_;
  const std::string publisher_id_;
  const common::Clock& clock_;

  std::mutex mu_;
  std::vector<DeliveryRecord> records_;   // guarded by mu_
  std::map<std::string, size_t> by_key_;  // idempotency key -> index in records_
  off_t scanned_ = 0;                     // bytes of the file already parsed
};

// One JSON line (without newline) for `record`, and its parse. Exposed for tests.
std::string DeliveryToJsonLine(const DeliveryRecord& record);
absl::StatusOr<DeliveryRecord> DeliveryFromJsonLine(std::string_view line);

}  // namespace carecast::publisher
