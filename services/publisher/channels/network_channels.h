// The adapters of the networks this deployment publishes to: one per network
// configured in ChannelSettings (CARECAST_CHANNEL_<NET>_BASE_URL), each built
// on the shared HTTP client, credentials and rate limiter, then registered.
// The only place that names every adapter type. Owns the adapters; the
// references must outlive it.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"

#include "services/common/base/clock.h"
#include "services/common/http/http_client.h"
#include "services/common/networks/channel_settings.h"
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/channels/credentials.h"
#include "services/publisher/channels/rate_limiter.h"

namespace carecast::publisher {

struct NetworkChannelDeps {
  common::HttpClient& http;
  CredentialSource& credentials;
  RateLimiter& limiter;
  const common::Clock& clock;
};

class NetworkChannels {
 public:
  // Builds the adapter of every configured network. UNIMPLEMENTED naming the
  // network when one has no adapter in this build.
  static absl::StatusOr<std::unique_ptr<NetworkChannels>> Create(
      const common::networks::ChannelSettings& settings, NetworkChannelDeps deps);

  // Registers every adapter; fails on the first network already taken.
  absl::Status RegisterAll(ChannelRegistry& registry) const;
  size_t size() const { return channels_.size(); }

 private:
  NetworkChannels() = default;
  std::vector<std::pair<carecast::v1::Network, std::unique_ptr<Channel>>> channels_;
};

}  // namespace carecast::publisher
