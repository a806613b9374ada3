// Which networks this deployment has channel adapters for, read from the
// environment the same way by the planner (to refuse a post early) and the
// publisher (to build the adapters):
//   CARECAST_CHANNEL_<NET>_BASE_URL  the network's API base URL (or a local
//                                    server, an egress proxy); setting it
//                                    configures the network
//   CARECAST_CHANNEL_<NET>_TIMEOUT   deadline of each HTTP call to it; Go-style
//                                    duration, default 20s, 1s..120s
// with <NET> one of X, FACEBOOK, INSTAGRAM, LINKEDIN, MASTODON, BLUESKY,
// WORDPRESS, WEBHOOK. The sandbox needs no adapter settings and is always there.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/base/env_config.h"

namespace carecast::common::networks {

inline constexpr absl::Duration kDefaultChannelTimeout = absl::Seconds(20);
inline constexpr absl::Duration kMinChannelTimeout = absl::Seconds(1);
inline constexpr absl::Duration kMaxChannelTimeout = absl::Seconds(120);

// Where one network's adapter sends its calls.
struct NetworkEndpoint {
  // http:// or https://, a host, an optional path; no credentials, no
  // #fragment, and no trailing '/' (removed when read), so adapters append
  // "/api/v1/statuses" and the like.
  std::string base_url;
  // Deadline of every HTTP call to the network.
  absl::Duration timeout = kDefaultChannelTimeout;
};

struct ChannelSettings {
  // The configured networks; never holds NETWORK_SANDBOX or NETWORK_UNSPECIFIED.
  std::map<carecast::v1::Network, NetworkEndpoint> endpoints;

  // True for the sandbox and for every network in `endpoints`.
  bool Configured(carecast::v1::Network network) const;
  // The endpoint of a configured network; nullptr for the sandbox and the rest.
  const NetworkEndpoint* Endpoint(carecast::v1::Network network) const;
  // Short names of the configured networks, sandbox first ("sandbox", "x", ...).
  std::vector<std::string> ConfiguredNames() const;
};

// The networks that can have an adapter (every network but the sandbox).
std::vector<carecast::v1::Network> AdapterNetworks();

// "CARECAST_CHANNEL_MASTODON_BASE_URL", "CARECAST_CHANNEL_MASTODON_TIMEOUT".
std::string BaseUrlVariable(carecast::v1::Network network);
std::string TimeoutVariable(carecast::v1::Network network);

// Reads every CARECAST_CHANNEL_<NET>_* variable; problems go to `reader` (so a
// service reports them with the rest of its configuration). A problem names the
// variable and never echoes a URL, which may carry a token.
ChannelSettings ReadChannelSettings(ConfigReader& reader);

// The same on its own: the settings, or INVALID_ARGUMENT listing every problem
// (a malformed or credential-carrying URL, a timeout out of range, a timeout
// for a network whose base URL is not set).
absl::StatusOr<ChannelSettings> ReadChannelSettings(const EnvSource& env);

}  // namespace carecast::common::networks
