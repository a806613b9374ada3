#include "tools/carecastctl/posts_command.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include "carecast/v1/publisher_service.pb.h"

namespace carecast::ctl {
namespace {

std::string PostName(const std::string& post) {
  // A bare id is the common case at a terminal; a full name passes through.
  return post.find('/') == std::string::npos ? "posts/" + post : post;
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& request) {
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(request, &json, print);
  if (!status.ok()) return absl::InternalError(status.message().as_string());
  return json;
}

// Walks `args` after the subcommand: the one positional <post> and "--flag value"
// pairs, each flag handled by `on_flag` (false: unknown flag).
template <class OnFlag>
absl::Status ParseArgs(const std::string& command, const std::vector<std::string>& args,
                       std::string& post, OnFlag&& on_flag) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0) {
      if (i + 1 >= args.size())
        return absl::InvalidArgumentError(absl::StrCat(command, ": ", a, " needs a value"));
      if (!on_flag(a, args[++i]))
        return absl::InvalidArgumentError(absl::StrCat(command, ": unknown option ", a));
    } else if (post.empty()) {
      post = a;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(command, ": unexpected argument ", a));
    }
  }
  if (post.empty())
    return absl::InvalidArgumentError(absl::StrCat(command, " needs the post (posts/{post})"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PostsCall> ParsePostsCommand(const std::vector<std::string>& args) {
  if (args.empty()) {
    return absl::InvalidArgumentError(
        "posts takes the subcommand 'confirm-published' or 'confirm-not-published'");
  }
  const std::string& sub = args[0];
  const std::string command = "posts " + sub;
  std::string post;
  if (sub == "confirm-published") {
    carecast::v1::ConfirmPostPublishedRequest request;
    absl::Status parsed =
        ParseArgs(command, args, post, [&](const std::string& flag, const std::string& value) {
          if (flag == "--external-id")
            request.set_external_id(value);
          else if (flag == "--url")
            request.set_url(value);
          else if (flag == "--note")
            request.set_note(value);
          else
            return false;
          return true;
        });
    if (!parsed.ok()) return parsed;
    request.set_post(PostName(post));
    absl::StatusOr<std::string> json = ToJson(request);
    if (!json.ok()) return json.status();
    return PostsCall{"publisher", "ConfirmPostPublished", *std::move(json)};
  }
  if (sub == "confirm-not-published") {
    carecast::v1::ConfirmPostNotPublishedRequest request;
    std::string bad_time;
    absl::Status parsed =
        ParseArgs(command, args, post, [&](const std::string& flag, const std::string& value) {
          if (flag == "--note") {
            request.set_note(value);
          } else if (flag == "--at") {
            absl::Time at;
            std::string error;
            if (!absl::ParseTime(absl::RFC3339_full, value, &at, &error)) {
              bad_time = value;
            } else {
              const int64_t seconds = absl::ToUnixSeconds(at);
              request.mutable_publish_time()->set_seconds(seconds);
              request.mutable_publish_time()->set_nanos(static_cast<int32_t>(
                  absl::ToInt64Nanoseconds(at - absl::FromUnixSeconds(seconds))));
            }
          } else {
            return false;
          }
          return true;
        });
    if (!parsed.ok()) return parsed;
    if (!bad_time.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          command, ": --at takes an RFC 3339 time like 2026-03-01T09:30:00Z, not ", bad_time));
    }
    request.set_post(PostName(post));
    absl::StatusOr<std::string> json = ToJson(request);
    if (!json.ok()) return json.status();
    return PostsCall{"publisher", "ConfirmPostNotPublished", *std::move(json)};
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown posts subcommand '", sub,
                                                 "' (confirm-published, confirm-not-published)"));
}

}  // namespace carecast::ctl
