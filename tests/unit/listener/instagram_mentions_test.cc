// Instagram mentions through the Meta webhook: the delivery carries ids only,
// the listener reads the text from the Graph API (the local Instagram fake,
// over the real HTTP client), stores the mention once however often Meta
// delivers it, answers 503 (Meta delivers again) while the Graph API cannot
// answer or refuses the token, and ignores a mention deleted since.
#include <cstdio>
#include <memory>
#include <string>
#include <variant>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "services/common/base/hmac.h"
#include "services/common/http/curl_http_client.h"
#include "services/listener/meta_webhook.h"
#include "services/listener/sources/instagram_mention_reader.h"
#include "tests/support/fake_networks/instagram_fake.h"
#include "tests/unit/listener/listener_fixture.h"

namespace carecast::listener {
namespace {

constexpr char kAppSecret[] = "meta-app-secret-for-tests";
constexpr char kToken[] = "ig-read-token";

class InstagramMentionsTest : public ListenerFixture {
 protected:
  void SetUp() override {
    instagram_.AcceptToken(kToken);
    ASSERT_TRUE(instagram_.Start().ok());
    reader_ = std::make_unique<InstagramMentionReader>(
        InstagramMentionReaderSettings{.graph_url = instagram_.base_url() + "/v21.0",
                                       .token = kToken},
        *http_);
    meta_ = std::make_unique<MetaWebhook>(*listener_, MetaWebhookSecrets{kAppSecret, "verify"},
                                          metrics_, logger_, reader_.get());
  }
  void TearDown() override {
    if (HasFailure()) {
      for (const common::CapturingLogger::Line& line : logger_.lines()) {
        std::string fields;
        for (const common::LogField& f : line.fields) {
          if (const std::string* t = std::get_if<std::string>(&f.second)) {
            fields += " " + f.first + "=" + *t;
          }
        }
        std::printf("log: %s%s\n", line.message.c_str(), fields.c_str());
      }
    }
    meta_.reset();
    reader_.reset();
    http_.reset();
    instagram_.Stop();
  }

  std::string Delivery(const testing::InstagramFake::MentionIds& ids) const {
    nlohmann::json value = {{"media_id", ids.media_id}};
    if (!ids.comment_id.empty()) value["comment_id"] = ids.comment_id;
    return nlohmann::json{{"object", "instagram"},
                          {"entry",
                           {{{"id", instagram_.ig_user_id()},
                             {"time", 1767225700},
                             {"changes", {{{"field", "mentions"}, {"value", value}}}}}}}}
        .dump();
  }
  common::HttpResponse Deliver(const std::string& body) {
    common::HttpRequest request;
    request.method = "POST";
    request.path = std::string(kMetaWebhookPath);
    request.body = body;
    request.content_type = "application/json";
    request.headers["x-hub-signature-256"] = common::Sha256SignatureHeader(kAppSecret, body);
    return meta_->Receive(request);
  }

  testing::InstagramFake instagram_;
  // Closed before the fake stops (the fake would wait out its keep-alive).
  std::unique_ptr<common::CurlHttpClient> http_ = std::make_unique<common::CurlHttpClient>();
  std::unique_ptr<InstagramMentionReader> reader_;
  std::unique_ptr<MetaWebhook> meta_;
};

TEST_F(InstagramMentionsTest, ACommentMentionIsReadFromTheGraphApiAndStoredOnce) {
  const auto ids = instagram_.AddMentionComment("worried.dad", "@stmarys is the ER open tonight?");
  common::HttpResponse first = Deliver(Delivery(ids));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(nlohmann::json::parse(first.body)["created"], 1);
  common::HttpResponse again = Deliver(Delivery(ids));  // Meta delivers again
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(nlohmann::json::parse(again.body)["repeated"], 1);
  EXPECT_EQ(KeyCount("carecast_mentions"), 1u);

  auto mention = listener_->GetMention(
      absl::StrCat("mentions/", MentionId(v1::NETWORK_INSTAGRAM, ids.comment_id)));
  ASSERT_TRUE(mention.ok()) << mention.status();
  EXPECT_EQ(mention->network(), v1::NETWORK_INSTAGRAM);
  EXPECT_EQ(mention->external_id(), ids.comment_id);
  EXPECT_EQ(mention->author_handle(), "worried.dad");
  EXPECT_EQ(mention->text(), "@stmarys is the ER open tonight?");
  EXPECT_GT(mention->create_time().seconds(), 1767225700);
}

TEST_F(InstagramMentionsTest, ACaptionMentionIsReadToo) {
  const auto ids = instagram_.AddMentionedMedia("new.mum", "Welcome baby Ada, thank you @stmarys");
  common::HttpResponse answer = Deliver(Delivery(ids));
  ASSERT_EQ(answer.status, 200) << answer.body;
  auto mention = listener_->GetMention(
      absl::StrCat("mentions/", MentionId(v1::NETWORK_INSTAGRAM, ids.media_id)));
  ASSERT_TRUE(mention.ok()) << mention.status();
  EXPECT_EQ(mention->text(), "Welcome baby Ada, thank you @stmarys");
}

TEST_F(InstagramMentionsTest, AGraphOutageOrARefusedTokenAsksMetaToDeliverAgain) {
  const auto ids = instagram_.AddMentionComment("someone", "@stmarys thanks");
  instagram_.QueueReadFault(testing::FakeFault::kServerErrorBefore);
  EXPECT_EQ(Deliver(Delivery(ids)).status, 503);
  EXPECT_EQ(KeyCount("carecast_mentions"), 0u);
  instagram_.RevokeToken(kToken);
  EXPECT_EQ(Deliver(Delivery(ids)).status, 503);
  EXPECT_EQ(KeyCount("carecast_mentions"), 0u);
  instagram_.AcceptToken(kToken);
  EXPECT_EQ(Deliver(Delivery(ids)).status, 200);  // the redelivery after the fix
  EXPECT_EQ(KeyCount("carecast_mentions"), 1u);
  for (const common::CapturingLogger::Line& line : logger_.lines()) {
    for (const common::LogField& field : line.fields) {
      const std::string* text = std::get_if<std::string>(&field.second);
      if (text != nullptr) {
        EXPECT_EQ(text->find(kToken), std::string::npos) << field.first;
      }
    }
  }
}

TEST_F(InstagramMentionsTest, AMentionDeletedSinceIsIgnoredAndWithoutAReaderAllAre) {
  auto gone = instagram_.AddMentionComment("someone", "@stmarys oops");
  instagram_.DeleteByItsAuthor(gone.comment_id);
  common::HttpResponse answer = Deliver(Delivery(gone));
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(nlohmann::json::parse(answer.body)["ignored"], 1);

  MetaWebhook without(*listener_, MetaWebhookSecrets{kAppSecret, "verify"}, metrics_, logger_);
  const auto ids = instagram_.AddMentionComment("someone", "@stmarys hello");
  common::HttpRequest request;
  request.method = "POST";
  request.path = std::string(kMetaWebhookPath);
  request.body = Delivery(ids);
  request.headers["x-hub-signature-256"] = common::Sha256SignatureHeader(kAppSecret, request.body);
  common::HttpResponse ignored = without.Receive(request);
  ASSERT_EQ(ignored.status, 200) << ignored.body;
  EXPECT_EQ(nlohmann::json::parse(ignored.body)["ignored"], 1);
  EXPECT_EQ(KeyCount("carecast_mentions"), 0u);
}

}  // namespace
}  // namespace carecast::listener
