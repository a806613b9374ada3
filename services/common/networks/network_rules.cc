#include "services/common/networks/network_rules.h"

#include <algorithm>
#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/networks/text_length.h"

namespace carecast::common::networks {
namespace {

using carecast::v1::MediaItem;
using carecast::v1::Network;

constexpr int64_t kMiB = 1024 * 1024;
constexpr uint8_t kCommonImages = kImageJpeg | kImagePng | kImageGif | kImageWebp;

// One row per network, in enum order. Figures without a documented source are
// CareCast caps, chosen on the safe side; docs/channels/rules.md marks them.
constexpr std::array<NetworkRules, 9> kRules = {{
    {.network = carecast::v1::NETWORK_SANDBOX,
     .name = "sandbox",
     .display_name = "Sandbox",
     .text_unit = TextUnit::kCharacters,
     .max_text = 10000,
     .max_text_bytes = 0,
     .text_required = false,
     .max_hashtags = 0,
     .min_images = 0,
     .max_images = 10,
     .image_types = kCommonImages,
     .max_image_bytes = 20 * kMiB,
     .max_alt_text_chars = 1000,
     .replies = ReplyStyle::kThreadPost,
     .docs_url = "docs/channels.md"},
    {.network = carecast::v1::NETWORK_X,
     .name = "x",
     .display_name = "X",
     .text_unit = TextUnit::kXWeighted,
     .max_text = 280,
     .max_text_bytes = 0,
     .text_required = false,
     .max_hashtags = 0,
     .min_images = 0,
     .max_images = 4,
     .image_types = kCommonImages,
     .max_image_bytes = 5 * kMiB,
     .max_alt_text_chars = 1000,
     .replies = ReplyStyle::kThreadPost,
     .docs_url = "https://docs.x.com/resources/fundamentals/counting-characters"},
    {.network = carecast::v1::NETWORK_FACEBOOK,
     .name = "facebook",
     .display_name = "Facebook Page",
     .text_unit = TextUnit::kCharacters,
     .max_text = 63206,
     .max_text_bytes = 0,
     .text_required = false,
     .max_hashtags = 0,
     .min_images = 0,
     .max_images = 10,
     .image_types = kImageJpeg | kImagePng | kImageGif,
     .max_image_bytes = 4 * kMiB,
     .max_alt_text_chars = 1000,
     .replies = ReplyStyle::kComment,
     .docs_url = "https://developers.facebook.com/docs/graph-api/reference/page/feed"},
    {.network = carecast::v1::NETWORK_LINKEDIN,
     .name = "linkedin",
     .display_name = "LinkedIn",
     .text_unit = TextUnit::kCharacters,
     .max_text = 3000,
     .max_text_bytes = 0,
     .text_required = false,
     .max_hashtags = 0,
     .min_images = 0,
     .max_images = 20,
     .image_types = kImageJpeg | kImagePng | kImageGif,
     .max_image_bytes = 5 * kMiB,
     .max_alt_text_chars = 4086,
     .replies = ReplyStyle::kComment,
     .docs_url = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/"
                 "shares/posts-api"},
    {.network = carecast::v1::NETWORK_INSTAGRAM,
     .name = "instagram",
     .display_name = "Instagram",
     .text_unit = TextUnit::kCharacters,
     .max_text = 2200,
     .max_text_bytes = 0,
     .text_required = false,
     .max_hashtags = 30,
     .min_images = 1,
     .max_images = 10,
     .image_types = kImageJpeg,
     .max_image_bytes = 8 * kMiB,
     .max_alt_text_chars = 1000,
     .replies = ReplyStyle::kComment,
     .docs_url = "https://developers.facebook.com/docs/instagram-platform/"
                 "instagram-graph-api/reference/ig-user/media"},
    {.network = carecast::v1::NETWORK_MASTODON,
     .name = "mastodon",
     .display_name = "Mastodon",
     .text_unit = TextUnit::kMastodon,
     .max_text = 500,
     .max_text_bytes = 0,
     .text_required = false,
     .max_hashtags = 0,
     .min_images = 0,
     .max_images = 4,
     .image_types = kCommonImages,
     .max_image_bytes = 16 * kMiB,
     .max_alt_text_chars = 1500,
     .replies = ReplyStyle::kThreadPost,
     .docs_url = "https://docs.joinmastodon.org/methods/statuses/#create"},
    {.network = carecast::v1::NETWORK_BLUESKY,
     .name = "bluesky",
     .display_name = "Bluesky",
     .text_unit = TextUnit::kGraphemes,
     .max_text = 300,
     .max_text_bytes = 3000,
     .text_required = false,
     .max_hashtags = 0,
     .min_images = 0,
     .max_images = 4,
     .image_types = kCommonImages,
     .max_image_bytes = 1000000,
     .max_alt_text_chars = 2000,
     .replies = ReplyStyle::kThreadPost,
     .docs_url = "https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/feed/"
                 "post.json"},
    {.network = carecast::v1::NETWORK_WORDPRESS,
     .name = "wordpress",
     .display_name = "WordPress",
     .text_unit = TextUnit::kCharacters,
     .max_text = 0,
     .max_text_bytes = 0,
     .text_required = true,
     .max_hashtags = 0,
     .min_images = 0,
     .max_images = 10,
     .image_types = kCommonImages,
     .max_image_bytes = 10 * kMiB,
     .max_alt_text_chars = 1000,
     .replies = ReplyStyle::kComment,
     .docs_url = "https://developer.wordpress.org/rest-api/reference/posts/#create-a-post"},
    {.network = carecast::v1::NETWORK_WEBHOOK,
     .name = "webhook",
     .display_name = "Signed webhook",
     .text_unit = TextUnit::kBytes,
     .max_text = 100000,
     .max_text_bytes = 0,
     .text_required = false,
     .max_hashtags = 0,
     .min_images = 0,
     .max_images = 10,
     .image_types = kCommonImages,
     .max_image_bytes = 20 * kMiB,
     .max_alt_text_chars = 1000,
     .replies = ReplyStyle::kThreadPost,
     .docs_url = "docs/channels.md"},
}};

constexpr std::array<std::pair<uint8_t, std::string_view>, 4> kMimeTypes = {{
    {kImageJpeg, "image/jpeg"},
    {kImagePng, "image/png"},
    {kImageGif, "image/gif"},
    {kImageWebp, "image/webp"},
}};

std::string UnitText(const NetworkRules& rules, size_t n) {
  switch (rules.text_unit) {
    case TextUnit::kCharacters:
      return absl::StrCat(n, " characters");
    case TextUnit::kXWeighted:
      return absl::StrCat(n, " characters (links count ", kLinkWeight, ", CJK and emoji count 2)");
    case TextUnit::kMastodon:
      return absl::StrCat(n, " characters (links count ", kLinkWeight, ")");
    case TextUnit::kGraphemes:
      return absl::StrCat(n, " characters (counted as graphemes)");
    case TextUnit::kBytes:
      return absl::StrCat(n, " bytes");
  }
  return absl::StrCat(n);
}

std::string Bytes(int64_t n) {
  if (n > 0 && n % kMiB == 0) return absl::StrCat(n / kMiB, " MB");
  return absl::StrCat(n, " bytes");
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); });
}

// Why `url` is not an acceptable image reference, or empty when it is. Images
// are fetched by the publisher (and by Instagram itself), so only https, and
// never a credential that would end up in logs and on the network.
std::string UrlProblem(std::string_view url) {
  if (url.empty()) return "is required";
  if (url.size() > kMaxMediaUrlBytes) {
    return absl::StrCat("is longer than ", kMaxMediaUrlBytes, " bytes");
  }
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) {
      return "holds a space, a control or a non-ASCII character (percent-encode it)";
    }
  }
  constexpr std::string_view kScheme = "https://";
  if (!absl::StartsWithIgnoreCase(AsAbsl(url), AsAbsl(kScheme))) {
    return "must be an https:// URL";
  }
  const std::string_view rest = url.substr(kScheme.size());
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return "must not carry credentials (user:password@)";
  }
  if (authority.empty() || authority[0] == ':') return "has no host";
  return "";
}

template <class Media>
absl::Status CheckFits(Network network, std::string_view text, const Media& media) {
  const NetworkRules* rules = FindRules(network);
  if (rules == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("no publishing rules for network ", static_cast<int>(network)));
  }
  const std::string_view name = rules->name;
  if (!IsValidUtf8(text)) {
    return absl::FailedPreconditionError(
        absl::StrCat(AsAbsl(name), " needs UTF-8 text; this text is not valid UTF-8"));
  }
  std::vector<std::string> problems;
  const int images = static_cast<int>(media.size());
  if (text.empty() && rules->text_required) {
    problems.push_back(absl::StrCat(AsAbsl(name), " needs a non-empty text"));
  } else if (text.empty() && images == 0) {
    problems.push_back(
        absl::StrCat(AsAbsl(name), " needs a text or an image; this post has neither"));
  }
  if (rules->max_text > 0) {
    const size_t length = TextLength(*rules, text);
    if (length > rules->max_text) {
      problems.push_back(absl::StrCat(AsAbsl(name), " allows ", UnitText(*rules, rules->max_text),
                                      "; this text has ", length));
    }
  }
  if (rules->max_text_bytes > 0 && text.size() > rules->max_text_bytes) {
    problems.push_back(absl::StrCat(AsAbsl(name), " allows ", rules->max_text_bytes,
                                    " bytes of text; this text has ", text.size()));
  }
  if (rules->max_hashtags > 0) {
    const size_t hashtags = HashtagCount(text);
    if (hashtags > rules->max_hashtags) {
      problems.push_back(absl::StrCat(AsAbsl(name), " allows ", rules->max_hashtags,
                                      " hashtags; this text has ", hashtags));
    }
  }
  if (images < rules->min_images) {
    problems.push_back(absl::StrCat(AsAbsl(name), " needs at least ", rules->min_images,
                                    rules->min_images == 1 ? " image" : " images",
                                    "; this post has ", images));
  }
  if (images > rules->max_images) {
    problems.push_back(absl::StrCat(AsAbsl(name), " allows ", rules->max_images,
                                    " images per post; this post has ", images));
  }
  int index = 0;
  for (const MediaItem& item : media) {
    const std::string at = absl::StrCat("media[", index++, "]");
    if (std::string problem = UrlProblem(item.url()); !problem.empty()) {
      problems.push_back(
          absl::StrCat(AsAbsl(name), " fetches images by https URL; ", at, ".url ", problem));
    }
    const uint8_t type = ImageTypeOf(item.mime_type());
    if ((type & rules->image_types) == 0) {
      problems.push_back(absl::StrCat(
          AsAbsl(name), " accepts ", MimeTypes(rules->image_types), " images; ", at, " is ",
          item.mime_type().empty() ? std::string("of no stated type") : item.mime_type()));
    }
    if (item.size_bytes() <= 0) {
      problems.push_back(absl::StrCat(AsAbsl(name), " allows images up to ",
                                      Bytes(rules->max_image_bytes), "; ", at,
                                      " does not give its size_bytes"));
    } else if (item.size_bytes() > rules->max_image_bytes) {
      problems.push_back(absl::StrCat(AsAbsl(name), " allows images up to ",
                                      Bytes(rules->max_image_bytes), "; ", at, " is ",
                                      item.size_bytes(), " bytes"));
    }
    if (IsBlank(item.alt_text())) {
      problems.push_back(absl::StrCat("every image posted on ", AsAbsl(name), " needs alt text; ",
                                      at, " has none"));
    } else if (!IsValidUtf8(item.alt_text())) {
      problems.push_back(absl::StrCat(AsAbsl(name), " needs UTF-8 alt text; ", at,
                                      ".alt_text is not valid UTF-8"));
    } else if (const size_t chars = CodePointCount(item.alt_text());
               chars > rules->max_alt_text_chars) {
      problems.push_back(absl::StrCat(AsAbsl(name), " allows alt text of ",
                                      rules->max_alt_text_chars, " characters; ", at, " has ",
                                      chars));
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrJoin(problems, "; "));
}

}  // namespace

const NetworkRules* FindRules(Network network) {
  for (const NetworkRules& rules : kRules) {
    if (rules.network == network) return &rules;
  }
  return nullptr;
}

std::span<const NetworkRules> AllRules() { return kRules; }

std::string_view NetworkName(Network network) {
  if (network == carecast::v1::NETWORK_UNSPECIFIED) return "unspecified";
  const NetworkRules* rules = FindRules(network);
  return rules == nullptr ? "unknown" : rules->name;
}

size_t TextLength(const NetworkRules& rules, std::string_view text) {
  switch (rules.text_unit) {
    case TextUnit::kCharacters:
      return CodePointCount(text);
    case TextUnit::kXWeighted:
      return XWeightedLength(text);
    case TextUnit::kMastodon:
      return MastodonLength(text);
    case TextUnit::kGraphemes:
      return GraphemeCount(text);
    case TextUnit::kBytes:
      return text.size();
  }
  return text.size();
}

std::string MimeTypes(uint8_t image_types) {
  std::vector<absl::string_view> names;
  for (const auto& [bit, mime] : kMimeTypes) {
    if (image_types & bit) names.push_back(AsAbsl(mime));
  }
  return absl::StrJoin(names, ", ");
}

uint8_t ImageTypeOf(std::string_view mime_type) {
  for (const auto& [bit, mime] : kMimeTypes) {
    if (mime == mime_type) return bit;
  }
  return 0;
}

absl::Status CheckPostFits(Network network, std::string_view text,
                           const std::vector<MediaItem>& media) {
  return CheckFits(network, text, media);
}

absl::Status CheckPostFits(Network network, std::string_view text,
                           const google::protobuf::RepeatedPtrField<MediaItem>& media) {
  return CheckFits(network, text, media);
}

absl::Status ValidateMedia(std::string_view field,
                           const google::protobuf::RepeatedPtrField<MediaItem>& media) {
  if (static_cast<size_t>(media.size()) > kMaxMediaItems) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), " holds ", media.size(), " images; at most ", kMaxMediaItems));
  }
  for (int i = 0; i < media.size(); ++i) {
    const MediaItem& item = media[i];
    const std::string at = absl::StrCat(AsAbsl(field), "[", i, "]");
    if (std::string problem = UrlProblem(item.url()); !problem.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".url ", problem));
    }
    if (IsBlank(item.alt_text())) {
      return absl::InvalidArgumentError(absl::StrCat(
          at, ".alt_text is required: describe the image for people using screen readers"));
    }
    if (item.alt_text().size() > kMaxAltTextChars * 4 || !IsValidUtf8(item.alt_text()) ||
        CodePointCount(item.alt_text()) > kMaxAltTextChars) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".alt_text must be UTF-8 of at most ", kMaxAltTextChars, " characters"));
    }
    if (ImageTypeOf(item.mime_type()) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".mime_type must be one of ", MimeTypes(0xFF), " (lower case)"));
    }
    if (item.size_bytes() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".size_bytes must not be negative"));
    }
  }
  return absl::OkStatus();
}

}  // namespace carecast::common::networks
