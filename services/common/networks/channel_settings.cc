#include "services/common/networks/channel_settings.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "services/common/networks/network_rules.h"

namespace carecast::common::networks {
namespace {

using carecast::v1::Network;

std::string Prefix(Network network) {
  std::string_view name = NetworkName(network);
  return absl::StrCat("CARECAST_CHANNEL_",
                      absl::AsciiStrToUpper(absl::string_view(name.data(), name.size())), "_");
}

// Why `url` cannot be a base URL, or empty when it can. Adapters append API
// paths to it, so it must be an absolute http(s) URL; credentials belong in the
// mounted channel secrets, where they are never logged, not in an environment
// variable that shows up in `kubectl describe`.
std::string BaseUrlProblem(std::string_view url) {
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return "must not hold spaces, control or non-ASCII characters";
  }
  std::string_view rest;
  if (absl::StartsWithIgnoreCase(AsAbsl(url), "https://")) {
    rest = url.substr(8);
  } else if (absl::StartsWithIgnoreCase(AsAbsl(url), "http://")) {
    rest = url.substr(7);
  } else {
    return "must start with https:// or http://";
  }
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return "must not carry credentials (user:password@); put them in the channel secret";
  }
  if (authority.empty() || authority[0] == ':') return "has no host";
  if (url.find('#') != std::string_view::npos) return "must not have a #fragment";
  return "";
}

}  // namespace

bool ChannelSettings::Configured(Network network) const {
  return network == carecast::v1::NETWORK_SANDBOX || endpoints.contains(network);
}

const NetworkEndpoint* ChannelSettings::Endpoint(Network network) const {
  auto it = endpoints.find(network);
  return it == endpoints.end() ? nullptr : &it->second;
}

std::vector<std::string> ChannelSettings::ConfiguredNames() const {
  std::vector<std::string> names = {"sandbox"};
  for (const auto& [network, endpoint] : endpoints) names.emplace_back(NetworkName(network));
  return names;
}

std::vector<Network> AdapterNetworks() {
  std::vector<Network> networks;
  for (const NetworkRules& rules : AllRules()) {
    if (rules.network != carecast::v1::NETWORK_SANDBOX) networks.push_back(rules.network);
  }
  return networks;
}

std::string BaseUrlVariable(Network network) { return Prefix(network) + "BASE_URL"; }

std::string TimeoutVariable(Network network) { return Prefix(network) + "TIMEOUT"; }

ChannelSettings ReadChannelSettings(ConfigReader& reader) {
  ChannelSettings settings;
  for (Network network : AdapterNetworks()) {
    const std::string url_variable = BaseUrlVariable(network);
    const std::string timeout_variable = TimeoutVariable(network);
    std::string url = reader.String(url_variable, "");
    const bool timeout_set = !reader.String(timeout_variable, "").empty();
    if (url.empty()) {
      if (timeout_set) {
        reader.AddError(absl::StrCat(timeout_variable, ": is set but ", url_variable,
                                     " is not; set both to configure the network"));
      }
      continue;
    }
    bool ok = true;
    if (std::string problem = BaseUrlProblem(url); !problem.empty()) {
      reader.AddError(absl::StrCat(url_variable, ": ", problem));
      ok = false;
    }
    NetworkEndpoint endpoint;
    endpoint.timeout = reader.Duration(timeout_variable, kDefaultChannelTimeout);
    if (endpoint.timeout < kMinChannelTimeout || endpoint.timeout > kMaxChannelTimeout) {
      reader.AddError(absl::StrCat(timeout_variable, ": must be between 1s and 120s"));
      ok = false;
    }
    if (!ok) continue;
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    endpoint.base_url = std::move(url);
    settings.endpoints.emplace(network, std::move(endpoint));
  }
  return settings;
}

absl::StatusOr<ChannelSettings> ReadChannelSettings(const EnvSource& env) {
  ConfigReader reader(env);
  ChannelSettings settings = ReadChannelSettings(reader);
  if (absl::Status status = reader.Finish(); !status.ok()) return status;
  return settings;
}

}  // namespace carecast::common::networks
