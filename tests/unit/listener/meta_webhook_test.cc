// The Meta webhook: the subscription handshake, the signature checked before
// anything is read, what in a delivery becomes a mention, redelivery, and the
// CareCast webhook's own signature option.
#include "services/listener/meta_webhook.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "services/common/base/hmac.h"
#include "services/listener/listener_roles.h"
#include "services/listener/mention_webhook.h"
#include "services/listener/meta_webhook_json.h"
#include "tests/support/fake_authenticator.h"
#include "tests/unit/listener/listener_fixture.h"

namespace carecast::listener {
namespace {

constexpr char kAppSecret[] = "meta-app-secret-for-tests";
constexpr char kVerifyToken[] = "verify-me-please";

// A Page delivery: a visitor's comment, the page's own reply (not a mention),
// an edit (ignored), and a private message with its echo (ignored).
constexpr char kPageDelivery[] = R"({"object":"page","entry":[{"id":"1001","time":1767225600,
  "changes":[
    {"field":"feed","value":{"item":"comment","verb":"add","comment_id":"555_901",
      "post_id":"1001_555","message":"Is the ER on Elm St open tonight?",
      "from":{"id":"7001","name":"Pat Visitor"},"created_time":1767225500}},
    {"field":"feed","value":{"item":"comment","verb":"add","comment_id":"555_902",
      "post_id":"1001_555","message":"Yes, open 24/7.","from":{"id":"1001","name":"St Mary"}}},
    {"field":"feed","value":{"item":"comment","verb":"edited","comment_id":"555_901",
      "message":"edited text","from":{"id":"7001"}}}],
  "messaging":[
    {"sender":{"id":"8002"},"recipient":{"id":"1001"},"timestamp":1767225601000,
      "message":{"mid":"m_abc","text":"Who do I call about a bill?"}},
    {"sender":{"id":"1001"},"recipient":{"id":"8002"},"timestamp":1767225602000,
      "message":{"mid":"m_def","text":"Our billing team: see our site.","is_echo":true}}]}]})";

constexpr char kInstagramDelivery[] =
    R"({"object":"instagram","entry":[{"id":"17841400","time":1767225700,
  "changes":[
    {"field":"comments","value":{"id":"17900001","text":"Thank you to the night nurses",
      "from":{"id":"99","username":"grateful.daughter"},"media":{"id":"18000"}}},
    {"field":"mentions","value":{"media_id":"18001","comment_id":"17900002"}}]}]})";

class MetaWebhookTest : public ListenerFixture {
 protected:
  MetaWebhookTest() : meta_(*listener_, {kAppSecret, kVerifyToken}, metrics_, logger_) {}

  common::HttpResponse Deliver(const std::string& body, const std::string& signature) {
    common::HttpRequest request;
    request.method = "POST";
    request.path = std::string(kMetaWebhookPath);
    request.body = body;
    request.content_type = "application/json";
    if (!signature.empty()) request.headers["x-hub-signature-256"] = signature;
    return meta_.Receive(request);
  }
  common::HttpResponse Signed(const std::string& body) {
    return Deliver(body, common::Sha256SignatureHeader(kAppSecret, body));
  }
  common::HttpResponse Handshake(const std::string& mode, const std::string& token,
                                 const std::string& challenge) {
    common::HttpRequest request;
    request.method = "GET";
    request.path = std::string(kMetaWebhookPath);
    request.query = {{"hub.mode", mode}, {"hub.verify_token", token}, {"hub.challenge", challenge}};
    return meta_.Verify(request);
  }
  void ExpectNothingStored() {
    EXPECT_EQ(KeyCount("carecast_mentions"), 0u);
    EXPECT_TRUE(Events().empty());
  }

  MetaWebhook meta_;
};

TEST_F(MetaWebhookTest, TheHandshakeEchoesTheChallengeOnlyForTheRightToken) {
  common::HttpResponse ok = Handshake("subscribe", kVerifyToken, "1158201444");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "1158201444");
  EXPECT_EQ(ok.content_type, "text/plain");
  EXPECT_EQ(Handshake("subscribe", "verify-me-pleasE", "1").status, 403);
  EXPECT_EQ(Handshake("subscribe", "", "1").status, 403);
  EXPECT_EQ(Handshake("unsubscribe", kVerifyToken, "1").status, 403);
  // Never a reflection of arbitrary content.
  EXPECT_EQ(Handshake("subscribe", kVerifyToken, "<script>alert(1)</script>").status, 403);
  EXPECT_EQ(metrics_.MetaWebhookCount("verified"), 1);
  EXPECT_EQ(metrics_.MetaWebhookCount("verify_refused"), 4);
}

TEST_F(MetaWebhookTest, AnUnsignedOrForgedDeliveryIsRefusedBeforeItIsRead) {
  EXPECT_EQ(Deliver(kPageDelivery, "").status, 401);
  EXPECT_EQ(
      Deliver(kPageDelivery, common::Sha256SignatureHeader("wrong-secret", kPageDelivery)).status,
      403);
  // Signed for another body (one byte changed).
  std::string tampered = kPageDelivery;
  tampered[tampered.find("tonight")] = 'T';
  EXPECT_EQ(Deliver(tampered, common::Sha256SignatureHeader(kAppSecret, kPageDelivery)).status,
            403);
  EXPECT_EQ(Deliver(kPageDelivery, "sha256=").status, 403);
  EXPECT_EQ(Deliver(kPageDelivery, "sha1=0123").status, 403);
  // Garbage that is not even JSON, signed wrongly: still only a 403, never a parse error.
  EXPECT_EQ(Deliver("{not json", "sha256=00").status, 403);
  ExpectNothingStored();
  EXPECT_EQ(metrics_.MetaWebhookCount("missing_signature"), 1);
  EXPECT_EQ(metrics_.MetaWebhookCount("forged"), 5);
}

TEST_F(MetaWebhookTest, ASignedPageDeliveryStoresWhatPeopleWroteAndARedeliveryRepeats) {
  common::HttpResponse first = Signed(kPageDelivery);
  ASSERT_EQ(first.status, 200) << first.body;
  nlohmann::json body = nlohmann::json::parse(first.body);
  EXPECT_EQ(body["received"], 2);
  EXPECT_EQ(body["created"], 2);
  EXPECT_EQ(body["ignored"], 3);  // the page's own reply, the edit, the echo

  auto comment = listener_->GetMention("mentions/" + MentionId(v1::NETWORK_FACEBOOK, "555_901"));
  ASSERT_TRUE(comment.ok()) << comment.status();
  EXPECT_EQ(comment->text(), "Is the ER on Elm St open tonight?");
  EXPECT_EQ(comment->author_handle(), "Pat Visitor");
  EXPECT_EQ(comment->create_time().seconds(), 1767225500);
  auto message = listener_->GetMention("mentions/" + MentionId(v1::NETWORK_FACEBOOK, "m_abc"));
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(message->create_time().seconds(), 1767225601);
  EXPECT_FALSE(
      listener_->GetMention("mentions/" + MentionId(v1::NETWORK_FACEBOOK, "555_902")).ok());
  const size_t events = Events().size();

  // Meta delivers again (our answer was lost): nothing new.
  common::HttpResponse again = Signed(kPageDelivery);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(nlohmann::json::parse(again.body)["repeated"], 2);
  EXPECT_EQ(KeyCount("carecast_mentions"), 2u);
  EXPECT_EQ(Events().size(), events);
  EXPECT_EQ(metrics_.ReceivedCount("facebook", "meta_webhook"), 4);
  EXPECT_EQ(metrics_.MetaWebhookCount("accepted"), 2);
}

TEST_F(MetaWebhookTest,
       InstagramCommentsBecomeMentionsAndIdOnlyMentionsAreIgnoredWithoutAGraphReader) {
  common::HttpResponse response = Signed(kInstagramDelivery);
  ASSERT_EQ(response.status, 200) << response.body;
  nlohmann::json body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["created"], 1);
  EXPECT_EQ(body["ignored"], 1);
  auto comment = listener_->GetMention("mentions/" + MentionId(v1::NETWORK_INSTAGRAM, "17900001"));
  ASSERT_TRUE(comment.ok()) << comment.status();
  EXPECT_EQ(comment->author_handle(), "grateful.daughter");
  EXPECT_EQ(comment->create_time().seconds(), 1767225700);
}

TEST_F(MetaWebhookTest, ASignedBodyThatIsNotAMetaDeliveryIs400AndStoresNothing) {
  for (const std::string body : {"{not json", "[]", R"({"object":"user","entry":[]})",
                                 R"({"object":"page"})", R"({"object":"page","entry":{}})"}) {
    common::HttpResponse response = Signed(body);
    EXPECT_EQ(response.status, 400) << body << " -> " << response.body;
  }
  ExpectNothingStored();
}

TEST_F(MetaWebhookTest, AnUnusableMentionIsRefusedAloneSoTheBatchIsNotResentForever) {
  const std::string long_text(9000, 'a');  // over the 8192-byte mention limit
  const std::string body = R"({"object":"page","entry":[{"id":"1001","changes":[
    {"field":"feed","value":{"item":"post","verb":"add","post_id":"1001_1","message":")" +
                           long_text + R"(","from":{"id":"7"}}},
    {"field":"feed","value":{"item":"post","verb":"add","post_id":"1001_2","message":"ok",
      "from":{"id":"7"}}}]}]})";
  common::HttpResponse response = Signed(body);
  ASSERT_EQ(response.status, 200) << response.body;
  nlohmann::json parsed = nlohmann::json::parse(response.body);
  EXPECT_EQ(parsed["created"], 1);
  EXPECT_EQ(parsed["refused"], 1);
}

TEST(MetaDeliveryTest, MalformedChangesAreIgnoredNotFatal) {
  absl::StatusOr<MetaDelivery> parsed = ParseMetaDelivery(
      R"({"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":"x"},
      {"field":"feed"},{"nofield":1}],"messaging":[{"sender":{}},{}]}, 7, "x"]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->mentions.empty());
  EXPECT_EQ(parsed->ignored, 5);
}

class SignedMentionWebhookTest : public ListenerFixture {
 protected:
  SignedMentionWebhookTest()
      : webhook_(*listener_, auth_, roles_, metrics_, logger_, "integration-secret") {
    auth_.AddSubject("svc", {common::Role::kService});
  }
  common::HttpResponse Post(const std::string& body, const std::string& signature) {
    common::HttpRequest request;
    request.method = "POST";
    request.path = "/v1/mentions";
    request.body = body;
    request.content_type = "application/json";
    request.authorization = "Bearer svc";
    if (!signature.empty()) request.headers["x-carecast-signature"] = signature;
    return webhook_.Handle(request);
  }

  testing::FakeAuthenticator auth_;
  common::RoleTable roles_ = ListenerRoleTable();
  MentionWebhook webhook_;
};

TEST_F(SignedMentionWebhookTest, WithASecretTheBodyMustBeSignedToo) {
  const std::string body =
      R"({"network":"x","external_id":"42","author_handle":"@pat","text":"Parking is full again"})";
  EXPECT_EQ(Post(body, "").status, 401);
  EXPECT_EQ(Post(body, common::Sha256SignatureHeader("other", body)).status, 403);
  EXPECT_EQ(KeyCount("carecast_mentions"), 0u);
  std::string upper = common::Sha256SignatureHeader("integration-secret", body);
  for (size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_EQ(Post(body, upper).status, 201);
  EXPECT_EQ(KeyCount("carecast_mentions"), 1u);
}

TEST(HmacTest, MatchesAKnownVectorAndComparesWholeStrings) {
  // RFC 4231, test case 2.
  EXPECT_EQ(common::LowerHex(common::HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(common::ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(common::ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(common::ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(common::ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace carecast::listener
