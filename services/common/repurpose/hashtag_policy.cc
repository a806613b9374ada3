#include "services/common/repurpose/hashtag_policy.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

#include "services/common/base/strings.h"
#include "services/common/repurpose/text_scan.h"

namespace carecast::common::repurpose {
namespace {

using carecast::v1::Network;

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\n'; });
}

// True when a tag at `pos` starts a line or follows the end of a sentence.
bool StartsBlock(std::string_view text, size_t pos) {
  size_t i = pos;
  while (i > 0 && text[i - 1] == ' ') --i;
  if (i == 0 || text[i - 1] == '\n') return true;
  if (i == pos) return false;
  const std::string_view before = text.substr(0, i);
  for (std::string_view stop : {".", "!", "?", "\u2026", "\u3002", "\uFF01", "\uFF1F"}) {
    if (absl::EndsWith(AsAbsl(before), AsAbsl(stop))) return true;
  }
  return false;
}

// Index of the first tag of the trailing block (tags.size() when there is
// none): the last tags of the text, separated by spaces and line breaks only,
// with nothing after them, from the first of them that starts a line or
// follows the end of a sentence.
size_t TrailingBlockStart(std::string_view text, const std::vector<Span>& tags) {
  if (tags.empty() || !IsBlank(text.substr(tags.back().end))) return tags.size();
  size_t first = tags.size() - 1;
  while (first > 0 &&
         IsBlank(text.substr(tags[first - 1].end, tags[first].begin - tags[first - 1].end))) {
    --first;
  }
  while (first < tags.size() && !StartsBlock(text, tags[first].begin)) ++first;
  return first;
}

size_t Capitals(std::string_view s) {
  return std::count_if(s.begin(), s.end(),
                       [](char c) { return absl::ascii_isupper(static_cast<unsigned char>(c)); });
}

// How each tag (by its folded body) is written in the result.
class Spellings {
 public:
  Spellings(std::string_view text, const std::vector<Span>& tags, const HashtagPolicy& policy) {
    for (const Span& tag : tags) {
      const std::string_view body = text.substr(tag.begin + 1, tag.end - tag.begin - 1);
      const std::string key = FoldCase(body);
      auto [it, inserted] = best_.emplace(key, std::string(body));
      if (!inserted && policy.camel_case && Capitals(body) > Capitals(it->second)) {
        it->second = std::string(body);
      }
    }
    if (!policy.camel_case) return;
    for (auto& [key, spelling] : best_) {
      if (auto it = policy.spellings.find(key);
          it != policy.spellings.end() && FoldCase(it->second) == key) {
        spelling = it->second;
      } else if (Capitals(spelling) == 0 && !spelling.empty()) {
        spelling[0] = absl::ascii_toupper(static_cast<unsigned char>(spelling[0]));
      }
    }
  }

  // "#" and the spelling of the tag whose folded body is `key`.
  std::string Tag(const std::string& key) const { return "#" + best_.at(key); }

 private:
  std::map<std::string, std::string> best_;
};

}  // namespace

HashtagPolicy DefaultHashtagPolicy(Network network) {
  HashtagPolicy policy;
  switch (network) {
    case carecast::v1::NETWORK_X:
      policy.max_hashtags = 2;
      break;
    case carecast::v1::NETWORK_MASTODON:
      policy.max_hashtags = 5;
      policy.camel_case = true;
      break;
    case carecast::v1::NETWORK_BLUESKY:
    case carecast::v1::NETWORK_FACEBOOK:
      policy.max_hashtags = 3;
      break;
    case carecast::v1::NETWORK_LINKEDIN:
      policy.placement = HashtagPlacement::kEnd;
      policy.max_hashtags = 5;
      break;
    case carecast::v1::NETWORK_INSTAGRAM:
      policy.placement = HashtagPlacement::kEnd;
      policy.max_hashtags = 30;
      break;
    case carecast::v1::NETWORK_WORDPRESS:
      policy.placement = HashtagPlacement::kDrop;
      break;
    case carecast::v1::NETWORK_SANDBOX:
    case carecast::v1::NETWORK_WEBHOOK:
    case carecast::v1::NETWORK_UNSPECIFIED:
    default:
      break;
  }
  return policy;
}

std::string ApplyHashtagPolicy(std::string_view text, const HashtagPolicy& policy,
                               size_t network_cap, HashtagChanges* changes) {
  const std::vector<Span> tags = FindHashtags(text);
  const size_t block = TrailingBlockStart(text, tags);
  const size_t cap =
      network_cap == 0 ? policy.max_hashtags : std::min(policy.max_hashtags, network_cap);
  const Spellings spellings(text, tags, policy);
  std::set<std::string> all_keys;
  std::set<std::string> kept_keys;
  std::vector<std::string> end_block;  // kEnd: the tags to append, in order
  size_t kept = 0;
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t i = 0; i < tags.size(); ++i) {
    const Span& tag = tags[i];
    const std::string_view body = text.substr(tag.begin + 1, tag.end - tag.begin - 1);
    const std::string key = FoldCase(body);
    all_keys.insert(key);
    out.append(text.substr(pos, tag.begin - pos));
    pos = tag.end;
    const bool in_block = i >= block;
    if (policy.placement == HashtagPlacement::kInline && kept < cap &&
        !(in_block && kept_keys.count(key) > 0)) {
      // Without camel_case a tag in place stays as its author spelled it.
      out.append(policy.camel_case ? spellings.Tag(key)
                                   : std::string(text.substr(tag.begin, tag.end - tag.begin)));
      kept_keys.insert(key);
      ++kept;
      continue;
    }
    if (policy.placement == HashtagPlacement::kEnd && kept < cap && kept_keys.count(key) == 0) {
      end_block.push_back(spellings.Tag(key));
      kept_keys.insert(key);
      ++kept;
    }
    if (!in_block) out.append(body);  // the word stays, without its '#'
  }
  out.append(text.substr(pos));
  if (!end_block.empty()) {
    while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
    if (!out.empty()) out.append("\n\n");
    for (size_t i = 0; i < end_block.size(); ++i) {
      if (i > 0) out.push_back(' ');
      out.append(end_block[i]);
    }
  }
  if (changes != nullptr) {
    changes->kept = kept;
    changes->dropped = all_keys.size() - kept_keys.size();
  }
  return out;
}

}  // namespace carecast::common::repurpose
