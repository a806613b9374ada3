// Instagram's "mentions" webhook change carries ids only: the account was
// @mentioned in a comment (comment_id) or in a media caption (media_id alone).
// The text is read through the Graph API, as developers.facebook.com documents
// mentioned comments and media:
//   GET {graph}/{ig-user-id}?fields=mentioned_comment.comment_id({id}){id,text,timestamp,username}
//   GET {graph}/{ig-user-id}?fields=mentioned_media.media_id({id}){id,caption,timestamp,username}
// with the account's access token as a bearer token.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/http/http_client.h"

namespace carecast::listener {

// One "mentions" change of an Instagram webhook delivery.
struct InstagramMentionRef {
  std::string account_id;  // the hospital's Instagram user id (the entry's id)
  std::string media_id;
  std::string comment_id;  // empty: the mention is in the media's caption
};

struct InstagramMentionReaderSettings {
  // The Graph API's base URL with its version ("https://graph.facebook.com/v21.0").
  std::string graph_url;
  // A token of the account with instagram_manage_comments (never logged).
  std::string token;
  absl::Duration call_timeout = absl::Seconds(10);
};

// Thread-safe as the HttpClient is; `http` must outlive it.
class InstagramMentionReader {
 public:
  InstagramMentionReader(InstagramMentionReaderSettings settings, common::HttpClient& http);

  // The mention `ref` points at: network Instagram, external_id the comment's
  // (or the media's) id, author_handle the username, text, create_time.
  // Errors: NOT_FOUND (deleted, or no longer visible: Graph error code 100);
  // UNAUTHENTICATED (the token was refused: code 190 or HTTP 401);
  // UNAVAILABLE (transport, 5xx, 429 or Meta's throttling codes 4, 17, 32,
  // 613, 80002: worth asking again); FAILED_PRECONDITION (any other refusal);
  // INTERNAL (an answer that does not parse); INVALID_ARGUMENT for a ref
  // without account or media id. Messages never hold the token or the text.
  absl::StatusOr<v1::Mention> Read(const InstagramMentionRef& ref);

 private:
  const InstagramMentionReaderSettings settings_;
  common::HttpClient& http_;
};

}  // namespace carecast::listener
