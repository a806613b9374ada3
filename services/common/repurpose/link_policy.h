// What a channel's variant does with the http(s) links of the master text.
// Instagram captions do not link, so there a link becomes a phrase pointing at
// the profile ("link in bio"); elsewhere links are kept (X and Mastodon count
// each as 23 characters whatever its length: text_length.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "carecast/v1/resources.pb.h"

namespace carecast::common::repurpose {

enum class LinkHandling {
  kKeep,     // links stay as written
  kReplace,  // each link becomes LinkPolicy::replacement
  kDrop,     // links are removed, with the space before them
};

struct LinkPolicy {
  // Default kKeep; kReplace for Instagram.
  LinkHandling handling = LinkHandling::kKeep;
  // What a link becomes under kReplace. Plain text: a link here would defeat
  // the purpose. Default "(link in bio)".
  std::string replacement = "(link in bio)";
};

// The policy a network gets unless the caller overrides it: kReplace with
// "(link in bio)" on Instagram, kKeep everywhere else.
LinkPolicy DefaultLinkPolicy(carecast::v1::Network network);

// `text` (valid UTF-8) with its links handled as `policy` says; *changed (when
// not null) receives how many links were replaced or dropped. A dropped link
// takes the space before it along, so "Book at https://x.org/flu." reads
// "Book at." The result may need NormalizeWhitespace.
std::string ApplyLinkPolicy(std::string_view text, const LinkPolicy& policy,
                            size_t* changed = nullptr);

}  // namespace carecast::common::repurpose
