// Text length the way each network counts it. Every function takes valid UTF-8
// (callers check with common::IsValidUtf8 first); an invalid byte counts as one
// unit, so hostile input can never make them loop or read out of bounds. All run
// in time linear in the text.
#pragma once

#include <cstddef>
#include <string_view>

namespace carecast::common::networks {

// What X and Mastodon charge for a link, whatever its length (t.co wrapping on
// X, Mastodon's characters_reserved_per_url).
inline constexpr size_t kLinkWeight = 23;

// Extended grapheme clusters (Unicode UAX #29, as utf8proc 2.8 implements it):
// "👩‍⚕️" (woman health worker, 4 code points) is one, "é" written as e + U+0301
// is one.
size_t GraphemeCount(std::string_view text);

// Length as X counts it (twitter-text v3, "weighted length"), after NFC
// normalisation:
//  - an http:// or https:// URL counts kLinkWeight whatever its length (trailing
//    sentence punctuation is not part of the URL);
//  - a bare domain such as "stmarys.org/flu" counts at least kLinkWeight when its
//    top-level domain is a common one or any two-letter country code, because X
//    links those too; CareCast's list is shorter than X's, so a bare domain on
//    a rare TLD is counted by its characters;
//  - an emoji grapheme (emoji with modifiers, ZWJ sequences, flags, keycaps)
//    counts 2;
//  - any other code point counts 1 in U+0000-U+10FF, U+2000-U+200D,
//    U+2010-U+201F and U+2032-U+2037, and 2 elsewhere (CJK, most symbols).
// Every simplification errs towards counting more than X does, never fewer
// (except bare domains on rare TLDs), so a text CareCast accepts X accepts too.
size_t XWeightedLength(std::string_view text);

// Length as Mastodon counts it (StatusLengthValidator): grapheme clusters, with
// each http(s) URL counted kLinkWeight and a remote mention "@user@example.org"
// counted as "@user".
size_t MastodonLength(std::string_view text);

// Hashtags as Instagram counts them: a '#' at the start or after a character that
// is neither a letter, digit nor '_' (so "&#39;" and "C#" do not count),
// followed by a letter, digit or '_'.
size_t HashtagCount(std::string_view text);

}  // namespace carecast::common::networks
