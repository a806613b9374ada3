// Repurposing: a channel's variant of a piece of content, generated from its
// master text for one network (issue 10, item 8). Pure and deterministic: the
// same master text, media, network and policy always give the same variant. The
// variant is a draft an editor may change; the planner checks it, like any
// variant, against the network's rules and the outgoing-text guard.
//
// What each network gets by default is in docs/repurposing.md; the limits are
// common::networks::NetworkRules (docs/channels/rules.md).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include <google/protobuf/repeated_ptr_field.h>

#include "carecast/v1/resources.pb.h"

#include "services/common/repurpose/hashtag_policy.h"
#include "services/common/repurpose/link_policy.h"
#include "services/common/repurpose/thread_splitter.h"

namespace carecast::common::repurpose {

// How the variant for one network is made. DefaultChannelPolicy gives each
// network's defaults; callers override fields.
struct ChannelPolicy {
  HashtagPolicy hashtags;
  LinkPolicy links;
  // Split a text too long for one post into a numbered thread. Honoured only on
  // networks that take replies as posts of their own (NetworkRules::replies is
  // kThreadPost); elsewhere a text too long is an error. Default false; true
  // for X, Mastodon and Bluesky.
  bool thread = false;
  // Most posts in a thread. Default kDefaultMaxThreadParts (20).
  size_t max_thread_parts = kDefaultMaxThreadParts;
};

// The defaults of `network` (DefaultHashtagPolicy, DefaultLinkPolicy, threads
// on X, Mastodon and Bluesky).
ChannelPolicy DefaultChannelPolicy(carecast::v1::Network network);

struct GeneratedVariant {
  carecast::v1::Network network = carecast::v1::NETWORK_UNSPECIFIED;
  // The posts, in order: one, or a thread of 2 or more each ending " k/n".
  // Each fits the network's text limits; the first carries the media.
  std::vector<std::string> posts;
  // Links replaced or dropped by the link policy.
  size_t links_changed = 0;
  // Hashtags left in the text, and distinct tags of the master text that are
  // no longer a tag (unmarked, removed, or beyond the limit).
  size_t hashtags_kept = 0;
  size_t hashtags_dropped = 0;

  // The variant's text: the first post.
  const std::string& text() const { return posts.front(); }
  bool is_thread() const { return posts.size() > 1; }
};

// The variant of `master_text` (UTF-8) with `media` for `network`: whitespace
// normalised (NormalizeWhitespace), links then hashtags handled as `policy`
// says, then fitted to the network's limits, split into a thread where the
// policy and network allow. Errors, never echoing the text:
//  - INVALID_ARGUMENT: `network` has no rules, the master text or the link
//    replacement is not valid UTF-8;
//  - FAILED_PRECONDITION: Instagram without an image ("instagram requires an
//    image"); an image without alt text (naming media[i]); a text that does not
//    fit a network without threads (naming the network, limit and measured
//    length; CheckLength) or a thread that cannot be made (SplitIntoThread);
//    a variant left with neither text nor image, or without the text the
//    network requires; more hashtags than the network allows.
absl::StatusOr<GeneratedVariant> GenerateVariant(std::string_view master_text,
                                                 const std::vector<carecast::v1::MediaItem>& media,
                                                 carecast::v1::Network network,
                                                 const ChannelPolicy& policy);
absl::StatusOr<GeneratedVariant> GenerateVariant(
    std::string_view master_text,
    const google::protobuf::RepeatedPtrField<carecast::v1::MediaItem>& media,
    carecast::v1::Network network, const ChannelPolicy& policy);

// The same with DefaultChannelPolicy(network).
absl::StatusOr<GeneratedVariant> GenerateVariant(std::string_view master_text,
                                                 const std::vector<carecast::v1::MediaItem>& media,
                                                 carecast::v1::Network network);

}  // namespace carecast::common::repurpose
