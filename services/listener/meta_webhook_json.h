// The JSON Meta's Graph API webhooks deliver for a Facebook Page and an
// Instagram professional account, turned into mentions. Only new text written
// to the hospital by someone else becomes a mention:
//   {"object": "page" | "instagram", "entry": [{"id": <the page or IG account>,
//     "time": <unix s>,
//     "changes": [{"field": "feed", "value": {"item": "comment" | "post",
//                  "verb": "add", "comment_id" | "post_id", "message",
//                  "from": {"id", "name"}, "created_time": <unix s>}}],
//                 {"field": "comments" | "live_comments", "value": {"id", "text",
//                  "from": {"id", "username"}, "media": {"id"}}}],
//     "messaging": [{"sender": {"id"}, "recipient": {"id"}, "timestamp": <unix ms>,
//                    "message": {"mid", "text", "is_echo"}}]}]}
// Instagram "mentions" changes ({"field": "mentions", "value": {"media_id",
// "comment_id"}}) carry ids only: they are returned as references for the
// Graph API read (instagram_mention_reader.h). Edits, removals, reactions,
// echoes of the hospital's own messages and the account's own comments are
// counted as ignored. The caller has verified the signature first
// (meta_webhook.h).
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

#include "services/listener/sources/instagram_mention_reader.h"

namespace carecast::listener {

struct MetaDelivery {
  std::vector<v1::Mention> mentions;  // network, external_id, author_handle, text, create_time
  int ignored = 0;                    // changes and messages that are not new text to the hospital
  // Instagram mentions of the account, to be read through the Graph API.
  std::vector<InstagramMentionRef> instagram_mentions;
};

// INVALID_ARGUMENT when the body is not JSON, not an object with "object" and
// an "entry" array, or names an object other than "page" or "instagram".
// Malformed single changes are ignored (and counted), not fatal: Meta would
// otherwise redeliver the whole batch forever.
absl::StatusOr<MetaDelivery> ParseMetaDelivery(std::string_view body);

}  // namespace carecast::listener
