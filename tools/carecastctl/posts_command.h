// `carecastctl posts ...`: a person's resolution of a post the publisher handed
// to a human (NEEDS_HUMAN), as named commands over PublisherService:
//
//   posts confirm-published <post> [--external-id ID] [--url URL] [--note TEXT]
//   posts confirm-not-published <post> [--at RFC3339] [--note TEXT]
//
// <post> is "posts/{post}" or the bare id. Cancelling is the planner's
// CancelPost, through the generic form:
//   carecastctl planner CancelPost '{"name":"posts/p1","reason":"..."}'
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace carecast::ctl {

// One unary call a `posts` command makes.
struct PostsCall {
  std::string service;       // short name in the service catalog: "publisher"
  std::string method;        // e.g. "ConfirmPostPublished"
  std::string request_json;  // the request in the protobuf JSON mapping
};

// The call for `args` (everything after "posts"). INVALID_ARGUMENT with a
// message for the user on a usage error (unknown subcommand or option, missing
// post, a value missing, --at not RFC 3339). What the server checks (an https
// URL, at least one of --external-id and --url) is left to the server.
absl::StatusOr<PostsCall> ParsePostsCommand(const std::vector<std::string>& args);

}  // namespace carecast::ctl
