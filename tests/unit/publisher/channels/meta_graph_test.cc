// The Graph API support shared by the Facebook and Instagram adapters: error
// bodies and their classification, the usage headers, and GraphClient's rules
// (budgets first, deadline, token in a header only, never in a message).
#include "services/publisher/channels/meta_graph.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include <gtest/gtest.h>

#include "services/common/base/clock.h"
#include "services/publisher/channels/in_memory_rate_limiter.h"
#include "tests/support/static_credential_source.h"

namespace carecast::publisher {
namespace {

constexpr char kAccount[] = "spokes/s/accounts/page";
constexpr char kToken[] = "EAAB-secret-token";

common::HttpReply Answer(int status, std::string body,
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
  common::HttpReply reply;
  reply.status = status;
  reply.body = std::move(body);
  reply.headers = std::move(headers);
  return reply;
}

std::string ErrorBody(int code, int subcode = 0, bool transient = false) {
  std::string body =
      R"({"error":{"message":"m","type":"OAuthException","code":)" + std::to_string(code);
  if (subcode != 0) body += R"(,"error_subcode":)" + std::to_string(subcode);
  if (transient) body += R"(,"is_transient":true)";
  return body + R"(,"fbtrace_id":"Tr4ce"}})";
}

ChannelFailure Classify(const common::HttpReply& reply, CallKind kind = CallKind::kCreate) {
  absl::Status status = GraphAnswerFailure(reply, kind, "facebook", kAccount, absl::UnixEpoch());
  EXPECT_FALSE(status.ok());
  return ClassifyChannelError(status);
}

TEST(ParseGraphErrorTest, ReadsEveryField) {
  std::optional<GraphError> error = ParseGraphError(
      R"({"error":{"message":"Session has expired","type":"OAuthException","code":190,)"
      R"("error_subcode":463,"fbtrace_id":"AbC","is_transient":false}})");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message, "Session has expired");
  EXPECT_EQ(error->type, "OAuthException");
  EXPECT_EQ(error->code, 190);
  EXPECT_EQ(error->subcode, 463);
  EXPECT_EQ(error->fbtrace_id, "AbC");
  EXPECT_FALSE(error->is_transient);
}

TEST(ParseGraphErrorTest, RefusesWhatIsNotAGraphError) {
  EXPECT_FALSE(ParseGraphError("<html>Bad gateway</html>").has_value());
  EXPECT_FALSE(ParseGraphError(R"({"id":"1"})").has_value());
  EXPECT_FALSE(ParseGraphError(R"({"error":"text"})").has_value());
  std::optional<GraphError> odd = ParseGraphError(R"({"error":{"code":"4","message":7}})");
  ASSERT_TRUE(odd.has_value());
  EXPECT_EQ(odd->code, 4);  // Graph sometimes quotes numbers
  EXPECT_EQ(odd->message, "");
}

TEST(GraphAnswerFailureTest, TokenErrorsAskForAReconnectNamingTheAccount) {
  for (const std::string& body :
       {ErrorBody(190, 463), ErrorBody(190), ErrorBody(102), ErrorBody(200, 467)}) {
    ChannelFailure failure = Classify(Answer(400, body));
    EXPECT_EQ(failure.kind, ChannelErrorKind::kAuthExpired) << body;
    EXPECT_TRUE(absl::StrContains(failure.message, "reconnect")) << failure.message;
    EXPECT_TRUE(absl::StrContains(failure.message, kAccount)) << failure.message;
  }
}

TEST(GraphAnswerFailureTest, ThrottleCodesAreRateLimited) {
  for (int code : {4, 17, 32, 613, 80001, 80014}) {
    ChannelFailure failure = Classify(Answer(400, ErrorBody(code)));
    EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited) << code;
    EXPECT_EQ(failure.retry_after, absl::Minutes(5)) << code;  // nothing stated: the default
  }
  EXPECT_EQ(Classify(Answer(400, ErrorBody(80015))).kind, ChannelErrorKind::kPermanent);
}

TEST(GraphAnswerFailureTest, ThrottleWaitsTheTimeToRegainAccess) {
  common::HttpReply reply =
      Answer(400, ErrorBody(80002),
             {{"x-business-use-case-usage",
               R"({"17841":[{"type":"instagram","call_count":100,"total_cputime":3,)"
               R"("total_time":4,"estimated_time_to_regain_access":12}]})"}});
  ChannelFailure failure = Classify(reply);
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(failure.retry_after, absl::Minutes(12));
}

TEST(GraphAnswerFailureTest, RefusalsOfThePostArePermanent) {
  ChannelFailure duplicate = Classify(Answer(400, ErrorBody(506)));
  EXPECT_EQ(duplicate.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(duplicate.message, "duplicate")) << duplicate.message;
  ChannelFailure policy = Classify(Answer(400, ErrorBody(368)));
  EXPECT_EQ(policy.kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(absl::StrContains(policy.message, "polic")) << policy.message;
  for (int code : {100, 10, 200, 299})
    EXPECT_EQ(Classify(Answer(400, ErrorBody(code))).kind, ChannelErrorKind::kPermanent) << code;
}

TEST(GraphAnswerFailureTest, MissingObjectIsNotFound) {
  absl::Status status = GraphAnswerFailure(Answer(400, ErrorBody(100, 33)), CallKind::kRead,
                                           "facebook", kAccount, absl::UnixEpoch());
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
}

TEST(GraphAnswerFailureTest, TransientErrorsAreRetryableForReadsAndUnknownForCreates) {
  for (const std::string& body : {ErrorBody(1), ErrorBody(2), ErrorBody(9999, 0, true)}) {
    EXPECT_EQ(Classify(Answer(500, body), CallKind::kRead).kind, ChannelErrorKind::kRetryable);
    ChannelFailure create = Classify(Answer(500, body), CallKind::kCreate);
    EXPECT_EQ(create.kind, ChannelErrorKind::kOutcomeUnknown) << body;
    EXPECT_FALSE(create.may_be_in_flight);  // Meta answered: it is done with the request
  }
}

TEST(GraphAnswerFailureTest, OtherAnswersFollowTheHttpStatus) {
  EXPECT_EQ(Classify(Answer(502, "<html>"), CallKind::kCreate).kind,
            ChannelErrorKind::kOutcomeUnknown);
  EXPECT_EQ(Classify(Answer(502, "<html>"), CallKind::kRead).kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(Classify(Answer(401, "")).kind, ChannelErrorKind::kAuthExpired);
  ChannelFailure limited = Classify(Answer(429, "", {{"retry-after", "90"}}));
  EXPECT_EQ(limited.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(limited.retry_after, absl::Seconds(90));
  EXPECT_EQ(Classify(Answer(400, ErrorBody(12345))).kind, ChannelErrorKind::kPermanent);
  // An error object in a 200 answer is still a refusal.
  EXPECT_EQ(Classify(Answer(200, ErrorBody(506))).kind, ChannelErrorKind::kPermanent);
}

TEST(ReadGraphUsageTest, LowUsageSaysNothing) {
  GraphUsage usage = ReadGraphUsage(
      Answer(200, "{}",
             {{"x-app-usage", R"({"call_count":40,"total_cputime":5,"total_time":9})"},
              {"x-page-usage", R"({"call_count":89})"}}),
      absl::UnixEpoch());
  EXPECT_FALSE(usage.app.has_value());
  EXPECT_FALSE(usage.page.has_value());
}

TEST(ReadGraphUsageTest, NinetyPercentSlowsDownForAMinute) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  GraphUsage usage = ReadGraphUsage(
      Answer(200, "{}",
             {{"x-app-usage", R"({"call_count":12,"total_cputime":91,"total_time":9})"}}),
      now);
  ASSERT_TRUE(usage.app.has_value());
  EXPECT_EQ(usage.app->blocked_until, now + absl::Minutes(1));
  EXPECT_FALSE(usage.page.has_value());
}

TEST(ReadGraphUsageTest, SpentBudgetsBlockUntilAccessIsRegained) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  GraphUsage full =
      ReadGraphUsage(Answer(200, "{}", {{"x-page-usage", R"({"call_count":100})"}}), now);
  ASSERT_TRUE(full.page.has_value());
  EXPECT_EQ(full.page->blocked_until, now + absl::Minutes(1));
  GraphUsage regain = ReadGraphUsage(
      Answer(200, "{}",
             {{"x-business-use-case-usage",
               R"({"1":[{"type":"pages","call_count":20,"estimated_time_to_regain_access":0}],)"
               R"("2":[{"type":"pages","call_count":3,"estimated_time_to_regain_access":7}]})"}}),
      now);
  ASSERT_TRUE(regain.page.has_value());
  EXPECT_EQ(regain.page->blocked_until, now + absl::Minutes(7));
  EXPECT_FALSE(regain.app.has_value());
}

TEST(ReadGraphUsageTest, MalformedHeadersAreIgnored) {
  GraphUsage usage =
      ReadGraphUsage(Answer(200, "{}",
                            {{"x-app-usage", "call_count=100"},
                             {"x-business-use-case-usage", R"({"1":{"call_count":100}})"}}),
                     absl::UnixEpoch());
  EXPECT_FALSE(usage.app.has_value());
  EXPECT_FALSE(usage.page.has_value());
}

// An HttpClient that records the calls and answers as told.
class ScriptedHttp final : public common::HttpClient {
 public:
  absl::StatusOr<common::HttpReply> Send(const common::HttpCall& call) override {
    calls.push_back(call);
    return reply;
  }
  std::vector<common::HttpCall> calls;
  common::HttpReply reply;
};

class GraphClientTest : public ::testing::Test {
 protected:
  void SetUp() override { credentials_.Set(kAccount, Credential{kToken, {{"page_id", "42"}}}); }
  GraphClient Client() {
    GraphClientOptions options;
    options.base_url = "https://graph.example.test";
    return GraphClient("facebook", options, http_, credentials_, limiter_, clock_);
  }
  common::FakeClock clock_;
  ScriptedHttp http_;
  carecast::testing::StaticCredentialSource credentials_;
  InMemoryRateLimiter limiter_{clock_};
};

TEST_F(GraphClientTest, SendsTheTokenInAHeaderAndTheVersionInTheUrl) {
  GraphClient client = Client();
  http_.reply = Answer(200, R"({"id":"42_1"})");
  absl::StatusOr<Credential> credential = client.CredentialsOf(kAccount, "page_id");
  ASSERT_TRUE(credential.ok()) << credential.status();
  absl::StatusOr<nlohmann::json> answer =
      client.Call(GraphRequest{kAccount, "POST", "/42/feed", R"({"message":"hi"})",
                               CallKind::kCreate, absl::InfiniteFuture()},
                  *credential);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(GraphString(*answer, "id"), "42_1");
  ASSERT_EQ(http_.calls.size(), 1u);
  EXPECT_EQ(http_.calls[0].url, "https://graph.example.test/v21.0/42/feed");
  EXPECT_FALSE(absl::StrContains(http_.calls[0].url, kToken));
  bool bearer = false;
  for (const auto& [name, value] : http_.calls[0].headers)
    bearer |= name == "Authorization" && value == std::string("Bearer ") + kToken;
  EXPECT_TRUE(bearer);
}

TEST_F(GraphClientTest, NeverPutsAnEchoedTokenInAMessage) {
  GraphClient client = Client();
  http_.reply = Answer(400, std::string(R"({"error":{"message":"Malformed access token )") +
                                kToken + R"(","type":"OAuthException","code":190}})");
  absl::StatusOr<Credential> credential = client.CredentialsOf(kAccount, "page_id");
  ASSERT_TRUE(credential.ok());
  absl::StatusOr<nlohmann::json> answer = client.Call(
      GraphRequest{kAccount, "GET", "/42/feed", "", CallKind::kRead, absl::InfiniteFuture()},
      *credential);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(ClassifyChannelError(answer.status()).kind, ChannelErrorKind::kAuthExpired);
  EXPECT_FALSE(absl::StrContains(answer.status().message(), kToken)) << answer.status();
}

TEST_F(GraphClientTest, SpentBudgetOrPassedDeadlineSendsNothing) {
  GraphClient client = Client();
  absl::StatusOr<Credential> credential = client.CredentialsOf(kAccount, "page_id");
  ASSERT_TRUE(credential.ok());
  absl::StatusOr<common::HttpReply> late = client.Send(
      GraphRequest{kAccount, "GET", "/42", "", CallKind::kRead, clock_.Now() - absl::Seconds(1)},
      *credential);
  EXPECT_EQ(ClassifyChannelError(late.status()).kind, ChannelErrorKind::kRetryable);

  // A throttle answer blocks the page's budget for what Meta stated.
  http_.reply = Answer(400, ErrorBody(32),
                       {{"x-business-use-case-usage",
                         R"({"42":[{"call_count":100,"estimated_time_to_regain_access":3}]})"}});
  GraphRequest read{kAccount, "GET", "/42", "", CallKind::kRead, absl::InfiniteFuture()};
  ASSERT_TRUE(client.Send(read, *credential).ok());
  ASSERT_EQ(http_.calls.size(), 1u);
  absl::StatusOr<common::HttpReply> held = client.Send(read, *credential);
  ChannelFailure failure = ClassifyChannelError(held.status());
  EXPECT_EQ(failure.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(failure.retry_after, absl::Minutes(3));
  EXPECT_EQ(http_.calls.size(), 1u);
  clock_.Advance(absl::Minutes(3));
  http_.reply = Answer(200, "{}");
  EXPECT_TRUE(client.Send(read, *credential).ok());
  EXPECT_EQ(http_.calls.size(), 2u);
}

TEST_F(GraphClientTest, CredentialsNeedTheIdField) {
  GraphClient client = Client();
  ChannelFailure missing_account =
      ClassifyChannelError(client.CredentialsOf("spokes/s/accounts/none", "page_id").status());
  EXPECT_EQ(missing_account.kind, ChannelErrorKind::kAuthExpired);
  EXPECT_TRUE(absl::StrContains(missing_account.message, "spokes/s/accounts/none"));
  EXPECT_EQ(ClassifyChannelError(client.CredentialsOf(kAccount, "ig_user_id").status()).kind,
            ChannelErrorKind::kPermanent);
}

}  // namespace
}  // namespace carecast::publisher
