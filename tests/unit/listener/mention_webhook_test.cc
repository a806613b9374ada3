// The POST /v1/mentions handler: status codes, reasons, and that a refused
// request changes nothing.
#include "services/listener/mention_webhook.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "services/listener/listener_roles.h"
#include "tests/support/fake_authenticator.h"
#include "tests/unit/listener/listener_fixture.h"

namespace carecast::listener {
namespace {

using ::testing::HasSubstr;

class MentionWebhookTest : public ListenerFixture {
 protected:
  MentionWebhookTest() : webhook_(*listener_, auth_, roles_, metrics_, logger_) {
    auth_.AddSubject("svc", {common::Role::kService});
    auth_.AddSubject("resp", {common::Role::kResponder});
    auth_.AddSubject("writer", {common::Role::kContributor, common::Role::kStrategist});
  }

  common::HttpResponse Post(std::string body, std::string authorization = "Bearer svc",
                            std::string content_type = "application/json") {
    common::HttpRequest request;
    request.method = "POST";
    request.path = "/v1/mentions";
    request.body = std::move(body);
    request.content_type = std::move(content_type);
    request.authorization = std::move(authorization);
    return webhook_.Handle(request);
  }

  static std::string ErrorOf(const common::HttpResponse& response) {
    nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
    if (!body.is_object() || !body.contains("error")) return "<no error field: " + response.body;
    return body["error"].get<std::string>();
  }

  void ExpectNothingChanged() {
    EXPECT_EQ(KeyCount("carecast_mentions"), 0u);
    EXPECT_EQ(KeyCount("carecast_inbox"), 0u);
    EXPECT_TRUE(Events().empty());
  }

  static constexpr const char* kGood =
      R"({"network":"x","external_id":"1790001","author_handle":"@pat","text":"The wait at St Marys was terrible","create_time":"2026-03-01T10:00:00Z"})";

  testing::FakeAuthenticator auth_;
  common::RoleTable roles_ = ListenerRoleTable();
  MentionWebhook webhook_;
};

TEST_F(MentionWebhookTest, NewMentionIs201AndARepeatIs200) {
  common::HttpResponse first = Post(kGood);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.content_type, "application/json");
  nlohmann::json body = nlohmann::json::parse(first.body);
  const std::string id = MentionId(v1::NETWORK_X, "1790001");
  EXPECT_EQ(body["name"], "mentions/" + id);
  EXPECT_EQ(body["inbox_item"], "inboxItems/" + id);

  auto stored = listener_->GetMention("mentions/" + id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->author_handle(), "@pat");
  EXPECT_EQ(stored->text(), "The wait at St Marys was terrible");
  EXPECT_EQ(FromTimestamp(stored->create_time()), absl::FromUnixSeconds(1772359200));
  EXPECT_EQ(Events("carecast.mention.classified").size(), 1u);
  EXPECT_EQ(Events("carecast.inbox.created").size(), 1u);

  common::HttpResponse again = Post(kGood, "bearer resp", "Application/JSON; charset=utf-8");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(nlohmann::json::parse(again.body)["name"], "mentions/" + id);
  EXPECT_EQ(Events().size(), 2u);

  EXPECT_EQ(metrics_.WebhookCount("created"), 1);
  EXPECT_EQ(metrics_.WebhookCount("repeated"), 1);
  EXPECT_EQ(metrics_.ReceivedCount("x", "webhook"), 2);
}

TEST_F(MentionWebhookTest, MentionWithoutNeedForAnswerHasEmptyInboxItem) {
  common::HttpResponse r =
      Post(R"({"network":"sandbox","external_id":"a-1","text":"Thank you, great care"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["inbox_item"], "");
}

TEST_F(MentionWebhookTest, MalformedJsonIs400) {
  const std::vector<std::string> bodies = {
      "",
      "{",
      "not json",
      "[]",
      "\"a string\"",
      R"({"network":"x","external_id":"1","text":"hi"} {"again":1})",
      R"({"network":"x","external_id":"1","text":"hi"} x)",
      R"({"network":"x","external_id":"1","text":"hi",})",
      R"({"network":"x","external_id":"1","text":"hi","text":"twice"})",
      "{\"network\":\"x\",\"external_id\":\"1\",\"text\":\"bad \xff byte\"}",
      R"({"network":"x","external_id":"1","text":"\ud800"})",
  };
  for (const std::string& body : bodies) {
    common::HttpResponse r = Post(body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_FALSE(ErrorOf(r).empty()) << body;
  }
  EXPECT_THAT(ErrorOf(Post("[]")), HasSubstr("JSON object"));
  EXPECT_THAT(ErrorOf(Post("{")), HasSubstr("not valid JSON"));
  EXPECT_GE(metrics_.RejectedCount("malformed_json"), 8);
  ExpectNothingChanged();
}

TEST_F(MentionWebhookTest, WrongShapesAre400WithTheFieldNamed) {
  struct Case {
    std::string body;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {R"({"external_id":"1","text":"hi"})", "missing field \"network\""},
      {R"({"network":"x","text":"hi"})", "missing field \"external_id\""},
      {R"({"network":"x","external_id":"1"})", "missing field \"text\""},
      {R"({"network":null,"external_id":"1","text":"hi"})", "missing field \"network\""},
      {R"({"network":"myspace","external_id":"1","text":"hi"})", "network must be one of"},
      {R"({"network":"X","external_id":"1","text":"hi"})", "network must be one of"},
      {R"({"network":"x","external_id":1,"text":"hi"})", "\"external_id\" must be a string"},
      {R"({"network":"x","external_id":"1","text":["hi"]})", "\"text\" must be a string"},
      {R"({"network":"x","external_id":"1","text":{"a":{"b":{"c":{"d":{}}}}}})",
       "must be a string"},
      {R"({"network":"x","external_id":"1","text":"hi","extra":true})", "unknown field \"extra\""},
      {R"({"network":"x","external_id":"1","text":"hi","create_time":"yesterday"})", "RFC 3339"},
      {R"({"network":"x","external_id":"1","text":"hi","create_time":"2099-01-01T00:00:00Z"})",
       "future"},
      {R"({"network":"x","external_id":"has space","text":"hi"})", "external_id"},
      {R"({"network":"x","external_id":"1","text":"   "})", "text must not be empty"},
      {R"({"network":"x","external_id":"1","text":")" + std::string(1001, 'a') + R"("})",
       "at most 1000 bytes"},
  };
  for (const Case& c : cases) {
    common::HttpResponse r = Post(c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_THAT(ErrorOf(r), HasSubstr(c.reason)) << c.body;
  }
  EXPECT_EQ(metrics_.WebhookCount("bad_request"), static_cast<double>(cases.size()));
  ExpectNothingChanged();
}

TEST_F(MentionWebhookTest, MissingOrBadTokenIs401) {
  for (const std::string& header :
       {std::string(""), std::string("Bearer"), std::string("Bearer "),
        std::string("Basic c3ZjOng="), std::string("Bearer not-a-known-token")}) {
    common::HttpResponse r = Post(kGood, header);
    EXPECT_EQ(r.status, 401) << header;
    EXPECT_FALSE(ErrorOf(r).empty());
    EXPECT_THAT(r.body, ::testing::Not(HasSubstr("not-a-known-token")));
  }
  EXPECT_EQ(metrics_.WebhookCount("unauthenticated"), 5);
  ExpectNothingChanged();
}

TEST_F(MentionWebhookTest, WrongRoleIs403) {
  common::HttpResponse r = Post(kGood, "Bearer writer");
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(ErrorOf(r), HasSubstr("role"));
  ExpectNothingChanged();
}

TEST_F(MentionWebhookTest, NonJsonContentTypeIs415) {
  for (const std::string& type :
       {std::string(""), std::string("text/plain"),
        std::string("application/x-www-form-urlencoded"), std::string("application/jsonx")}) {
    common::HttpResponse r = Post(kGood, "Bearer svc", type);
    EXPECT_EQ(r.status, 415) << type;
    EXPECT_THAT(ErrorOf(r), HasSubstr("application/json"));
  }
  ExpectNothingChanged();
}

TEST_F(MentionWebhookTest, ABusOutageStillAcceptsAndTheRetryCompletesTheEventsOnce) {
  bus_.FailNextPublishes(100, absl::UnavailableError("nats down"));
  // Accepted durably: the events wait in the records' outboxes.
  common::HttpResponse r = Post(kGood);
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(Events().empty());
  bus_.FailNextPublishes(0, absl::OkStatus());

  common::HttpResponse retry = Post(kGood);
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(Events("carecast.mention.classified").size(), 1u);
  EXPECT_EQ(Events("carecast.inbox.created").size(), 1u);
  EXPECT_EQ(metrics_.WebhookCount("unavailable"), 0);
}

TEST_F(MentionWebhookTest, KvOutageIs503) {
  kv_.Bucket("carecast_mentions").FailAll(absl::UnavailableError("kv down"));
  EXPECT_EQ(Post(kGood).status, 503);
  EXPECT_TRUE(Events().empty());
}

}  // namespace
}  // namespace carecast::listener
