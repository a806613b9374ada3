// The pieces of a post's text the repurposing rules act on: whitespace, http(s)
// links and hashtags. Pure functions over valid UTF-8 (callers check with
// common::IsValidUtf8 first), linear in the text; nothing here measures length,
// which is common::networks' job alone (network_rules.h, text_length.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace carecast::common::repurpose {

// A [begin, end) byte range of a text.
struct Span {
  size_t begin = 0;
  size_t end = 0;
};

// `text` with line breaks as "\n" (from "\r\n" and "\r"), each run of spaces
// and tabs inside a line made one space, no space at the start or end of a
// line, at most one blank line in a row and none at the start or end.
std::string NormalizeWhitespace(std::string_view text);

// The http:// and https:// links of `text`, in order, as X and Mastodon find
// them (text_length.cc): from the scheme to the next space, '<', '>' or '"',
// without trailing sentence punctuation (".,:;!?'\")]}>"); a scheme with
// nothing after it is not a link.
std::vector<Span> FindLinks(std::string_view text);

// The hashtags of `text` outside its links, in order, each from its '#' to the
// end of its tag: a '#' at the start or after a character that is not an ASCII
// letter, digit, '_' or '&', followed by a tag of letters, digits, '_' and
// other non-ASCII characters (not punctuation, symbols or emoji) that is not
// all digits ("#1" is a rank, not a tag).
std::vector<Span> FindHashtags(std::string_view text);

// True when `word` (no spaces) holds something a post must never split: a link
// ("://"), a hashtag or mention ('#', '@') or a domain ("stmarys.org").
bool IsUnsplittable(std::string_view word);

// Lower-case ASCII letters of `s`; other bytes unchanged. Tags are compared
// this way (Mastodon, Instagram and X treat #FluShot and #flushot as one tag).
std::string FoldCase(std::string_view s);

}  // namespace carecast::common::repurpose
