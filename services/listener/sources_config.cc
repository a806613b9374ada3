#include "services/listener/sources_config.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include <nlohmann/json.hpp>

#include "services/common/base/account_name.h"
#include "services/common/base/strings.h"

namespace carecast::listener {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxNameBytes = 40;
constexpr size_t kMaxQueryBytes = 512;  // X's limit for recent search on the basic tiers
constexpr size_t kMaxSources = 64;

bool IsSourceName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

absl::Duration DefaultPeriod(std::string_view kind) {
  if (kind == kBlueskyJetstreamKind) return absl::Seconds(2);
  if (kind == kXRecentSearchKind) return absl::Seconds(60);
  return absl::Seconds(30);
}

// Reads source `index` into `spec`, appending what is wrong to `problems`.
void ReadSource(const Json& item, size_t index, SourceSpec& spec,
                std::vector<std::string>& problems) {
  const std::string where = absl::StrCat("sources[", index, "]");
  auto problem = [&](std::string_view field, std::string_view what) {
    problems.push_back(absl::StrCat(where, ".", common::AsAbsl(field), ": ", common::AsAbsl(what)));
  };
  if (!item.is_object()) {
    problems.push_back(absl::StrCat(where, ": must be an object"));
    return;
  }
  static const std::set<std::string, std::less<>> kFields = {
      "name", "kind", "url", "token_file", "account", "query", "watch_dids", "period"};
  for (const auto& [key, value] : item.items()) {
    if (!kFields.contains(key)) problem(key, "unknown field");
  }
  auto text = [&](std::string_view field, std::string& out) {
    auto it = item.find(std::string(field));
    if (it == item.end()) return;
    if (!it->is_string()) {
      problem(field, "must be a string");
      return;
    }
    out = it->get<std::string>();
  };
  text("name", spec.name);
  text("kind", spec.kind);
  text("url", spec.url);
  text("token_file", spec.token_file);
  text("account", spec.account);
  text("query", spec.query);
  std::string period;
  text("period", period);

  if (!IsSourceName(spec.name)) problem("name", "must be 1 to 40 of a-z, 0-9 and -");
  const bool mastodon = spec.kind == kMastodonNotificationsKind;
  const bool x = spec.kind == kXRecentSearchKind;
  const bool bluesky = spec.kind == kBlueskyJetstreamKind;
  if (!mastodon && !x && !bluesky) {
    problem("kind", absl::StrCat("must be ", common::AsAbsl(kMastodonNotificationsKind), ", ",
                                 common::AsAbsl(kXRecentSearchKind), " or ",
                                 common::AsAbsl(kBlueskyJetstreamKind)));
  }
  const bool http_url =
      absl::StartsWith(spec.url, "https://") || absl::StartsWith(spec.url, "http://");
  const bool ws_url = absl::StartsWith(spec.url, "wss://") || absl::StartsWith(spec.url, "ws://");
  if (bluesky ? !ws_url : !http_url) {
    problem("url",
            bluesky ? "must be a ws:// or wss:// URL" : "must be an http:// or https:// URL");
  }
  if ((mastodon || x) && spec.token_file.empty()) problem("token_file", "is required");
  if (bluesky && !spec.token_file.empty()) problem("token_file", "Jetstream takes no token");
  if (!spec.account.empty() && !common::ParseAccountIds(spec.account).has_value()) {
    problem("account", "must be spokes/{spoke}/accounts/{account}");
  }
  if (x && (spec.query.empty() || spec.query.size() > kMaxQueryBytes)) {
    problem("query", absl::StrCat("must be 1 to ", kMaxQueryBytes, " bytes"));
  }
  if (!x && !spec.query.empty()) problem("query", "only an x_recent_search source takes a query");

  if (auto dids = item.find("watch_dids"); dids != item.end()) {
    if (!dids->is_array()) {
      problem("watch_dids", "must be an array of DIDs");
    } else {
      for (const Json& did : *dids) {
        if (!did.is_string() || !absl::StartsWith(did.get<std::string>(), "did:") ||
            did.get<std::string>().size() > 2048) {
          problem("watch_dids", "each must be a DID (did:plc:... or did:web:...)");
          break;
        }
        spec.watch_dids.push_back(did.get<std::string>());
      }
    }
  }
  if (bluesky && spec.watch_dids.empty()) problem("watch_dids", "at least one DID is required");
  if (!bluesky && !spec.watch_dids.empty()) {
    problem("watch_dids", "only a bluesky_jetstream source watches DIDs");
  }

  spec.period = DefaultPeriod(spec.kind);
  if (!period.empty()) {
    absl::Duration parsed;
    if (!absl::ParseDuration(period, &parsed) || parsed < absl::Seconds(1) ||
        parsed > absl::Hours(1)) {
      problem("period", "must be a duration from 1s to 1h (e.g. \"30s\")");
    } else {
      spec.period = parsed;
    }
  }
}

}  // namespace

absl::StatusOr<std::vector<SourceSpec>> ParseSourcesConfig(std::string_view json) {
  Json root = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return absl::InvalidArgumentError("the sources file is not valid JSON");
  }
  if (!root.is_object() || !root.contains("sources") || !root["sources"].is_array()) {
    return absl::InvalidArgumentError(
        "the sources file must be an object with a \"sources\" array");
  }
  for (const auto& [key, value] : root.items()) {
    if (key != "sources") {
      return absl::InvalidArgumentError(
          absl::StrCat("the sources file has an unknown field \"", key, "\""));
    }
  }
  const Json& list = root["sources"];
  if (list.size() > kMaxSources) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxSources, " sources"));
  }
  std::vector<SourceSpec> specs(list.size());
  std::vector<std::string> problems;
  std::set<std::string, std::less<>> names;
  for (size_t i = 0; i < list.size(); ++i) {
    ReadSource(list[i], i, specs[i], problems);
    if (!specs[i].name.empty() && !names.insert(specs[i].name).second) {
      problems.push_back(absl::StrCat("sources[", i, "].name: \"", specs[i].name,
                                      "\" is used by an earlier source"));
    }
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the sources file is invalid: ", absl::StrJoin(problems, "; ")));
  }
  return specs;
}

}  // namespace carecast::listener
