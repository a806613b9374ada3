// The JSON body of POST /v1/mentions, parsed with simdjson (the only file that
// includes it). The contract:
//   {"network": "x|facebook|linkedin|instagram|mastodon|sandbox",   required
//    "external_id": "...",                                          required
//    "author_handle": "...",                                        optional
//    "text": "...",                                                 required
//    "create_time": "2025-01-02T03:04:05Z"}                         optional, RFC 3339
// Every value is a string (null counts as absent); other fields are refused so
// a misspelt field is caught rather than silently dropped.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::listener {

// The body as a Mention (not yet validated beyond the JSON shape), or
// INVALID_ARGUMENT with a reason for the caller. `*reason` gets a fixed label for
// the rejection metric: "malformed_json", "missing_field", "unknown_field",
// "field_type", "unknown_network", "create_time".
absl::StatusOr<v1::Mention> ParseWebhookMention(std::string_view body, std::string* reason);

// `{"key": "value", ...}` with JSON string escaping.
std::string JsonObject(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

}  // namespace carecast::listener
