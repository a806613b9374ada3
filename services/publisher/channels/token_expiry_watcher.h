// Watches when the channel access tokens expire, so Prometheus can warn before
// a scheduled post fails with auth_expired. Reads the token directory (the
// chart mounts the channel-token Secret there, CARECAST_CHANNEL_SECRETS_DIR) on
// its own thread and exports expiry times; it never keeps, logs or exports a
// token.
//
// Token file format: one regular file per channel account, any name that does
// not start with '.' (Kubernetes' `..data` links are skipped), at most 64 KiB,
// a JSON object:
//   {"network": "x",                    // a NetworkLabel: x, facebook, ...
//    "account": "spokes/st-marys/accounts/x-main",
//    "access_token": "...",             // read by the adapters, ignored here
//    "expires_at": "2026-03-01T00:00:00Z"}  // RFC 3339; absent or null: never
//                                           // expires
// Other members are ignored.
//
// The files say which accounts exist (and which files are unreadable). Whose
// expiry is exported is the CredentialSource's answer when one is given
// (options.credentials): the credentials the adapters use for the account,
// which for rotating OAuth tokens are the refreshed ones the publisher stored
// (file_credential_source.h decides which tokens are current). Without a
// source, or when it has no answer for an account, the file's expires_at.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/base/periodic_runner.h"
#include "services/publisher/channels/credentials.h"

namespace carecast::publisher {

struct TokenExpiryWatcherOptions {
  std::string directory;                        // the token files; must not be empty
  absl::Duration interval = absl::Seconds(60);  // between scans
  // Where the current credentials of an account come from (the publisher's
  // FileCredentialSource); null: the files' expires_at. Must outlive the
  // watcher.
  CredentialSource* credentials = nullptr;
};

// What one scan found (for tests and the first-scan log line).
struct TokenScanResult {
  int files = 0;        // token files read successfully
  int read_errors = 0;  // unreadable or malformed files (a missing directory counts once)
  int expired = 0;      // accounts whose current token expired (not after the clock's now)
};

// Exports carecast_channel_token_expiry_timestamp_seconds{network,spoke} (Unix
// seconds; the earliest expiry of the current tokens when several accounts
// share network and spoke; tokens that never expire have no series;
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
  // The expiry of the credentials options_.credentials gives for `account`
  // (nullopt: never expires); `file_expires_at` when it gives none.
  std::optional<absl::Time> CurrentExpiry(const std::string& file, const std::string& account,
                                          std::optional<absl::Time> file_expires_at);

  const TokenExpiryWatcherOptions options_;
  const common::Clock& clock_;
  common::Logger& logger_;
  prometheus::Family<prometheus::Gauge>& expiry_;
  prometheus::Counter& read_errors_;

  std::mutex scan_mu_;  // one scan at a time; guards exported_
  std::map<std::pair<std::string, std::string>, prometheus::Gauge*> exported_;

  common::PeriodicRunner scanner_;  // last: stopped before the rest is destroyed
};

}  // namespace carecast::publisher
