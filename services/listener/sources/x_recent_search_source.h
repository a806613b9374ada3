// Posts on X matching a search query (e.g. "@carecast OR carecast"), read with
// the recent-search endpoint and an app-only bearer token:
//   GET {base_url}/2/tweets/search/recent?query=..&max_results=N&since_id=..
//       &pagination_token=..&tweet.fields=created_at,author_id,conversation_id
//       &expansions=author_id&user.fields=username
// X answers newest first and pages backwards (meta.next_token), so a catch-up
// after `since` is a walk from the newest page down to `since`; the checkpoint
// carries that walk so a restart in the middle of it loses and repeats nothing.
//
// Checkpoint format (opaque to the poller), fields separated by ';':
//   ""                                   nothing read yet: the next Fetch reads
//                                        the newest page only (no history)
//   "since=<id>"                         everything up to post <id> was read
//   "since=<id>;newest=<id2>;next=<tok>" walking down from <id2> (the newest
//                                        post when the walk began) to <id>;
//                                        <tok> is X's next_token for the page
//                                        still to read. When the walk ends the
//                                        checkpoint becomes "since=<id2>".
// A page is emitted oldest first. Thread-compatible (mention_source.h).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/clock.h"
#include "services/common/http/http_client.h"
#include "services/listener/sources/mention_source.h"

namespace carecast::listener {

struct XRecentSearchSettings {
  // MentionSource::name(): keys the checkpoint ("x").
  std::string name = "x";
  // The API, "https://api.x.com" (a trailing slash is dropped).
  std::string base_url;
  // The app-only bearer token, already read by the caller. Never logged.
  std::string token;
  // Mention.account: the CareCast account addressed (empty: not known).
  std::string account;
  // The search query, as X's query language takes it (sent URL-encoded).
  std::string query;
  // Posts per request: 10 to 100 (X's bounds); 100 by default.
  int max_results = 100;
  // Each request must finish within this (10s).
  absl::Duration call_timeout = absl::Seconds(10);
};

class XRecentSearchSource final : public MentionSource {
 public:
  // `http` and `clock` must outlive the source.
  XRecentSearchSource(XRecentSearchSettings settings, common::HttpClient& http,
                      const common::Clock& clock);

  const std::string& name() const override { return settings_.name; }

  // A 429 waits until x-rate-limit-reset (Unix seconds), or a minute when the
  // header is missing. A checkpoint not of the format above is
  // FAILED_PRECONDITION (nothing is sent). Other errors as
  // MentionSource::Fetch says.
  absl::StatusOr<SourcePage> Fetch(std::string_view checkpoint) override;

 private:
  const XRecentSearchSettings settings_;
  common::HttpClient& http_;
  const common::Clock& clock_;
};

}  // namespace carecast::listener
