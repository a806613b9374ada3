#include "services/publisher/channels/file_credential_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <thread>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "services/common/base/account_name.h"
#include "services/common/base/ids.h"
#include "services/common/base/strings.h"
#include "services/publisher/channels/channel.h"
#include "services/publisher/channels/http_channel_support.h"

namespace carecast::publisher {
namespace {

using nlohmann::json;

constexpr std::uintmax_t kMaxTokenFileBytes = std::uintmax_t{64} * 1024;
constexpr char kXTokenUrl[] = "https://api.x.com/2/oauth2/token";
constexpr char kLinkedInTokenUrl[] = "https://www.linkedin.com/oauth/v2/accessToken";
// Members of a token file that are not Credential::fields.
constexpr std::array<std::string_view, 2> kNotFields = {"access_token", "expires_at"};

std::string Hex(const unsigned char* bytes, size_t n) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), n));
}

// Which credentials a file holds, as a digest: stored in the (sealed) record so
// a replica can tell whether the record descends from the file it sees now, and
// kept with a disconnection so a new file ends it. The sign-in fields
// (app_password: WordPress, Bluesky; secret: webhook) are added only when
// present, so the fingerprint of a file without them (X, LinkedIn, Mastodon,
// ...) is the SHA-256 of access token NUL refresh token, as in records stored
// before they counted.
std::string Fingerprint(std::string_view access_token, std::string_view refresh_token,
                        std::string_view app_password, std::string_view secret) {
  std::string material = absl::StrCat(common::AsAbsl(access_token), std::string(1, '\0'),
                                      common::AsAbsl(refresh_token));
  if (!app_password.empty()) {
    absl::StrAppend(&material, std::string(1, '\0'), "app_password", std::string(1, '\0'),
                    common::AsAbsl(app_password));
  }
  if (!secret.empty()) {
    absl::StrAppend(&material, std::string(1, '\0'), "secret", std::string(1, '\0'),
                    common::AsAbsl(secret));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(material.data(), material.size(), digest, &length, EVP_sha256(), nullptr);
  return Hex(digest, length);
}

// The spoke id of "spokes/{spoke}/accounts/{account}", or empty when malformed.
std::string SpokeOf(const std::string& account) {
  std::optional<common::AccountIds> ids = common::ParseAccountIds(account);
  return ids ? ids->spoke : std::string();
}

std::optional<std::string> FormatOptionalTime(absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return std::nullopt;
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

// An RFC 3339 member; `absent` when missing or null; false when malformed.
bool ParseTimeMember(const json& object, const char* name, absl::Time absent, absl::Time* out) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    *out = absent;
    return true;
  }
  std::string ignored;
  return it->is_string() &&
         absl::ParseTime(absl::RFC3339_full, it->get<std::string>(), out, &ignored);
}

std::string StringMember(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An OAuth error code fit for a log line or message: the RFC 6749 codes are
// short ASCII words; anything else is replaced.
std::string SafeErrorCode(const std::string& code) {
  if (code.empty() || code.size() > 64) return "";
  for (char c : code) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return "";
  }
  return code;
}

std::string DefaultHolder() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  unsigned char random[4] = {};
  RAND_bytes(random, sizeof(random));
  return absl::StrCat(host.data(), "-", getpid(), "-", Hex(random, sizeof(random)));
}

}  // namespace

// One parsed token file.
struct FileCredentialSource::TokenFile {
  std::string name;  // the file name, for logs
  std::string network;
  std::string account;
  std::string spoke;
  std::string access_token;
  absl::Time expires_at = absl::InfiniteFuture();
  std::map<std::string, std::string> fields;
  std::string fingerprint;

  std::string Field(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  }
};

// The KV record (sealed in the store).
struct FileCredentialSource::TokenRecord {
  std::string access_token;
  std::string refresh_token;
  absl::Time expires_at = absl::InfiniteFuture();
  absl::Time refreshed_at = absl::InfinitePast();
  std::string refreshing_by;
  absl::Time lease_until = absl::InfinitePast();
  std::string file_fingerprint;
  bool disconnected = false;

  std::string ToJson() const {
    json j = {{"access_token", access_token},
              {"refresh_token", refresh_token},
              {"expires_at", nullptr},
              {"refreshed_at", nullptr},
              {"refreshing_by", refreshing_by},
              {"lease_until", nullptr},
              {"file_fingerprint", file_fingerprint},
              {"disconnected", disconnected}};
    if (auto t = FormatOptionalTime(expires_at)) j["expires_at"] = *t;
    if (auto t = FormatOptionalTime(refreshed_at)) j["refreshed_at"] = *t;
    if (auto t = FormatOptionalTime(lease_until)) j["lease_until"] = *t;
    return j.dump();
  }

  static std::optional<TokenRecord> FromJson(const std::string& text) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    TokenRecord r;
    r.access_token = StringMember(j, "access_token");
    r.refresh_token = StringMember(j, "refresh_token");
    r.refreshing_by = StringMember(j, "refreshing_by");
    r.file_fingerprint = StringMember(j, "file_fingerprint");
    auto disconnected = j.find("disconnected");
    r.disconnected =
        disconnected != j.end() && disconnected->is_boolean() && disconnected->get<bool>();
    if (!ParseTimeMember(j, "expires_at", absl::InfiniteFuture(), &r.expires_at) ||
        !ParseTimeMember(j, "refreshed_at", absl::InfinitePast(), &r.refreshed_at) ||
        !ParseTimeMember(j, "lease_until", absl::InfinitePast(), &r.lease_until)) {
      return std::nullopt;
    }
    return r;
  }
};

// A record as read from the store: `record` is null when the value could not be
// opened (another sealing key, or damaged); `revision` lets it be replaced.
struct FileCredentialSource::Stored {
  uint64_t revision = 0;
  std::shared_ptr<const TokenRecord> record;
};

// A file as last seen by the scan: its identity, and what it held (nullopt:
// unreadable or malformed).
struct FileCredentialSource::CachedFile {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  std::optional<TokenFile> token;
};

// The lease this replica holds on an account's record, and the file it read.
struct FileCredentialSource::Lease {
  TokenFile file;
  TokenRecord record;  // as written with the lease
  uint64_t revision = 0;
};

enum class FileCredentialSource::EndpointOutcome { kRefreshed, kRefused, kTransient };

// What one token endpoint call gave. `reason` is safe to log (no token).
struct FileCredentialSource::Attempt {
  EndpointOutcome outcome = EndpointOutcome::kTransient;
  std::string reason;
  std::string access_token;
  std::string refresh_token;  // empty: the answer had none
  absl::Time expires_at = absl::InfiniteFuture();
};

namespace {

// Parses one token file; nullopt when it is not a valid token file (the
// expiry watcher reports those; parser messages would quote the token).
template <typename TokenFile>
std::optional<TokenFile> ParseTokenFile(const std::filesystem::path& path, std::uintmax_t size) {
  if (size > kMaxTokenFileBytes) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string content(static_cast<size_t>(size), '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<size_t>(in.gcount()));
  json j = json::parse(content, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  TokenFile file;
  file.name = path.filename().string();
  file.network = StringMember(j, "network");
  file.account = StringMember(j, "account");
  if (ParseNetworkLabel(file.network) == carecast::v1::NETWORK_UNSPECIFIED) return std::nullopt;
  file.spoke = SpokeOf(file.account);
  if (file.spoke.empty()) return std::nullopt;
  file.access_token = StringMember(j, "access_token");
  if (!ParseTimeMember(j, "expires_at", absl::InfiniteFuture(), &file.expires_at)) {
    return std::nullopt;
  }
  for (const auto& [name, value] : j.items()) {
    if (!value.is_string()) continue;
    if (std::find(kNotFields.begin(), kNotFields.end(), name) != kNotFields.end()) continue;
    file.fields[name] = value.template get<std::string>();
  }
  file.fingerprint = Fingerprint(file.access_token, file.Field("refresh_token"),
                                 file.Field("app_password"), file.Field("secret"));
  return file;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileCredentialSource>> FileCredentialSource::Create(
    FileCredentialSourceOptions options, common::KeyValueStoreFactory& kv, common::HttpClient& http,
    prometheus::Registry& registry, const common::Clock& clock, common::Logger& logger) {
  if (options.directory.empty()) {
    return absl::InvalidArgumentError("the channel secrets directory is not set");
  }
  if (options.kv_bucket.empty()) {
    return absl::InvalidArgumentError("the channel token bucket name is empty");
  }
  if (options.sealing_key_file.empty()) {
    return absl::InvalidArgumentError("the channel token sealing key file is not set");
  }
  if (options.refresh_timeout <= absl::ZeroDuration() || options.lease <= options.refresh_timeout ||
      options.lease_poll <= absl::ZeroDuration() || options.lease_wait < absl::ZeroDuration() ||
      options.rescan_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "token refresh timings: refresh_timeout and lease_poll must be positive, the lease "
        "longer than refresh_timeout and rescan_interval not negative");
  }
  absl::StatusOr<TokenSealer> sealer = TokenSealer::FromKeyFile(options.sealing_key_file);
  if (!sealer.ok()) return sealer.status();
  common::BucketSpec spec;
  spec.name = options.kv_bucket;
  spec.history = 1;  // older values hold older (sealed) tokens: keep none
  spec.replicas = options.kv_replicas;
  absl::StatusOr<std::unique_ptr<common::KeyValueStore>> store = kv.OpenBucket(spec);
  if (!store.ok()) return store.status();
  auto source = std::unique_ptr<FileCredentialSource>(new FileCredentialSource(
      std::move(options), *std::move(store), *sealer, http, registry, clock, logger));
  // One scan now, so the disconnected series of every account's network and
  // spoke exist (at 0) before the first post needs a token.
  source->FileOf("", /*fresh=*/true);
  return source;
}

FileCredentialSource::FileCredentialSource(FileCredentialSourceOptions options,
                                           std::unique_ptr<common::KeyValueStore> store,
                                           const TokenSealer& sealer, common::HttpClient& http,
                                           prometheus::Registry& registry,
                                           const common::Clock& clock, common::Logger& logger)
    : options_(std::move(options)),
      store_(std::move(store)),
      sealer_(sealer),
      http_(http),
      clock_(clock),
      logger_(logger),
      disconnected_family_(prometheus::BuildGauge()
                               .Name("carecast_channel_account_disconnected")
                               .Help("Channel accounts a person must reconnect (the network "
                                     "refused the refresh, or there is no refresh token), per "
                                     "network and spoke.")
                               .Register(registry)),
      holder_(options_.holder.empty() ? DefaultHolder() : options_.holder) {}

FileCredentialSource::~FileCredentialSource() = default;

std::string FileCredentialSource::KvKey(std::string_view account) {
  return absl::StrReplaceAll(common::AsAbsl(account), {{"/", "."}});
}

std::mutex& FileCredentialSource::AccountMutex(const std::string& account) {
  std::lock_guard lock(state_mu_);
  std::unique_ptr<std::mutex>& mu = account_mu_[account];
  if (mu == nullptr) mu = std::make_unique<std::mutex>();
  return *mu;
}

std::optional<FileCredentialSource::TokenFile> FileCredentialSource::FileOf(
    std::string_view account, bool fresh) {
  std::lock_guard files_lock(files_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!fresh && last_scan_ &&
      now - *last_scan_ < absl::ToChronoNanoseconds(options_.rescan_interval)) {
    for (const auto& [name, file] : files_) {  // by name: the first file of an account wins
      if (file.token && file.token->account == account) return file.token;
    }
    // Not seen yet: a file added since the last scan must not read as missing.
  }
  last_scan_ = now;
  std::error_code ec;
  std::filesystem::directory_iterator it(options_.directory, ec);
  std::set<std::string> seen;
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Kubernetes Secret volumes hold "..data" and "..<timestamp>" entries
    // beside the key links; the keys themselves never start with '.'.
    if (name.empty() || name[0] == '.') continue;
    struct stat st {};
    if (stat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // follows links
    seen.insert(name);
    const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    auto cached = files_.find(name);
    if (cached != files_.end() && cached->second.device == st.st_dev &&
        cached->second.inode == st.st_ino && cached->second.size == st.st_size &&
        cached->second.mtime_ns == mtime_ns) {
      continue;
    }
    CachedFile& file = files_[name];
    file.device = st.st_dev;
    file.inode = st.st_ino;
    file.size = st.st_size;
    file.mtime_ns = mtime_ns;
    file.token = ParseTokenFile<TokenFile>(it->path(), static_cast<std::uintmax_t>(st.st_size));
  }
  if (ec) {
    // An unreadable mount keeps what was read before: the tokens did not go
    // away, the directory did (the expiry watcher reports it).
    seen.clear();
    for (const auto& [name, file] : files_) seen.insert(name);
  }
  for (auto f = files_.begin(); f != files_.end();) {
    f = seen.count(f->first) == 0 ? files_.erase(f) : std::next(f);
  }

  std::optional<TokenFile> found;
  std::map<std::string, std::string> fingerprints;      // account → its file's fingerprint
  std::set<std::pair<std::string, std::string>> known;  // (network, spoke) of every file
  for (const auto& [name, file] : files_) {  // by name: the first file of an account wins
    if (!file.token) continue;
    fingerprints.emplace(file.token->account, file.token->fingerprint);
    known.emplace(file.token->network, file.token->spoke);
    if (!found && file.token->account == account) found = file.token;
  }
  std::lock_guard state_lock(state_mu_);
  // The sign-in credentials of an account as first seen: what a Refresh
  // without newer ones compares with.
  for (const auto& [name, fingerprint] : fingerprints) {
    sign_in_.emplace(name, SignInJudged{fingerprint, absl::InfinitePast()});
  }
  // A new token file (or none) ends a disconnection: someone reconnected, or
  // removed the account.
  for (auto d = disconnected_.begin(); d != disconnected_.end();) {
    auto f = fingerprints.find(d->first);
    d = f == fingerprints.end() || f->second != d->second.fingerprint ? disconnected_.erase(d)
                                                                      : std::next(d);
  }
  // Every network and spoke with an account has its series, at 0 while all are
  // connected: the alert and the dashboards see a value, not an absence.
  for (const auto& key : known) {
    prometheus::Gauge*& gauge = gauges_[key];
    if (gauge == nullptr) {
      gauge = &disconnected_family_.Add({{"network", key.first}, {"spoke", key.second}});
    }
  }
  ExportDisconnected();
  return found;
}

absl::StatusOr<std::optional<FileCredentialSource::Stored>> FileCredentialSource::ReadRecord(
    const std::string& account) {
  const std::string key = KvKey(account);
  absl::StatusOr<common::KvEntry> entry = store_->Get(key);
  if (absl::IsNotFound(entry.status())) {
    std::lock_guard lock(state_mu_);
    last_record_.erase(account);
    return std::optional<Stored>();
  }
  if (!entry.ok()) return entry.status();
  Stored stored;
  stored.revision = entry->revision;
  absl::StatusOr<std::string> plain = sealer_.Open(entry->value, key);
  if (plain.ok()) {
    if (std::optional<TokenRecord> record = TokenRecord::FromJson(*plain)) {
      stored.record = std::make_shared<const TokenRecord>(*std::move(record));
    }
  }
  std::lock_guard lock(state_mu_);
  if (stored.record) {
    last_record_[account] = stored.record;
  } else {
    last_record_.erase(account);
  }
  return std::optional<Stored>(std::move(stored));
}

absl::StatusOr<uint64_t> FileCredentialSource::WriteRecord(const std::string& account,
                                                           const TokenRecord& record,
                                                           uint64_t expected_revision) {
  const std::string key = KvKey(account);
  absl::StatusOr<std::string> sealed = sealer_.Seal(record.ToJson(), key);
  if (!sealed.ok()) return sealed.status();
  absl::StatusOr<uint64_t> revision = expected_revision == 0
                                          ? store_->Create(key, *sealed)
                                          : store_->Update(key, *sealed, expected_revision);
  if (revision.ok()) {
    std::lock_guard lock(state_mu_);
    last_record_[account] = std::make_shared<const TokenRecord>(record);
  }
  return revision;
}

namespace {

// The credentials of `file`, with the tokens of `record` when it is the newer.
template <typename TokenFile, typename TokenRecord>
Credential CredentialOf(const TokenFile& file, const TokenRecord* record) {
  Credential credential;
  credential.fields = file.fields;
  credential.access_token = file.access_token;
  credential.expires_at = file.expires_at;
  if (record != nullptr) {
    credential.access_token = record->access_token;
    credential.expires_at = record->expires_at;
    credential.fields["refresh_token"] = record->refresh_token;
  }
  return credential;
}

}  // namespace

absl::StatusOr<Credential> FileCredentialSource::Get(std::string_view account_view) {
  const std::string account(account_view);
  std::optional<TokenFile> file = FileOf(account, /*fresh=*/false);
  if (!file) return absl::NotFoundError(absl::StrCat("no token file for account ", account));
  // Without a refresh token nothing was ever rotated: the file is all there is.
  if (file->Field("refresh_token").empty())
    return CredentialOf<TokenFile, TokenRecord>(*file, nullptr);
  std::shared_ptr<const TokenRecord> record;
  absl::StatusOr<std::optional<Stored>> stored = ReadRecord(account);
  if (stored.ok()) {
    if (*stored) record = (*stored)->record;
  } else {
    // The store is down: the last record seen is still the best guess (a
    // rotated token is not in the file).
    std::lock_guard lock(state_mu_);
    auto it = last_record_.find(account);
    if (it != last_record_.end()) record = it->second;
  }
  if (record == nullptr || record->file_fingerprint != file->fingerprint) {
    return CredentialOf<TokenFile, TokenRecord>(*file, nullptr);
  }
  // A restarted replica learns here that the account was disconnected (or,
  // after another replica's successful refresh, that it no longer is).
  SetDisconnected(*file, record->disconnected);
  return CredentialOf(*file, record.get());
}

absl::StatusOr<Credential> FileCredentialSource::Refresh(std::string_view account,
                                                         std::string_view rejected_access_token) {
  const std::string name(account);
  std::lock_guard account_lock(AccountMutex(name));
  return RefreshLocked(name, rejected_access_token);
}

absl::StatusOr<Credential> FileCredentialSource::RefreshLocked(
    const std::string& account, std::string_view rejected_access_token) {
  absl::StatusOr<std::variant<Credential, Lease>> taken = TakeLease(account, rejected_access_token);
  if (!taken.ok()) return taken.status();
  if (auto* credential = std::get_if<Credential>(&*taken)) return std::move(*credential);
  const Lease& lease = std::get<Lease>(*taken);
  const TokenFile& file = lease.file;

  Attempt attempt = CallTokenEndpoint(file, lease.record.refresh_token);
  TokenRecord after = lease.record;
  after.refreshing_by.clear();
  after.lease_until = absl::InfinitePast();
  switch (attempt.outcome) {
    case EndpointOutcome::kRefreshed:
      after.access_token = attempt.access_token;
      // Networks that do not rotate answer without a refresh token: the one we
      // have stays valid and must not be lost.
      if (!attempt.refresh_token.empty()) after.refresh_token = attempt.refresh_token;
      after.expires_at = attempt.expires_at;
      after.refreshed_at = clock_.Now();
      return StoreRefreshed(account, lease, after);
    case EndpointOutcome::kRefused: {
      // A refusal can also mean another replica rotated the refresh token
      // after our lease ran out: then its tokens are current, not dead.
      if (std::shared_ptr<const TokenRecord> theirs = RotatedElsewhere(account, lease)) {
        return CredentialOf(file, theirs.get());
      }
      after.disconnected = true;
      // Best effort: a replica that misses the mark reaches it with its own call.
      (void)WriteRecord(account, after, lease.revision);
      return Disconnect(file, attempt.reason);
    }
    case EndpointOutcome::kTransient:
      break;
  }
  (void)WriteRecord(account, after, lease.revision);  // release the lease at once
  logger_.Warn("refreshing a channel access token failed; the account stays connected",
               {{"account", account}, {"network", file.network}, {"reason", attempt.reason}});
  return absl::UnavailableError(absl::StrCat("refreshing the token of account ", account,
                                             " failed (", attempt.reason,
                                             "); the account stays connected, try later"));
}

absl::StatusOr<std::variant<Credential, FileCredentialSource::Lease>>
FileCredentialSource::TakeLease(const std::string& account,
                                std::string_view rejected_access_token) {
  const auto give_up_at =
      std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(options_.lease_wait);
  for (;;) {
    std::optional<TokenFile> file = FileOf(account, /*fresh=*/true);
    if (!file) return absl::NotFoundError(absl::StrCat("no token file for account ", account));
    if (file->Field("refresh_token").empty()) {
      if (file->access_token != rejected_access_token || NewerSignIn(*file)) {
        return CredentialOf<TokenFile, TokenRecord>(*file, nullptr);
      }
      return Disconnect(*file, "there is no refresh token");
    }
    absl::StatusOr<std::optional<Stored>> stored = ReadRecord(account);
    if (!stored.ok()) return StoreUnavailable(account, stored.status());
    std::shared_ptr<const TokenRecord> record = *stored ? (*stored)->record : nullptr;
    if (*stored && record == nullptr) {
      logger_.Warn("a stored channel token record cannot be opened; the token file is used",
                   {{"account", account}, {"network", file->network}});
    }
    const TokenRecord* current =
        record != nullptr && record->file_fingerprint == file->fingerprint ? record.get() : nullptr;
    Credential credential = CredentialOf(*file, current);
    // Someone refreshed already (this process, another replica, or an operator
    // with a new token file): that result stands.
    if (credential.access_token != rejected_access_token) return credential;
    if (current != nullptr && current->disconnected) {
      return Disconnect(*file, "the refresh token was refused before");
    }
    if (record != nullptr && record->lease_until > clock_.Now() &&
        record->refreshing_by != holder_) {
      // Another replica is refreshing: its result is about to be in the record.
      if (std::chrono::steady_clock::now() >= give_up_at) {
        return absl::UnavailableError(absl::StrCat("a refresh of account ", account,
                                                   " is in progress on another publisher; "
                                                   "try later"));
      }
      std::this_thread::sleep_for(absl::ToChronoMilliseconds(options_.lease_poll));
      continue;
    }
    Lease lease;
    if (current != nullptr) {
      lease.record = *current;
    } else {
      lease.record.access_token = file->access_token;
      lease.record.refresh_token = file->Field("refresh_token");
      lease.record.expires_at = file->expires_at;
    }
    lease.record.file_fingerprint = file->fingerprint;
    lease.record.refreshing_by = holder_;
    lease.record.lease_until = clock_.Now() + options_.lease;
    lease.record.disconnected = false;
    absl::StatusOr<uint64_t> revision =
        WriteRecord(account, lease.record, *stored ? (*stored)->revision : 0);
    if (revision.ok()) {
      lease.revision = *revision;
      lease.file = *std::move(file);
      return lease;
    }
    // Another replica wrote first: read what it wrote.
    if (absl::IsAborted(revision.status()) || absl::IsAlreadyExists(revision.status())) continue;
    return StoreUnavailable(account, revision.status());
  }
}

absl::StatusOr<Credential> FileCredentialSource::StoreRefreshed(const std::string& account,
                                                                const Lease& lease,
                                                                const TokenRecord& refreshed) {
  uint64_t expected = lease.revision;
  for (int tries = 0; tries < 3; ++tries) {
    absl::StatusOr<uint64_t> written = WriteRecord(account, refreshed, expected);
    if (written.ok()) break;
    if (!absl::IsAborted(written.status()) && !absl::IsAlreadyExists(written.status())) {
      logger_.Warn(
          "a refreshed channel token could not be stored; other publishers will refresh again",
          {{"account", account},
           {"network", lease.file.network},
           {"error", std::string(written.status().message())}});
      break;
    }
    // Our lease ran out (this process stalled) and someone wrote. When they
    // completed a refresh of their own, theirs stands.
    if (std::shared_ptr<const TokenRecord> theirs = RotatedElsewhere(account, lease)) {
      SetDisconnected(lease.file, false);
      return CredentialOf(lease.file, theirs.get());
    }
    absl::StatusOr<std::optional<Stored>> again = ReadRecord(account);
    if (!again.ok()) break;
    expected = *again ? (*again)->revision : 0;
  }
  SetDisconnected(lease.file, false);
  logger_.Info("refreshed a channel access token",
               {{"account", account}, {"network", lease.file.network}});
  return CredentialOf(lease.file, &refreshed);
}

std::shared_ptr<const FileCredentialSource::TokenRecord> FileCredentialSource::RotatedElsewhere(
    const std::string& account, const Lease& lease) {
  absl::StatusOr<std::optional<Stored>> stored = ReadRecord(account);
  if (!stored.ok() || !*stored || (*stored)->record == nullptr) return nullptr;
  std::shared_ptr<const TokenRecord> theirs = (*stored)->record;
  if (theirs->file_fingerprint != lease.file.fingerprint ||
      theirs->refresh_token == lease.record.refresh_token || theirs->disconnected) {
    return nullptr;
  }
  return theirs;
}

bool FileCredentialSource::NewerSignIn(const TokenFile& file) {
  if (file.Field("app_password").empty() && file.Field("secret").empty()) return false;
  const absl::Time now = clock_.Now();
  std::lock_guard lock(state_mu_);
  SignInJudged& judged = sign_in_[file.account];
  if (judged.fingerprint != file.fingerprint) {
    // The file changed since the last Refresh (or since it was first read):
    // whoever was refused signed in with older credentials.
    judged = {file.fingerprint, now + options_.lease};
    return true;
  }
  // Callers refused with the old credentials at the same time get the new ones
  // too; a refusal after that is a refusal of these.
  return now < judged.handed_out_until;
}

absl::Status FileCredentialSource::StoreUnavailable(const std::string& account,
                                                    const absl::Status& status) {
  return absl::UnavailableError(absl::StrCat("the channel token store is unavailable (",
                                             status.message(), "); account ", account,
                                             " stays connected"));
}

FileCredentialSource::Attempt FileCredentialSource::CallTokenEndpoint(
    const TokenFile& file, const std::string& refresh_token) {
  Attempt attempt;
  std::string url = file.Field("token_url");
  if (url.empty() && file.network == "x") url = kXTokenUrl;
  if (url.empty() && file.network == "linkedin") url = kLinkedInTokenUrl;
  if (url.empty()) {
    attempt.outcome = EndpointOutcome::kRefused;
    attempt.reason = absl::StrCat("no token endpoint is known for ", file.network,
                                  " (set token_url in the token file)");
    return attempt;
  }
  // RFC 6749 §2.3.1: HTTP Basic is the standard way; LinkedIn documents the
  // client secret in the form body.
  std::string auth = file.Field("token_auth");
  if (auth.empty()) auth = file.network == "linkedin" ? "body" : "basic";
  if (auth != "basic" && auth != "body") {
    attempt.outcome = EndpointOutcome::kRefused;
    attempt.reason = "token_auth in the token file must be basic or body";
    return attempt;
  }
  const std::string client_id = file.Field("client_id");
  const std::string client_secret = file.Field("client_secret");

  common::HttpCall call;
  call.method = "POST";
  call.url = url;
  call.timeout = options_.refresh_timeout;
  call.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Accept", "application/json"}};
  call.body = absl::StrCat("grant_type=refresh_token&refresh_token=", UrlEncode(refresh_token));
  if (!client_id.empty()) absl::StrAppend(&call.body, "&client_id=", UrlEncode(client_id));
  if (!client_secret.empty()) {
    if (auth == "body") {
      absl::StrAppend(&call.body, "&client_secret=", UrlEncode(client_secret));
    } else {
      std::string basic;
      absl::Base64Escape(absl::StrCat(UrlEncode(client_id), ":", UrlEncode(client_secret)), &basic);
      call.headers.emplace_back("Authorization", absl::StrCat("Basic ", basic));
    }
  }

  absl::StatusOr<common::HttpReply> reply = http_.Send(call);
  if (!reply.ok()) {
    // HttpClient messages name the host and the failure, never the body.
    attempt.reason = absl::StrCat("token endpoint unreachable: ", reply.status().message());
    return attempt;
  }
  const json body = json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (reply->status >= 200 && reply->status < 300) {
    if (!body.is_object() || StringMember(body, "access_token").empty()) {
      attempt.reason = absl::StrCat("the token endpoint answered HTTP ", reply->status,
                                    " without an access token");
      return attempt;
    }
    attempt.outcome = EndpointOutcome::kRefreshed;
    attempt.access_token = StringMember(body, "access_token");
    attempt.refresh_token = StringMember(body, "refresh_token");
    auto expires_in = body.find("expires_in");
    if (expires_in != body.end() && expires_in->is_number() && expires_in->get<double>() > 0) {
      attempt.expires_at = clock_.Now() + absl::Seconds(expires_in->get<double>());
    } else if (expires_in != body.end() && expires_in->is_string()) {
      if (std::optional<int64_t> seconds = ParseInt(expires_in->get<std::string>());
          seconds && *seconds > 0) {
        attempt.expires_at = clock_.Now() + absl::Seconds(*seconds);
      }
    }
    return attempt;
  }
  std::string code = body.is_object() ? SafeErrorCode(StringMember(body, "error")) : "";
  attempt.reason = code.empty()
                       ? absl::StrCat("token endpoint answered HTTP ", reply->status)
                       : absl::StrCat("token endpoint answered HTTP ", reply->status, " ", code);
  // 408 and 429 ask to come back later, 5xx is the endpoint's own trouble; any
  // other 4xx refuses this refresh token or client, which no retry changes.
  const bool transient =
      reply->status == 408 || reply->status == 429 || reply->status >= 500 || reply->status < 400;
  attempt.outcome = transient ? EndpointOutcome::kTransient : EndpointOutcome::kRefused;
  return attempt;
}

absl::Status FileCredentialSource::Disconnect(const TokenFile& file, std::string_view reason) {
  if (SetDisconnected(file, true)) {
    logger_.Error("a channel account must be reconnected", {{"account", file.account},
                                                            {"network", file.network},
                                                            {"spoke", file.spoke},
                                                            {"reason", std::string(reason)}});
  }
  return absl::UnauthenticatedError(
      absl::StrCat("account ", file.account, " must be reconnected: ", common::AsAbsl(reason)));
}

bool FileCredentialSource::SetDisconnected(const TokenFile& file, bool disconnected) {
  std::lock_guard lock(state_mu_);
  auto it = disconnected_.find(file.account);
  if (disconnected) {
    if (it != disconnected_.end() && it->second.fingerprint == file.fingerprint) return false;
    disconnected_[file.account] = {file.network, file.spoke, file.fingerprint};
  } else {
    if (it == disconnected_.end()) return false;
    disconnected_.erase(it);
  }
  ExportDisconnected();
  return true;
}

void FileCredentialSource::ExportDisconnected() {
  std::map<std::pair<std::string, std::string>, int> counts;
  for (const auto& [account, d] : disconnected_) ++counts[{d.network, d.spoke}];
  for (const auto& [key, count] : counts) {
    prometheus::Gauge*& gauge = gauges_[key];
    if (gauge == nullptr) {
      gauge = &disconnected_family_.Add({{"network", key.first}, {"spoke", key.second}});
    }
  }
  // Series that were 1 go back to 0 rather than away, so the alert resolves
  // on a value and a dashboard shows the reconnection.
  for (const auto& [key, gauge] : gauges_) {
    auto c = counts.find(key);
    gauge->Set(c == counts.end() ? 0 : c->second);
  }
}

}  // namespace carecast::publisher
