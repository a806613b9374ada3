// Which Channel serves which network. Filled once by main before the publisher
// starts; read-only (and so thread-safe) afterwards. Channels are not owned.
#pragma once

#include <map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "services/publisher/channels/channel.h"

namespace carecast::publisher {

class ChannelRegistry {
 public:
  // INVALID_ARGUMENT for NETWORK_UNSPECIFIED; ALREADY_EXISTS when taken.
  absl::Status Register(carecast::v1::Network network, Channel& channel);
  // The channel for `network`; FAILED_PRECONDITION ("no channel is configured for
  // network x") when none is, which the dispatcher treats as a permanent failure.
  absl::StatusOr<Channel*> Find(carecast::v1::Network network) const;

 private:
  std::map<carecast::v1::Network, Channel*> channels_;
};

}  // namespace carecast::publisher
