#include "services/publisher/channels/network_channels.h"

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "services/publisher/channels/bluesky_channel.h"
#include "services/publisher/channels/facebook_channel.h"
#include "services/publisher/channels/instagram_channel.h"
#include "services/publisher/channels/linkedin_channel.h"
#include "services/publisher/channels/mastodon_channel.h"
#include "services/publisher/channels/webhook_channel.h"
#include "services/publisher/channels/wordpress_channel.h"
#include "services/publisher/channels/x_channel.h"

namespace carecast::publisher {
namespace {

// Every adapter takes (Options{base_url, call_timeout, ...}, http, credentials,
// limiter, clock); the options' other fields keep their documented defaults.
template <class AdapterChannel, class Options>
std::unique_ptr<Channel> Make(const common::networks::NetworkEndpoint& endpoint,
                              const NetworkChannelDeps& deps) {
  Options options;
  options.base_url = endpoint.base_url;
  options.call_timeout = endpoint.timeout;
  return std::make_unique<AdapterChannel>(std::move(options), deps.http, deps.credentials,
                                          deps.limiter, deps.clock);
}

std::unique_ptr<Channel> MakeFor(carecast::v1::Network network,
                                 const common::networks::NetworkEndpoint& endpoint,
                                 const NetworkChannelDeps& deps) {
  switch (network) {
    case carecast::v1::NETWORK_X:
      return Make<XChannel, XChannelOptions>(endpoint, deps);
    case carecast::v1::NETWORK_FACEBOOK:
      return Make<FacebookChannel, FacebookChannelOptions>(endpoint, deps);
    case carecast::v1::NETWORK_INSTAGRAM:
      return Make<InstagramChannel, InstagramChannelOptions>(endpoint, deps);
    case carecast::v1::NETWORK_LINKEDIN:
      return Make<LinkedInChannel, LinkedInChannelOptions>(endpoint, deps);
    case carecast::v1::NETWORK_MASTODON:
      return Make<MastodonChannel, MastodonChannelOptions>(endpoint, deps);
    case carecast::v1::NETWORK_BLUESKY:
      return Make<BlueskyChannel, BlueskyChannelOptions>(endpoint, deps);
    case carecast::v1::NETWORK_WORDPRESS:
      return Make<WordPressChannel, WordPressChannelOptions>(endpoint, deps);
    case carecast::v1::NETWORK_WEBHOOK:
      return Make<WebhookChannel, WebhookChannelOptions>(endpoint, deps);
    case carecast::v1::NETWORK_SANDBOX:  // opened by main from its own settings
    case carecast::v1::NETWORK_UNSPECIFIED:
    case carecast::v1::Network_INT_MIN_SENTINEL_DO_NOT_USE_:
    case carecast::v1::Network_INT_MAX_SENTINEL_DO_NOT_USE_:
      break;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NetworkChannels>> NetworkChannels::Create(
    const common::networks::ChannelSettings& settings, NetworkChannelDeps deps) {
  std::unique_ptr<NetworkChannels> built(new NetworkChannels());
  for (const auto& [network, endpoint] : settings.endpoints) {
    std::unique_ptr<Channel> channel = MakeFor(network, endpoint, deps);
    if (channel == nullptr) {
      return absl::UnimplementedError(
          absl::StrCat("no channel adapter for network ", common::AsAbsl(NetworkLabel(network))));
    }
    built->channels_.emplace_back(network, std::move(channel));
  }
  return built;
}

absl::Status NetworkChannels::RegisterAll(ChannelRegistry& registry) const {
  for (const auto& [network, channel] : channels_) {
    if (absl::Status s = registry.Register(network, *channel); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace carecast::publisher
