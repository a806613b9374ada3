#include "services/common/repurpose/variant_generator.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/networks/network_rules.h"
#include "services/common/networks/text_length.h"
#include "services/common/repurpose/text_scan.h"

namespace carecast::common::repurpose {
namespace {

using carecast::v1::MediaItem;
using carecast::v1::Network;
using networks::NetworkRules;

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); });
}

// CareCast's own rules on media that repurposing cannot fix: Instagram posts
// an image or nothing, and every image is described for screen readers.
template <class Media>
absl::Status CheckMedia(const NetworkRules& rules, const Media& media) {
  if (rules.network == carecast::v1::NETWORK_INSTAGRAM && media.empty()) {
    return absl::FailedPreconditionError("instagram requires an image");
  }
  int index = 0;
  for (const MediaItem& item : media) {
    if (IsBlank(item.alt_text())) {
      return absl::FailedPreconditionError(
          absl::StrCat("media[", index, "] has no alt text; every image needs alt text on ",
                       AsAbsl(rules.name)));
    }
    ++index;
  }
  return absl::OkStatus();
}

absl::Status CheckPresence(const NetworkRules& rules, std::string_view text, bool has_media) {
  if (!text.empty()) return absl::OkStatus();
  if (rules.text_required) {
    return absl::FailedPreconditionError(
        absl::StrCat(AsAbsl(rules.name), " needs a non-empty text; this variant has none"));
  }
  if (!has_media) {
    return absl::FailedPreconditionError(
        absl::StrCat(AsAbsl(rules.name), " needs a text or an image; this variant has neither"));
  }
  return absl::OkStatus();
}

absl::Status CheckHashtags(const NetworkRules& rules, const std::vector<std::string>& posts) {
  if (rules.max_hashtags == 0) return absl::OkStatus();
  for (const std::string& post : posts) {
    if (const size_t n = networks::HashtagCount(post); n > rules.max_hashtags) {
      return absl::FailedPreconditionError(absl::StrCat(
          AsAbsl(rules.name), " allows ", rules.max_hashtags, " hashtags; this variant has ", n));
    }
  }
  return absl::OkStatus();
}

template <class Media>
absl::StatusOr<GeneratedVariant> Generate(std::string_view master_text, const Media& media,
                                          Network network, const ChannelPolicy& policy) {
  const NetworkRules* rules = networks::FindRules(network);
  if (rules == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("no publishing rules for network ", static_cast<int>(network)));
  }
  if (!IsValidUtf8(master_text)) {
    return absl::InvalidArgumentError("the master text is not valid UTF-8");
  }
  if (!IsValidUtf8(policy.links.replacement)) {
    return absl::InvalidArgumentError("the link replacement is not valid UTF-8");
  }
  RETURN_IF_ERROR(CheckMedia(*rules, media));

  GeneratedVariant variant;
  variant.network = network;
  // Links first: a link's "#fragment" is not a hashtag, and a dropped link
  // must not leave its tags behind.
  std::string text = NormalizeWhitespace(
      ApplyLinkPolicy(NormalizeWhitespace(master_text), policy.links, &variant.links_changed));
  HashtagChanges tags;
  text = NormalizeWhitespace(ApplyHashtagPolicy(text, policy.hashtags, rules->max_hashtags, &tags));
  variant.hashtags_kept = tags.kept;
  variant.hashtags_dropped = tags.dropped;
  RETURN_IF_ERROR(CheckPresence(*rules, text, !media.empty()));

  if (policy.thread && rules->replies == networks::ReplyStyle::kThreadPost) {
    ASSIGN_OR_RETURN(variant.posts, SplitIntoThread(text, *rules, policy.max_thread_parts));
  } else {
    RETURN_IF_ERROR(CheckLength(*rules, text));
    variant.posts.push_back(std::move(text));
  }
  RETURN_IF_ERROR(CheckHashtags(*rules, variant.posts));
  return variant;
}

}  // namespace

ChannelPolicy DefaultChannelPolicy(Network network) {
  ChannelPolicy policy;
  policy.hashtags = DefaultHashtagPolicy(network);
  policy.links = DefaultLinkPolicy(network);
  policy.thread = network == carecast::v1::NETWORK_X || network == carecast::v1::NETWORK_MASTODON ||
                  network == carecast::v1::NETWORK_BLUESKY;
  return policy;
}

absl::StatusOr<GeneratedVariant> GenerateVariant(std::string_view master_text,
                                                 const std::vector<MediaItem>& media,
                                                 Network network, const ChannelPolicy& policy) {
  return Generate(master_text, media, network, policy);
}

absl::StatusOr<GeneratedVariant> GenerateVariant(
    std::string_view master_text, const google::protobuf::RepeatedPtrField<MediaItem>& media,
    Network network, const ChannelPolicy& policy) {
  return Generate(master_text, media, network, policy);
}

absl::StatusOr<GeneratedVariant> GenerateVariant(std::string_view master_text,
                                                 const std::vector<MediaItem>& media,
                                                 Network network) {
  return Generate(master_text, media, network, DefaultChannelPolicy(network));
}

}  // namespace carecast::common::repurpose
