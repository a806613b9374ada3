#include "services/publisher/channels/token_expiry_watcher.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include <nlohmann/json.hpp>

#include "services/common/base/account_name.h"
#include "services/common/base/ids.h"
#include "services/publisher/channels/channel.h"

namespace carecast::publisher {
namespace {

constexpr std::uintmax_t kMaxTokenFileBytes = std::uintmax_t{64} * 1024;

struct TokenInfo {
  std::string network;
  std::string account;
  std::string spoke;
  std::optional<absl::Time> expires_at;
};

// The spoke id of "spokes/{spoke}/accounts/{account}", or empty when malformed.
std::string SpokeOf(const std::string& account) {
  std::optional<common::AccountIds> ids = common::ParseAccountIds(account);
  return ids ? ids->spoke : std::string();
}

// Parses one token file. On failure returns nullopt and sets `reason` to a
// fixed phrase: parser messages quote the input, and the input holds a token.
std::optional<TokenInfo> ParseTokenFile(const std::filesystem::path& path, std::string* reason) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    *reason = "cannot stat the file";
    return std::nullopt;
  }
  if (size > kMaxTokenFileBytes) {
    *reason = "larger than 64 KiB";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *reason = "cannot open the file";
    return std::nullopt;
  }
  std::string content(static_cast<size_t>(size), '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (!in && !in.eof()) {
    *reason = "cannot read the file";
    return std::nullopt;
  }
  content.resize(static_cast<size_t>(in.gcount()));

  nlohmann::json json = nlohmann::json::parse(content, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    *reason = "not a JSON object";
    return std::nullopt;
  }
  TokenInfo info;
  auto network = json.find("network");
  if (network == json.end() || !network->is_string() ||
      ParseNetworkLabel(network->get_ref<const std::string&>()) ==
          carecast::v1::NETWORK_UNSPECIFIED) {
    *reason = "network is missing or not a known network";
    return std::nullopt;
  }
  info.network = network->get<std::string>();
  auto account = json.find("account");
  if (account == json.end() || !account->is_string() ||
      (info.spoke = SpokeOf(info.account = account->get<std::string>())).empty()) {
    *reason = "account is missing or not spokes/{spoke}/accounts/{account}";
    return std::nullopt;
  }
  auto expires = json.find("expires_at");
  if (expires != json.end() && !expires->is_null()) {
    absl::Time t;
    std::string ignored;
    if (!expires->is_string() ||
        !absl::ParseTime(absl::RFC3339_full, expires->get<std::string>(), &t, &ignored)) {
      *reason = "expires_at is not an RFC 3339 time";
      return std::nullopt;
    }
    info.expires_at = t;
  }
  return info;
}

}  // namespace

TokenExpiryWatcher::TokenExpiryWatcher(TokenExpiryWatcherOptions options,
                                       prometheus::Registry& registry, const common::Clock& clock,
                                       common::Logger& logger)
    : options_(std::move(options)),
      clock_(clock),
      logger_(logger),
      expiry_(prometheus::BuildGauge()
                  .Name("carecast_channel_token_expiry_timestamp_seconds")
                  .Help("When the earliest channel access token of a network "
                        "and spoke expires "
                        "(Unix seconds).")
                  .Register(registry)),
      read_errors_(prometheus::BuildCounter()
                       .Name("carecast_channel_token_read_errors_total")
                       .Help("Channel token files (or the directory) that "
                             "could not be read or "
                             "parsed, counted once per scan.")
                       .Register(registry)
                       .Add({})),
      // Start() scans once itself (and logs what it found), so the thread's
      // first scan is one interval later.
      scanner_(options_.interval, common::PeriodicRunner::FirstRun::kAfterOnePeriod,
               [this] { ScanOnce(); }) {}

TokenExpiryWatcher::~TokenExpiryWatcher() { Stop(); }

std::optional<absl::Time> TokenExpiryWatcher::CurrentExpiry(
    const std::string& file, const std::string& account,
    std::optional<absl::Time> file_expires_at) {
  absl::StatusOr<Credential> current = options_.credentials->Get(account);
  if (!current.ok()) {
    // The file was read a moment ago; what it says is the best there is.
    logger_.Warn(
        "the current credentials of a channel account are unknown; its file's "
        "expires_at is exported",
        {{"file", file},
         {"account", account},
         {"reason", std::string(current.status().message())}});
    return file_expires_at;
  }
  if (current->expires_at == absl::InfiniteFuture()) return std::nullopt;  // never expires
  return current->expires_at;
}

TokenScanResult TokenExpiryWatcher::ScanOnce() {
  std::lock_guard scan_lock(scan_mu_);
  TokenScanResult result;
  const absl::Time now = clock_.Now();
  std::error_code ec;
  std::filesystem::directory_iterator it(options_.directory, ec);
  if (ec) {
    // Keep what the last good scan exported: an unreadable mount does not make
    // the tokens any younger, and the error counter says the figures are stale.
    ++result.read_errors;
    read_errors_.Increment();
    logger_.Warn("cannot read the channel token directory",
                 {{"directory", options_.directory}, {"reason", ec.message()}});
    return result;
  }

  std::map<std::pair<std::string, std::string>, absl::Time> earliest;
  std::set<std::string> accounts;  // seen in this scan
  std::vector<std::filesystem::path> paths;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Kubernetes Secret volumes hold "..data" and "..<timestamp>" entries
    // beside the key links; the keys themselves never start with '.'.
    if (name.empty() || name[0] == '.') continue;
    paths.push_back(it->path());
  }
  std::sort(paths.begin(), paths.end());
  for (const std::filesystem::path& path : paths) {
    const std::string name = path.filename().string();
    std::error_code type_ec;
    if (!std::filesystem::is_regular_file(path,
                                          type_ec)) {  // follows the key links
      if (std::filesystem::is_directory(path, type_ec)) continue;
      ++result.read_errors;
      read_errors_.Increment();
      logger_.Warn("cannot read a channel token file",
                   {{"file", name}, {"reason", "not a regular file"}});
      continue;
    }
    std::string reason;
    std::optional<TokenInfo> info = ParseTokenFile(path, &reason);
    if (!info) {
      ++result.read_errors;
      read_errors_.Increment();
      logger_.Warn("cannot read a channel token file", {{"file", name}, {"reason", reason}});
      continue;
    }
    ++result.files;
    // The adapters use the first file of an account (by name); so does the
    // credential source, so a second file's tokens are never used.
    if (!accounts.insert(info->account).second) continue;
    if (options_.credentials != nullptr) {
      info->expires_at = CurrentExpiry(name, info->account, info->expires_at);
    }
    if (!info->expires_at) continue;
    if (*info->expires_at <= now) {
      ++result.expired;
      logger_.Warn("a channel token has expired",
                   {{"file", name},
                    {"network", info->network},
                    {"spoke", info->spoke},
                    {"expired_at",
                     absl::FormatTime(absl::RFC3339_sec, *info->expires_at, absl::UTCTimeZone())}});
    }
    auto key = std::make_pair(info->network, info->spoke);
    auto [slot, inserted] = earliest.emplace(key, *info->expires_at);
    if (!inserted) slot->second = std::min(slot->second, *info->expires_at);
  }

  // Drop the series of tokens that are gone, so a removed account stops
  // alerting.
  for (auto it2 = exported_.begin(); it2 != exported_.end();) {
    if (earliest.count(it2->first) == 0) {
      expiry_.Remove(it2->second);
      it2 = exported_.erase(it2);
    } else {
      ++it2;
    }
  }
  for (const auto& [key, expires_at] : earliest) {
    prometheus::Gauge*& gauge = exported_[key];
    if (gauge == nullptr) gauge = &expiry_.Add({{"network", key.first}, {"spoke", key.second}});
    gauge->Set(absl::ToDoubleSeconds(expires_at - absl::UnixEpoch()));
  }
  return result;
}

void TokenExpiryWatcher::Start() {
  TokenScanResult first = ScanOnce();
  logger_.Info("watching channel token expiry",
               {{"directory", options_.directory},
                {"files", static_cast<int64_t>(first.files)},
                {"read_errors", static_cast<int64_t>(first.read_errors)},
                {"expired", static_cast<int64_t>(first.expired)},
                {"interval_seconds", absl::ToInt64Seconds(options_.interval)}});
  scanner_.Start();
}

void TokenExpiryWatcher::Stop() { scanner_.Stop(); }

}  // namespace carecast::publisher
