// Watches when the channel access tokens expire, so Prometheus can warn before
// a scheduled post fails with auth_expired. Reads the token directory (the
// chart mounts the channel-token Secret there, CARECAST_CHANNEL_SECRETS_DIR) on
// its own thread and exports expiry times; it never keeps, logs or exports a
// token.
//
// Token file format: one regular file per channel account, any name that does
// not start with '.' (Kubernetes' `..data` links are skipped), at most 64 KiB,
// a JSON object:
//   {"network": "x",                              // a NetworkLabel: x,
//   facebook, ...
//    "account": "spokes/st-marys/accounts/x-main",
//    "access_token": "...",                       // read by the adapters,
//    ignored here "expires_at": "2026-03-01T00:00:00Z"}        // RFC 3339;
//    absent or null: never expires
// Other members are ignored.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "absl/time/time.h"
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"

namespace carecast::publisher {

struct TokenExpiryWatcherOptions {
  std::string directory;                        // the token files; must not be empty
  absl::Duration interval = absl::Seconds(60);  // between scans
};

// What one scan found (for tests and the first-scan log line).
struct TokenScanResult {
  int files = 0;        // token files read successfully
  int read_errors = 0;  // unreadable or malformed files (a missing directory counts once)
  int expired = 0;      // files whose expires_at is not after the clock's now
};

// Exports carecast_channel_token_expiry_timestamp_seconds{network,spoke} (Unix
// seconds; the earliest expiry when several accounts share network and spoke;
// series of tokens that disappeared are removed) and
// carecast_channel_token_read_errors_total (+1 per unreadable file per scan;
// the log names the file, never its content). Thread-safe; `registry`, `clock`
// and `logger` must outlive it.
class TokenExpiryWatcher {
 public:
  TokenExpiryWatcher(TokenExpiryWatcherOptions options, prometheus::Registry& registry,
                     const common::Clock& clock, common::Logger& logger);
  ~TokenExpiryWatcher();  // Stop()s
  TokenExpiryWatcher(const TokenExpiryWatcher&) = delete;
  TokenExpiryWatcher& operator=(const TokenExpiryWatcher&) = delete;

  // Reads the directory once and replaces the exported expiries.
  TokenScanResult ScanOnce();
  // Scans once now, then every `interval` on a thread until Stop().
  void Start();
  void Stop();

 private:
  void Run();

  const TokenExpiryWatcherOptions options_;
  const common::Clock& clock_;
  common::Logger& logger_;
  prometheus::Family<prometheus::Gauge>& expiry_;
  prometheus::Counter& read_errors_;

  std::mutex scan_mu_;  // one scan at a time; guards exported_
  std::map<std::pair<std::string, std::string>, prometheus::Gauge*> exported_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace carecast::publisher
