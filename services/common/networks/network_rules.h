// Each network's documented limits on a post, declared once: the planner checks
// content and posts against them (at create, approval and SchedulePost) and the
// publisher's adapters read the same table. docs/channels/rules.md is the table
// in prose, with the documentation link of every figure.
//
// CareCast's own policy on top of the networks' rules: every image carries alt
// text, on every network, and images are referenced by https URL only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include <google/protobuf/repeated_ptr_field.h>

#include "carecast/v1/resources.pb.h"

namespace carecast::common::networks {

// How a network measures the length of a post's text (text_length.h).
enum class TextUnit {
  kCharacters,  // Unicode code points
  kXWeighted,   // XWeightedLength: links 23, CJK and emoji 2
  kMastodon,    // MastodonLength: grapheme clusters, links 23
  kGraphemes,   // GraphemeCount
  kBytes,       // UTF-8 bytes
};

// How a network takes a reply to a published post.
enum class ReplyStyle {
  kThreadPost,  // a post of its own, linked into a thread (X, Mastodon, Bluesky)
  kComment,     // a comment under the post (Facebook, Instagram, LinkedIn, WordPress)
};

// Image types CareCast knows, as a bit set; each network accepts a subset.
enum ImageType : uint8_t {
  kImageJpeg = 1 << 0,
  kImagePng = 1 << 1,
  kImageGif = 1 << 2,
  kImageWebp = 1 << 3,
};

// One network's limits. Every field is a documented figure or, where the network
// documents none, a conservative CareCast cap (docs/channels/rules.md says which).
struct NetworkRules {
  carecast::v1::Network network;
  // Lower-case short name: messages, metric labels, CARECAST_CHANNEL_<NAME>_*.
  std::string_view name;
  std::string_view display_name;
  TextUnit text_unit;
  // Longest text in text_unit; 0: no limit.
  size_t max_text;
  // Longest text in UTF-8 bytes, checked besides max_text; 0: none.
  size_t max_text_bytes;
  // The network refuses a post without text even when it has an image.
  bool text_required;
  // Most hashtags in the text; 0: no limit.
  size_t max_hashtags;
  // Images per post.
  int min_images;
  int max_images;
  // ImageType bits the network's API accepts.
  uint8_t image_types;
  // Largest image, in bytes.
  int64_t max_image_bytes;
  // Longest alt text per image, in code points.
  size_t max_alt_text_chars;
  ReplyStyle replies;
  // Where the text limits are documented.
  std::string_view docs_url;
};

// Caps applied when media is written (create, update), before any network is
// chosen: the largest figures any network allows.
inline constexpr size_t kMaxMediaItems = 20;
inline constexpr size_t kMaxAltTextChars = 4086;
inline constexpr size_t kMaxMediaUrlBytes = 2048;

// The rules of `network`; nullptr for NETWORK_UNSPECIFIED or an unknown value.
const NetworkRules* FindRules(carecast::v1::Network network);

// The rules of every network, in enum order (the sandbox included).
std::span<const NetworkRules> AllRules();

// "x", "mastodon", ...; "unspecified" and "unknown" for the rest.
std::string_view NetworkName(carecast::v1::Network network);

// Length of `text` (valid UTF-8) in the network's text_unit.
size_t TextLength(const NetworkRules& rules, std::string_view text);

// "image/jpeg" for kImageJpeg; the MIME types of a bit set, comma-separated.
std::string MimeTypes(uint8_t image_types);
// The ImageType of a MIME type (exact, lower case); 0 when CareCast does not know it.
uint8_t ImageTypeOf(std::string_view mime_type);

// OK when `text` with `media` can be posted on `network` as its documented rules
// stand; otherwise FAILED_PRECONDITION whose message lists every broken rule,
// each naming the network, the limit and the measured value ("x allows 280
// characters (links count 23, CJK and emoji count 2); this text has 312").
// INVALID_ARGUMENT when `network` has no rules. Never echoes the text.
absl::Status CheckPostFits(carecast::v1::Network network, std::string_view text,
                           const std::vector<carecast::v1::MediaItem>& media);
absl::Status CheckPostFits(
    carecast::v1::Network network, std::string_view text,
    const google::protobuf::RepeatedPtrField<carecast::v1::MediaItem>& media);

// Checks media as written by a person, before any network applies (at most
// kMaxMediaItems; each with an https URL of at most kMaxMediaUrlBytes without
// credentials, spaces or control characters; non-blank UTF-8 alt text of at most
// kMaxAltTextChars; a known MIME type; size_bytes >= 0, 0 meaning not given yet).
// OK or INVALID_ARGUMENT naming the field, e.g. "content.media[1].url".
absl::Status ValidateMedia(
    std::string_view field,
    const google::protobuf::RepeatedPtrField<carecast::v1::MediaItem>& media);

}  // namespace carecast::common::networks
