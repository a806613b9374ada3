// The `sandbox` network: records what would have been posted as one JSON line per
// delivery in <dir>/deliveries.jsonl. Several publisher processes may share the
// directory: appends happen under flock(2) after checking the idempotency key, so
// a key is recorded at most once and a repeat returns the first receipt (as
// Mastodon's Idempotency-Key does). Thread-safe.
//
// Because that dedupe would hide a double send, the sandbox also counts what it
// was asked: every Publish call appends one JSON line to <dir>/calls.jsonl (under
// the same lock) with the key, the post, the publisher, the time, whether the key
// had already been delivered ("repeat") and what the call returned ("result":
// "delivered", "repeat", "refused", "unknown" or "lost_receipt"). A correct
// publisher makes exactly one call per key; ReadSandboxCalls parses the file.
//
// Engagement and follower counts come from <dir>/audience.jsonl
// (sandbox_audience.h), which a demo or a test writes.
//
// Test triggers: text containing one of these markers drives an outcome through
// a real publisher binary (nothing else in the text changes):
//   "[sandbox:refuse]"       permanent refusal (kPermanent), nothing delivered:
//                            the post becomes FAILED.
//   "[sandbox:unknown]"      outcome unknown (kOutcomeUnknown), nothing delivered:
//                            FindPublished then finds nothing, the post NEEDS_HUMAN.
//   "[sandbox:lost-receipt]" delivered and recorded, yet the caller is told the
//                            outcome is unknown (a timeout after the send):
//                            FindPublished finds it, the post becomes PUBLISHED.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/clock.h"
#include "services/publisher/channels/channel.h"
#include "services/publisher/channels/delivery_log.h"

namespace carecast::publisher {

// The markers documented above.
inline constexpr std::string_view kSandboxRefuseTrigger = "[sandbox:refuse]";
inline constexpr std::string_view kSandboxUnknownTrigger = "[sandbox:unknown]";
inline constexpr std::string_view kSandboxLostReceiptTrigger = "[sandbox:lost-receipt]";

// One line of <dir>/calls.jsonl: one Publish call the sandbox received.
struct SandboxCall {
  std::string idempotency_key;
  std::string post;  // `posts/{post}`
  std::string publisher_id;
  absl::Time time = absl::UnixEpoch();
  bool repeat = false;  // the key had already been delivered
  std::string result;   // "delivered", "repeat", "refused", "unknown", "lost_receipt"
};

class SandboxChannel final : public Channel, public DeliveryLog {
 public:
  // Creates `dir` when missing and opens (creating) the record file. UNAVAILABLE
  // when either cannot be done. `clock` must outlive the channel.
  static absl::StatusOr<std::unique_ptr<SandboxChannel>> Open(const std::string& dir,
                                                              std::string publisher_id,
                                                              const common::Clock& clock);
  ~SandboxChannel() override;

  // The sandbox dedupes on the idempotency key, as Mastodon does.
  IdempotencyModel idempotency() const override { return IdempotencyModel::kNativeKey; }
  absl::StatusOr<Receipt> Publish(const PublishRequest& request) override;
  // By idempotency key, in every instance's record.
  absl::StatusOr<std::optional<Receipt>> FindPublished(const PublishRequest& request,
                                                       absl::Time since) override;
  // The record is append-only: kPermanent.
  absl::Status Delete(std::string_view account, std::string_view external_id) override;
  absl::StatusOr<std::vector<RemotePost>> ListRecent(std::string_view account, absl::Time since,
                                                     int limit) override;
  // From <dir>/audience.jsonl (sandbox_audience.h): true zeros for a post
  // without a line, NOT_FOUND for one marked deleted.
  absl::StatusOr<Engagement> ReadEngagement(std::string_view account,
                                            std::string_view external_id) override;
  // From <dir>/audience.jsonl; 0 for an account without a line.
  absl::StatusOr<int64_t> ReadFollowers(std::string_view account) override;
  absl::StatusOr<std::vector<DeliveryRecord>> ListDeliveries(size_t offset, size_t limit) override;

  const std::string& path() const { return path_; }
  // The directory of the record (and of calls.jsonl and audience.jsonl).
  std::string dir() const;

 private:
  SandboxChannel(std::string path, int fd, int calls_fd, std::string publisher_id,
                 const common::Clock& clock);
  // Appends `call` to calls.jsonl. Called with mu_ and the file lock held; a
  // failure is returned so the call is not silently left uncounted.
  absl::Status RecordCallLocked(const SandboxCall& call);
  absl::StatusOr<Receipt> PublishLocked(const PublishRequest& request, SandboxCall& call);
  // Reads the complete lines other writers appended since the last scan into the
  // cache. Called with mu_ and the file lock held.
  absl::Status CatchUpLocked();

  const std::string path_;
  const int fd_;
  const int calls_fd_;  // calls.jsonl, appended under fd_'s lock
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

// The same for one line of calls.jsonl.
std::string SandboxCallToJsonLine(const SandboxCall& call);
absl::StatusOr<SandboxCall> SandboxCallFromJsonLine(std::string_view line);

// Every complete, well-formed line of <dir>/calls.jsonl in order (for tests that
// count calls per key). An empty list when the file does not exist yet;
// UNAVAILABLE when it cannot be read.
absl::StatusOr<std::vector<SandboxCall>> ReadSandboxCalls(const std::string& dir);

}  // namespace carecast::publisher
