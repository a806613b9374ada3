// The CredentialSource of the publisher: channel account tokens from the
// mounted secrets directory, OAuth 2 refresh for networks that issue refresh
// tokens, and the rotated tokens shared by every replica in a NATS KV bucket.
//
// Token files (CARECAST_CHANNEL_SECRETS_DIR, the format of
// token_expiry_watcher.h, extended): one JSON object per file,
//   {"network": "x", "account": "spokes/st-marys/accounts/x-main",
//    "access_token": "...", "expires_at": "2026-03-01T00:00:00Z",   // or null
//    "refresh_token": "...", "client_id": "...", "client_secret": "...",
//    "token_url": "https://...", "token_auth": "basic" | "body",
//    "user_id": "...", ...}
// Every string member other than access_token and expires_at is a
// Credential::fields entry ("network" and "account" included). A file is read
// again whenever its inode, size or modification time changes (Kubernetes
// swaps the files of an updated Secret in place).
//
// Rotated tokens: the mounted Secret is read-only, so a refresh stores the new
// tokens in the KV bucket `kv_bucket`, key = the account with '/' as '.', as a
// JSON record sealed with TokenSealer:
//   {access_token, refresh_token, expires_at, refreshed_at, refreshing_by,
//    lease_until, file_fingerprint, disconnected}
// `file_fingerprint` is a SHA-256 of the token file's access and refresh token
// (and its app_password and secret fields, only when present) that the record
// descends from. Get returns the record while the file still has that
// fingerprint; once the file's tokens change (an operator reconnected the
// account), the file wins. Content, not modification times, decides: the
// kubelet rewrites every file when a pod starts, which says nothing about
// which tokens are newer.
//
// Refresh is single-flight per account: one thread per process (a per-account
// mutex) and one replica at a time (a lease, refreshing_by + lease_until = now
// + `lease`, taken by compare-and-set on the record before the token endpoint
// is called; a replica that finds a live lease polls the record for up to
// `lease_wait`). A stored refresh token is never replaced by an empty one.
//
// Disconnected accounts: a refusal of the refresh itself (invalid_grant,
// invalid_client, unauthorized_client, any other 4xx except 408/429) or no
// refresh token at all → UNAUTHENTICATED "account <account> must be
// reconnected", the record is marked so every replica stops trying, one error
// log line names the account, and carecast_channel_account_disconnected{network,
// spoke} counts it until a refresh succeeds or the token file changes (the
// series of every network and spoke with a token file exists, at 0 when none
// is disconnected).
// Accounts that sign in with an app_password (WordPress, Bluesky) or secret
// (webhook) have no access token to compare with the rejected one: Refresh
// hands out the file's credentials when they changed since the last Refresh
// judged them (before any: since the file was first read) and, for `lease`
// after that, to every caller refused meanwhile; otherwise the account is
// disconnected (a new app password in the file ends that).
// Transport failures, 408, 429 and 5xx → UNAVAILABLE; the account stays
// connected. Messages, logs and metrics never carry a token or secret.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/key_value_store.h"
#include "services/common/http/http_client.h"
#include "services/publisher/channels/credentials.h"
#include "services/publisher/channels/token_sealer.h"

namespace carecast::publisher {

struct FileCredentialSourceOptions {
  std::string directory;  // the token files; must not be empty
  std::string kv_bucket = "carecast_channel_tokens";
  int kv_replicas = 1;           // 3 in production
  std::string sealing_key_file;  // 32 raw bytes or 64 hex digits; required
  // This replica's name in refreshing_by (the pod name); empty: host-pid-random.
  // Must differ between replicas.
  std::string holder;
  absl::Duration refresh_timeout = absl::Seconds(10);  // one token endpoint call
  absl::Duration lease = absl::Seconds(30);            // must exceed refresh_timeout
  // How long a Refresh waits for another replica's lease before UNAVAILABLE,
  // and how often it reads the record meanwhile (real time).
  absl::Duration lease_wait = absl::Seconds(15);
  absl::Duration lease_poll = absl::Milliseconds(100);
  // Get looks at the directory at most this often (real time); Refresh always
  // looks. A scan stats every file, so without this each post would cost one
  // stat per account. Kubernetes itself takes up to a minute to swap a Secret.
  absl::Duration rescan_interval = absl::Seconds(1);
};

// Thread-safe. `http`, `registry`, `clock` and `logger` must outlive it.
class FileCredentialSource final : public CredentialSource {
 public:
  // Opens (creating when missing) the KV bucket and reads the sealing key.
  // INVALID_ARGUMENT for bad options or a bad key file, NOT_FOUND for a missing
  // key file, the store's error when the bucket cannot be opened.
  static absl::StatusOr<std::unique_ptr<FileCredentialSource>> Create(
      FileCredentialSourceOptions options, common::KeyValueStoreFactory& kv,
      common::HttpClient& http, prometheus::Registry& registry, const common::Clock& clock,
      common::Logger& logger);
  ~FileCredentialSource() override;

  // NOT_FOUND when no token file names `account`. When the account's newest
  // tokens are in the KV store and it cannot be read, the last record this
  // process saw is used (else the file's tokens).
  absl::StatusOr<Credential> Get(std::string_view account) override;
  // See the contract in credentials.h and the file comment above. NOT_FOUND
  // when no token file names `account`.
  absl::StatusOr<Credential> Refresh(std::string_view account,
                                     std::string_view rejected_access_token) override;

  // The KV key of `account` ('/' → '.').
  static std::string KvKey(std::string_view account);

 private:
  struct TokenFile;
  struct TokenRecord;
  struct Stored;
  struct CachedFile;
  struct Attempt;
  struct Lease;
  enum class EndpointOutcome;

  FileCredentialSource(FileCredentialSourceOptions options,
                       std::unique_ptr<common::KeyValueStore> store, const TokenSealer& sealer,
                       common::HttpClient& http, prometheus::Registry& registry,
                       const common::Clock& clock, common::Logger& logger);

  // Rescans the directory (re-reading changed files) when `fresh` or when the
  // last scan is older than rescan_interval, and returns the file of `account`;
  // nullopt when none names it.
  std::optional<TokenFile> FileOf(std::string_view account, bool fresh);
  // The account's KV record: nullopt when there is none; a record that cannot be
  // opened is reported as present but unreadable (its revision is kept so it
  // can be replaced). Errors: the store's (UNAVAILABLE, ...).
  absl::StatusOr<std::optional<Stored>> ReadRecord(const std::string& account);
  absl::StatusOr<uint64_t> WriteRecord(const std::string& account, const TokenRecord& record,
                                       uint64_t expected_revision);
  // Calls the token endpoint; see EndpointOutcome.
  Attempt CallTokenEndpoint(const TokenFile& file, const std::string& refresh_token);
  // Refresh() with the account's mutex held.
  absl::StatusOr<Credential> RefreshLocked(const std::string& account,
                                           std::string_view rejected_access_token);
  // Reads the account's state until either there is an answer without a
  // refresh (a newer token, a disconnected account, an error) or this replica
  // holds the lease.
  absl::StatusOr<std::variant<Credential, Lease>> TakeLease(const std::string& account,
                                                            std::string_view rejected_access_token);
  // Stores the tokens a refresh under `lease` gave and returns them (or, when
  // another replica completed a refresh meanwhile, its tokens).
  absl::StatusOr<Credential> StoreRefreshed(const std::string& account, const Lease& lease,
                                            const TokenRecord& refreshed);
  // The stored record when another replica rotated the refresh token `lease`
  // was taken with; null otherwise.
  std::shared_ptr<const TokenRecord> RotatedElsewhere(const std::string& account,
                                                      const Lease& lease);
  static absl::Status StoreUnavailable(const std::string& account, const absl::Status& status);
  absl::Status Disconnect(const TokenFile& file, std::string_view reason);
  // For a Refresh of an account that signs in with an app_password or secret
  // field (the rejected access token is empty, so it cannot tell): true when
  // the file's credentials changed since the last Refresh judged them (or,
  // before any, since the file was first read), or were handed out as newer
  // within the last `lease`; false for files without those fields.
  bool NewerSignIn(const TokenFile& file);

  std::mutex& AccountMutex(const std::string& account);
  // Records whether `file`'s account is disconnected; true when that changed.
  bool SetDisconnected(const TokenFile& file, bool disconnected);
  void ExportDisconnected() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);

  const FileCredentialSourceOptions options_;
  const std::unique_ptr<common::KeyValueStore> store_;
  const TokenSealer sealer_;
  common::HttpClient& http_;
  const common::Clock& clock_;
  common::Logger& logger_;
  prometheus::Family<prometheus::Gauge>& disconnected_family_;
  std::string holder_;

  std::mutex files_mu_;  // one directory scan at a time
  std::map<std::string, CachedFile> files_ ABSL_GUARDED_BY(files_mu_);  // by file name
  std::optional<std::chrono::steady_clock::time_point> last_scan_ ABSL_GUARDED_BY(files_mu_);

  std::mutex state_mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> account_mu_ ABSL_GUARDED_BY(state_mu_);
  // The last record read or written per account, for when the store is down.
  std::map<std::string, std::shared_ptr<const TokenRecord>> last_record_ ABSL_GUARDED_BY(state_mu_);
  // Disconnected accounts → (network, spoke) and the fingerprint of the file
  // they were disconnected with.
  struct DisconnectedAccount {
    std::string network;
    std::string spoke;
    std::string fingerprint;
  };
  std::map<std::string, DisconnectedAccount> disconnected_ ABSL_GUARDED_BY(state_mu_);
  // Per account: the fingerprint of the file a Refresh last judged (at first,
  // the file as first read), and until when it is handed out as newer.
  struct SignInJudged {
    std::string fingerprint;
    absl::Time handed_out_until = absl::InfinitePast();
  };
  std::map<std::string, SignInJudged> sign_in_ ABSL_GUARDED_BY(state_mu_);
  std::map<std::pair<std::string, std::string>, prometheus::Gauge*> gauges_
      ABSL_GUARDED_BY(state_mu_);
};

}  // namespace carecast::publisher
