// What a channel's variant does with the hashtags of the master text: how many
// it keeps, where they go and how they are spelled. Tags are found by
// FindHashtags (text_scan.h); the tags after the last word of the text (the
// trailing block, "... today.\n\n#FluSeason #Vaccines") are the text's own
// list, the rest are words of its sentences.
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include "carecast/v1/resources.pb.h"

namespace carecast::common::repurpose {

enum class HashtagPlacement {
  // Tags stay where the author wrote them. A tag in a sentence beyond the
  // limit loses its '#' and stays a word; one in the trailing block is removed.
  kInline,
  // Tags in sentences lose their '#' (the words stay); every distinct tag, in
  // order of first appearance and up to the limit, goes into one block at the
  // end after a blank line.
  kEnd,
  // No tags: tags in sentences lose their '#', the trailing block is removed.
  kDrop,
};

inline constexpr size_t kUnlimitedHashtags = std::numeric_limits<size_t>::max();

struct HashtagPolicy {
  HashtagPlacement placement = HashtagPlacement::kInline;
  // Most tags kept (each occurrence counts, as networks count them); the
  // network's own cap (NetworkRules::max_hashtags) applies on top. Default:
  // no limit.
  size_t max_hashtags = kUnlimitedHashtags;
  // Spell kept tags in CamelCase so screen readers read the words ("#FluShot",
  // not "#flushot"): a spelling from `spellings`, else the spelling with the
  // most capitals among the tag's occurrences in the text, else the tag with
  // its first letter capitalised. Only the case changes: every network treats
  // #flushot and #FluShot as one tag. Default false; true for Mastodon.
  bool camel_case = false;
  // Preferred spellings, keyed by the tag in lower case without '#'
  // ("flushot" -> "FluShot"); an entry that changes more than the case is
  // ignored.
  std::map<std::string, std::string> spellings;
};

// The policy a network gets unless the caller overrides it (docs/repurposing.md):
// X inline 2; Mastodon inline 5, CamelCase; Bluesky and Facebook inline 3;
// LinkedIn at the end 5; Instagram at the end 30 (its own cap); WordPress
// dropped; sandbox and webhook inline, unlimited.
HashtagPolicy DefaultHashtagPolicy(carecast::v1::Network network);

// What ApplyHashtagPolicy did: tags (occurrences) left in the text, and
// distinct tags of the text that are no longer a tag anywhere in it.
struct HashtagChanges {
  size_t kept = 0;
  size_t dropped = 0;
};

// `text` (valid UTF-8, whitespace normalised) with its hashtags handled as
// `policy` says, keeping at most min(policy.max_hashtags, network_cap) tags
// (network_cap 0: none of its own). The result may need NormalizeWhitespace.
std::string ApplyHashtagPolicy(std::string_view text, const HashtagPolicy& policy,
                               size_t network_cap, HashtagChanges* changes = nullptr);

}  // namespace carecast::common::repurpose
