#include "services/publisher/channels/channel_registry.h"

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::publisher {

absl::Status ChannelRegistry::Register(carecast::v1::Network network, Channel& channel) {
  if (network == carecast::v1::NETWORK_UNSPECIFIED)
    return absl::InvalidArgumentError("cannot register a channel for an unspecified network");
  if (!channels_.emplace(network, &channel).second) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a channel for network ", common::AsAbsl(NetworkLabel(network)), " is already registered"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Channel*> ChannelRegistry::Find(carecast::v1::Network network) const {
  auto it = channels_.find(network);
  if (it == channels_.end()) {
    return absl::FailedPreconditionError(absl::StrCat("no channel is configured for network ",
                                                      common::AsAbsl(NetworkLabel(network))));
  }
  return it->second;
}

}  // namespace carecast::publisher
