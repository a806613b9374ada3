// `carecastctl posts ...` builds the PublisherService requests a person means,
// and refuses what it cannot turn into one (exit status 2, nothing sent).
#include "tools/carecastctl/posts_command.h"

#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "carecast/v1/publisher_service.pb.h"

#include "tools/carecastctl/service_catalog.h"

namespace carecast::ctl {
namespace {

template <class Request>
Request Decode(const PostsCall& call) {
  Request request;
  auto status = google::protobuf::util::JsonStringToMessage(call.request_json, &request);
  EXPECT_TRUE(status.ok()) << call.request_json;
  return request;
}

// The named method exists on the named service, taking the request built.
void ExpectCallable(const PostsCall& call, const std::string& request_type) {
  const ServiceEntry* service = FindService(call.service);
  ASSERT_NE(service, nullptr) << call.service;
  const auto* method = Describe(*service)->FindMethodByName(call.method);
  ASSERT_NE(method, nullptr) << call.method;
  EXPECT_EQ(method->input_type()->full_name(), request_type);
}

TEST(PostsCommandTest, ConfirmPublishedCarriesTheReceiptAndNote) {
  auto call = ParsePostsCommand({"confirm-published", "posts/p1", "--external-id", "1093", "--url",
                                 "https://mastodon.example/@a/1093", "--note",
                                 "seen at 10:02, \"pinned\""});
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->service, "publisher");
  EXPECT_EQ(call->method, "ConfirmPostPublished");
  ExpectCallable(*call, "carecast.v1.ConfirmPostPublishedRequest");
  auto request = Decode<carecast::v1::ConfirmPostPublishedRequest>(*call);
  EXPECT_EQ(request.post(), "posts/p1");
  EXPECT_EQ(request.external_id(), "1093");
  EXPECT_EQ(request.url(), "https://mastodon.example/@a/1093");
  EXPECT_EQ(request.note(), "seen at 10:02, \"pinned\"");
}

TEST(PostsCommandTest, ABareIdNamesThePostAndOptionsMayComeFirst) {
  auto call = ParsePostsCommand({"confirm-published", "--url", "https://x.example/s/9", "p7"});
  ASSERT_TRUE(call.ok()) << call.status();
  auto request = Decode<carecast::v1::ConfirmPostPublishedRequest>(*call);
  EXPECT_EQ(request.post(), "posts/p7");
  EXPECT_TRUE(request.external_id().empty());
}

TEST(PostsCommandTest, ConfirmNotPublishedTakesAnRfc3339TimeOrNone) {
  auto now = ParsePostsCommand({"confirm-not-published", "p1"});
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->method, "ConfirmPostNotPublished");
  ExpectCallable(*now, "carecast.v1.ConfirmPostNotPublishedRequest");
  auto unset = Decode<carecast::v1::ConfirmPostNotPublishedRequest>(*now);
  EXPECT_EQ(unset.post(), "posts/p1");
  EXPECT_FALSE(unset.has_publish_time()) << "unset means now, decided by the server";

  auto later = ParsePostsCommand({"confirm-not-published", "posts/p1", "--at",
                                  "2026-03-01T09:30:00.25-05:00", "--note", "not on the page"});
  ASSERT_TRUE(later.ok()) << later.status();
  auto at = Decode<carecast::v1::ConfirmPostNotPublishedRequest>(*later);
  ASSERT_TRUE(at.has_publish_time());
  EXPECT_EQ(at.publish_time().seconds(), 1772375400);  // 2026-03-01T14:30:00Z
  EXPECT_EQ(at.publish_time().nanos(), 250'000'000);
  EXPECT_EQ(at.note(), "not on the page");
}

TEST(PostsCommandTest, UsageErrorsAreRefusedBeforeAnythingIsSent) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "subcommand"},
      {{"delete", "p1"}, "unknown posts subcommand"},
      {{"confirm-published"}, "needs the post"},
      {{"confirm-published", "p1", "--url"}, "--url needs a value"},
      {{"confirm-published", "p1", "--colour", "red"}, "unknown option --colour"},
      {{"confirm-published", "p1", "p2"}, "unexpected argument p2"},
      {{"confirm-not-published", "p1", "--at", "tomorrow"}, "RFC 3339"},
      {{"confirm-not-published", "p1", "--external-id", "1"}, "unknown option"},
  };
  for (const auto& [args, part] : cases) {
    auto call = ParsePostsCommand(args);
    ASSERT_FALSE(call.ok()) << part;
    EXPECT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(call.status().message().find(part), std::string::npos) << call.status();
  }
}

}  // namespace
}  // namespace carecast::ctl
