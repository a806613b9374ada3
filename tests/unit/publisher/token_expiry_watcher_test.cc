// The token expiry watcher exports when channel tokens expire (earliest per
// network and spoke), counts unreadable files, and never lets a token reach the
// metrics or the logs. With a FileCredentialSource it exports the expiry of the
// tokens the adapters use: a refreshed token stored in the KV bucket while the
// file still holds the tokens it descends from, the file's once an operator
// replaced them.
#include "services/publisher/channels/token_expiry_watcher.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/http/http_client.h"
#include "services/publisher/channels/file_credential_source.h"
#include "tests/support/in_memory_key_value_store.h"
#include "tests/support/metric_values.h"

namespace carecast::publisher {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::SeriesValue;

namespace fs = std::filesystem;

constexpr char kExpiry[] = "carecast_channel_token_expiry_timestamp_seconds";
constexpr char kErrors[] = "carecast_channel_token_read_errors_total";
// FakeClock's default start, 2027-01-15T08:00:00Z.
constexpr int64_t kNow = 1'800'000'000;

class TokenExpiryWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "token-watcher-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& body) {
    std::ofstream(dir_ / name) << body;
  }
  static std::string Token(const std::string& network, const std::string& account,
                           const std::string& secret, const std::string& expires_at) {
    return R"({"network":")" + network + R"(","account":")" + account + R"(","access_token":")" +
           secret + R"(","expires_at":")" + expires_at + R"("})";
  }
  std::unique_ptr<TokenExpiryWatcher> Watcher(fs::path dir,
                                              absl::Duration interval = absl::Seconds(60),
                                              CredentialSource* credentials = nullptr) {
    return std::make_unique<TokenExpiryWatcher>(
        TokenExpiryWatcherOptions{
            .directory = dir.string(), .interval = interval, .credentials = credentials},
        registry_, clock_, logger_);
  }
  std::string MetricsText() const {
    return prometheus::TextSerializer().Serialize(registry_.Collect());
  }
  std::string LogText() const {
    common::JsonLogger formatter("publisher", common::LogLevel::kDebug, clock_);
    std::string text;
    for (const auto& line : logger_.lines()) {
      text += formatter.Format(line.level, line.message, line.fields) + "\n";
    }
    return text;
  }

  fs::path dir_;
  prometheus::Registry registry_;
  common::FakeClock clock_;
  common::CapturingLogger logger_;
};

TEST_F(TokenExpiryWatcherTest, ExportsTheEarliestExpiryPerNetworkAndSpoke) {
  Write("x.st-marys.main.json",
        Token("x", "spokes/st-marys/accounts/x-main", "SECRET-X-MAIN", "2027-02-01T00:00:00Z"));
  Write("x.st-marys.er.json",
        Token("x", "spokes/st-marys/accounts/x-er", "SECRET-X-ER", "2027-01-20T12:00:00Z"));
  Write("facebook.oak-clinic.json", Token("facebook", "spokes/oak-clinic/accounts/fb", "SECRET-FB",
                                          "2027-03-01T00:00:00+02:00"));
  // No expires_at: a token that does not expire is read but not exported.
  Write(
      "mastodon.st-marys.json",
      R"({"network":"mastodon","account":"spokes/st-marys/accounts/m","access_token":"SECRET-M"})");
  auto watcher = Watcher(dir_);

  TokenScanResult result = watcher->ScanOnce();
  EXPECT_EQ(result.files, 4);
  EXPECT_EQ(result.read_errors, 0);
  EXPECT_EQ(result.expired, 0);

  const std::string text = MetricsText();
  // 2027-01-20T12:00:00Z; the later x token of the same spoke is not shown.
  EXPECT_THAT(text,
              HasSubstr(std::string(kExpiry) + "{network=\"x\",spoke=\"st-marys\"} 1800446400\n"));
  EXPECT_EQ(SeriesValue(registry_, kExpiry, {{"network", "x"}, {"spoke", "st-marys"}}), 1800446400);
  // 2027-02-28T22:00:00Z (the offset is applied).
  EXPECT_EQ(SeriesValue(registry_, kExpiry, {{"network", "facebook"}, {"spoke", "oak-clinic"}}),
            1803852000);
  EXPECT_EQ(SeriesValue(registry_, kExpiry, {{"network", "mastodon"}, {"spoke", "st-marys"}}),
            std::nullopt);
  EXPECT_THAT(text, HasSubstr(std::string(kErrors) + " 0\n"));
  // Bounded labels: no account, no file name, no token.
  EXPECT_THAT(text, Not(HasSubstr("account")));
  EXPECT_THAT(text, Not(HasSubstr("x-main")));
  EXPECT_THAT(text + LogText(), Not(HasSubstr("SECRET")));
}

TEST_F(TokenExpiryWatcherTest, AnExpiredTokenIsExportedAndLogged) {
  Write("x.json",
        Token("x", "spokes/st-marys/accounts/x-main", "SECRET-OLD", "2027-01-01T00:00:00Z"));
  auto watcher = Watcher(dir_);

  TokenScanResult result = watcher->ScanOnce();
  EXPECT_EQ(result.files, 1);
  EXPECT_EQ(result.expired, 1);
  std::optional<double> expiry =
      SeriesValue(registry_, kExpiry, {{"network", "x"}, {"spoke", "st-marys"}});
  ASSERT_TRUE(expiry.has_value());
  EXPECT_LT(*expiry, kNow);
  EXPECT_EQ(*expiry, 1798761600);
  const std::string logs = LogText();
  EXPECT_THAT(logs, HasSubstr("a channel token has expired"));
  EXPECT_THAT(logs, HasSubstr("\"file\":\"x.json\""));
  EXPECT_THAT(logs + MetricsText(), Not(HasSubstr("SECRET")));
}

TEST_F(TokenExpiryWatcherTest, MalformedFilesAreCountedAndLoggedByNameOnly) {
  Write("truncated.json", R"({"network":"x","access_token":"SECRET-TRUNC)");
  Write("unknown-network.json",
        Token("myspace", "spokes/st-marys/accounts/a", "SECRET-NET", "2027-02-01T00:00:00Z"));
  Write("bad-account.json", Token("x", "st-marys/a", "SECRET-ACCOUNT", "2027-02-01T00:00:00Z"));
  Write("bad-time.json", Token("x", "spokes/st-marys/accounts/a", "SECRET-TIME", "next week"));
  Write("array.json", R"(["SECRET-ARRAY"])");
  Write("good.json",
        Token("linkedin", "spokes/st-marys/accounts/li", "SECRET-GOOD", "2027-02-01T00:00:00Z"));
  auto watcher = Watcher(dir_);

  TokenScanResult result = watcher->ScanOnce();
  EXPECT_EQ(result.read_errors, 5);
  EXPECT_EQ(result.files, 1);
  EXPECT_EQ(SeriesValue(registry_, kErrors), 5);
  EXPECT_EQ(SeriesValue(registry_, kExpiry, {{"network", "linkedin"}, {"spoke", "st-marys"}}),
            1801440000);

  // Counted again on every scan while the files stay broken.
  watcher->ScanOnce();
  EXPECT_THAT(MetricsText(), HasSubstr(std::string(kErrors) + " 10\n"));

  const std::string logs = LogText();
  for (const char* name : {"truncated.json", "unknown-network.json", "bad-account.json",
                           "bad-time.json", "array.json"}) {
    EXPECT_THAT(logs, HasSubstr(std::string("\"file\":\"") + name + "\"")) << name;
  }
  EXPECT_THAT(logs, HasSubstr("expires_at is not an RFC 3339 time"));
  EXPECT_THAT(logs + MetricsText(), Not(HasSubstr("SECRET")));
  EXPECT_THAT(logs, Not(HasSubstr("next week")));
}

TEST_F(TokenExpiryWatcherTest, AMissingDirectoryIsOneErrorPerScan) {
  auto watcher = Watcher(dir_ / "absent");
  TokenScanResult result = watcher->ScanOnce();
  EXPECT_EQ(result.read_errors, 1);
  EXPECT_EQ(result.files, 0);
  EXPECT_EQ(SeriesValue(registry_, kErrors), 1);
  EXPECT_THAT(MetricsText(), Not(HasSubstr(std::string(kExpiry) + "{")));
  EXPECT_THAT(LogText(), HasSubstr("cannot read the channel token directory"));
}

TEST_F(TokenExpiryWatcherTest, ARemovedTokenStopsBeingExported) {
  Write("a.json", Token("x", "spokes/st-marys/accounts/a", "S1", "2027-02-01T00:00:00Z"));
  Write("b.json", Token("x", "spokes/oak-clinic/accounts/b", "S2", "2027-02-01T00:00:00Z"));
  auto watcher = Watcher(dir_);
  watcher->ScanOnce();
  ASSERT_TRUE(SeriesValue(registry_, kExpiry, {{"network", "x"}, {"spoke", "oak-clinic"}}));

  fs::remove(dir_ / "b.json");
  // A renewed token moves the expiry later.
  Write("a.json", Token("x", "spokes/st-marys/accounts/a", "S1", "2027-06-01T00:00:00Z"));
  watcher->ScanOnce();
  EXPECT_EQ(SeriesValue(registry_, kExpiry, {{"network", "x"}, {"spoke", "oak-clinic"}}),
            std::nullopt);
  EXPECT_EQ(SeriesValue(registry_, kExpiry, {{"network", "x"}, {"spoke", "st-marys"}}), 1811808000);
}

TEST_F(TokenExpiryWatcherTest, ReadsAKubernetesSecretVolumeLayout) {
  // Secret volumes: the data lives in a timestamped directory, "..data" links
  // to it and each key is a link "<key> -> ..data/<key>".
  fs::create_directory(dir_ / "..2027_01_15_08_00_00.1");
  std::ofstream(dir_ / "..2027_01_15_08_00_00.1" / "x.st-marys.json")
      << Token("x", "spokes/st-marys/accounts/a", "SECRET-K8S", "2027-02-01T00:00:00Z");
  fs::create_directory_symlink("..2027_01_15_08_00_00.1", dir_ / "..data");
  fs::create_symlink("..data/x.st-marys.json", dir_ / "x.st-marys.json");
  auto watcher = Watcher(dir_);

  TokenScanResult result = watcher->ScanOnce();
  EXPECT_EQ(result.files, 1);
  EXPECT_EQ(result.read_errors, 0);
  EXPECT_EQ(SeriesValue(registry_, kExpiry, {{"network", "x"}, {"spoke", "st-marys"}}), 1801440000);
}

TEST_F(TokenExpiryWatcherTest, RescansOnItsThreadUntilStopped) {
  auto watcher = Watcher(dir_, absl::Milliseconds(10));
  watcher->Start();  // the first scan happens before Start returns
  EXPECT_EQ(SeriesValue(registry_, kExpiry, {{"network", "x"}, {"spoke", "st-marys"}}),
            std::nullopt);
  Write("x.json", Token("x", "spokes/st-marys/accounts/a", "S", "2027-02-01T00:00:00Z"));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!SeriesValue(registry_, kExpiry, {{"network", "x"}, {"spoke", "st-marys"}}) &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(SeriesValue(registry_, kExpiry, {{"network", "x"}, {"spoke", "st-marys"}}), 1801440000);
  watcher->Stop();
  EXPECT_THAT(LogText(), HasSubstr("watching channel token expiry"));
}

// The OAuth 2 token endpoint, as the FileCredentialSource calls it: every
// refresh gets the next queued answer (a new access and refresh token).
class FakeTokenEndpoint final : public common::HttpClient {
 public:
  void Queue(std::string body) {
    std::lock_guard lock(mu_);
    answers_.push_back(std::move(body));
  }
  absl::StatusOr<common::HttpReply> Send(const common::HttpCall& call) override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (answers_.empty()) return absl::UnavailableError("no answer queued");
    common::HttpReply reply;
    reply.status = 200;
    reply.body = answers_.front();
    answers_.erase(answers_.begin());
    (void)call;
    return reply;
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> answers_;
  int calls_ = 0;
};

constexpr char kAccount[] = "spokes/st-marys/accounts/x-main";
constexpr char kHexKey[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr char kOtherHexKey[] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
// 2027-01-15T07:00:00Z: an hour before kNow, so the file's token has expired.
constexpr char kFileExpiry[] = "2027-01-15T07:00:00Z";
constexpr int64_t kT1 = kNow - 3600;
// The refresh answers expires_in 7200 at kNow.
constexpr int64_t kT2 = kNow + 7200;
// 2027-06-01T00:00:00Z, the expiry of the operator's new token file.
constexpr char kReplacedExpiry[] = "2027-06-01T00:00:00Z";
constexpr int64_t kT3 = 1811808000;

class TokenExpiryWatcherWithCredentialsTest : public TokenExpiryWatcherTest {
 protected:
  void SetUp() override {
    TokenExpiryWatcherTest::SetUp();
    std::string pattern = ::testing::TempDir() + "token-watcher-keys-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    keys_ = pattern;
    std::ofstream(keys_ / "sealing.key") << kHexKey << "\n";
    std::ofstream(keys_ / "other.key") << kOtherHexKey << "\n";
  }
  void TearDown() override {
    fs::remove_all(keys_);
    TokenExpiryWatcherTest::TearDown();
  }

  // An X token file with a refresh token (the tokens rotate).
  static std::string RotatingToken(const std::string& access, const std::string& refresh,
                                   const std::string& expires_at) {
    return R"({"network":"x","account":")" + std::string(kAccount) + R"(","access_token":")" +
           access + R"(","refresh_token":")" + refresh +
           R"(","client_id":"cid","client_secret":"SECRET-CLIENT","expires_at":")" + expires_at +
           R"("})";
  }
  // Replaces a file as an operator's `kubectl apply` does: a new file moved in.
  void Replace(const std::string& name, const std::string& body) {
    Write(".tmp", body);
    fs::rename(dir_ / ".tmp", dir_ / name);
  }
  static std::string Answer(const std::string& access, const std::string& refresh) {
    return R"({"token_type":"bearer","expires_in":7200,"access_token":")" + access +
           R"(","refresh_token":")" + refresh + R"("})";
  }
  std::unique_ptr<FileCredentialSource> Source(prometheus::Registry& registry,
                                               const std::string& key_file) {
    FileCredentialSourceOptions options{.directory = dir_.string(),
                                        .sealing_key_file = (keys_ / key_file).string()};
    options.rescan_interval = absl::ZeroDuration();  // the new file is seen at once
    auto source = FileCredentialSource::Create(options, kv_, http_, registry, clock_, logger_);
    EXPECT_TRUE(source.ok()) << source.status();
    return source.ok() ? *std::move(source) : nullptr;
  }
  std::optional<double> XExpiry(const prometheus::Registry& registry) const {
    return SeriesValue(registry, kExpiry, {{"network", "x"}, {"spoke", "st-marys"}});
  }

  fs::path keys_;
  FakeTokenEndpoint http_;
  testing::InMemoryKeyValueStoreFactory kv_;
};

TEST_F(TokenExpiryWatcherWithCredentialsTest, ExportsTheRefreshedTokenThenTheOperatorsNewFile) {
  Write("x-main.json", RotatingToken("SECRET-A0", "SECRET-R0", kFileExpiry));
  Write("broken.json", R"({"network":"x","access_token":"SECRET-BROKEN)");
  auto source = Source(registry_, "sealing.key");
  ASSERT_NE(source, nullptr);
  auto watcher = Watcher(dir_, absl::Seconds(60), source.get());

  // Nothing refreshed yet: the file's token is the current one, and expired.
  TokenScanResult result = watcher->ScanOnce();
  EXPECT_EQ(result.files, 1);
  EXPECT_EQ(result.read_errors, 1);
  EXPECT_EQ(result.expired, 1);
  EXPECT_EQ(XExpiry(registry_), kT1);

  // The adapter's call was refused; the publisher refreshed and stored the new
  // tokens (the file still holds the ones they descend from).
  http_.Queue(Answer("SECRET-A1", "SECRET-R1"));
  absl::StatusOr<Credential> refreshed = source->Refresh(kAccount, "SECRET-A0");
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  ASSERT_EQ(refreshed->expires_at, absl::FromUnixSeconds(kT2));
  const size_t lines_before = logger_.lines().size();
  result = watcher->ScanOnce();
  EXPECT_EQ(result.expired, 0);
  EXPECT_EQ(XExpiry(registry_), kT2);
  for (size_t i = lines_before; i < logger_.lines().size(); ++i) {
    EXPECT_NE(logger_.lines()[i].message, "a channel token has expired");
  }
  // The unreadable file is still counted on every scan.
  EXPECT_EQ(result.read_errors, 1);
  EXPECT_EQ(SeriesValue(registry_, kErrors), 2);

  // The operator reconnected the account: new tokens in the file win over the
  // stored ones.
  Replace("x-main.json", RotatingToken("SECRET-A9", "SECRET-R9", kReplacedExpiry));
  result = watcher->ScanOnce();
  EXPECT_EQ(result.expired, 0);
  EXPECT_EQ(XExpiry(registry_), kT3);
  ASSERT_EQ(source->Get(kAccount)->expires_at, absl::FromUnixSeconds(kT3));

  EXPECT_EQ(http_.calls(), 1);  // the watcher only reads
  EXPECT_THAT(MetricsText() + LogText(), Not(HasSubstr("SECRET")));
  EXPECT_THAT(MetricsText(), Not(HasSubstr("x-main")));
}

TEST_F(TokenExpiryWatcherWithCredentialsTest, ARecordThatCannotBeOpenedLeavesTheFilesExpiry) {
  Write("x-main.json", RotatingToken("SECRET-A0", "SECRET-R0", kFileExpiry));
  auto source = Source(registry_, "sealing.key");
  ASSERT_NE(source, nullptr);
  http_.Queue(Answer("SECRET-A1", "SECRET-R1"));
  ASSERT_TRUE(source->Refresh(kAccount, "SECRET-A0").ok());
  auto watcher = Watcher(dir_, absl::Seconds(60), source.get());
  watcher->ScanOnce();
  ASSERT_EQ(XExpiry(registry_), kT2);

  // A publisher with another sealing key cannot open the stored record; its
  // adapters use the file's token, and so does its watcher.
  prometheus::Registry other_registry;
  auto other_source = Source(other_registry, "other.key");
  ASSERT_NE(other_source, nullptr);
  TokenExpiryWatcher other_watcher({.directory = dir_.string(), .credentials = other_source.get()},
                                   other_registry, clock_, logger_);
  TokenScanResult result = other_watcher.ScanOnce();
  EXPECT_EQ(result.files, 1);
  EXPECT_EQ(result.read_errors, 0);
  EXPECT_EQ(result.expired, 1);
  EXPECT_EQ(XExpiry(other_registry), kT1);
  EXPECT_EQ(other_source->Get(kAccount)->access_token, "SECRET-A0");
  EXPECT_THAT(MetricsText() + LogText(), Not(HasSubstr("SECRET")));
}

TEST_F(TokenExpiryWatcherWithCredentialsTest, ARefreshedTokenThatNeverExpiresHasNoSeries) {
  Write("x-main.json", RotatingToken("SECRET-A0", "SECRET-R0", kFileExpiry));
  // The token of another account of the network and spoke still expires.
  Write("x-er.json",
        Token("x", "spokes/st-marys/accounts/x-er", "SECRET-ER", "2027-02-01T00:00:00Z"));
  auto source = Source(registry_, "sealing.key");
  ASSERT_NE(source, nullptr);
  auto watcher = Watcher(dir_, absl::Seconds(60), source.get());
  watcher->ScanOnce();
  ASSERT_EQ(XExpiry(registry_), kT1);

  // An answer without expires_in: the new token does not expire.
  http_.Queue(R"({"token_type":"bearer","access_token":"SECRET-A1","refresh_token":"SECRET-R1"})");
  ASSERT_TRUE(source->Refresh(kAccount, "SECRET-A0").ok());
  watcher->ScanOnce();
  EXPECT_EQ(XExpiry(registry_), 1801440000);  // x-er's

  fs::remove(dir_ / "x-er.json");
  TokenScanResult result = watcher->ScanOnce();
  EXPECT_EQ(result.files, 1);
  EXPECT_EQ(result.expired, 0);
  EXPECT_EQ(XExpiry(registry_), std::nullopt);
  EXPECT_THAT(MetricsText() + LogText(), Not(HasSubstr("SECRET")));
}

TEST_F(TokenExpiryWatcherTest, OnlyTheFirstFileOfAnAccountCounts) {
  // Two files name one account: the adapters use the first by name, so the
  // second one's (expired) token is not what will fail.
  Write("a.json",
        Token("x", "spokes/st-marys/accounts/x-main", "SECRET-A", "2027-06-01T00:00:00Z"));
  Write("b.json",
        Token("x", "spokes/st-marys/accounts/x-main", "SECRET-B", "2027-01-01T00:00:00Z"));
  auto watcher = Watcher(dir_);
  TokenScanResult result = watcher->ScanOnce();
  EXPECT_EQ(result.files, 2);
  EXPECT_EQ(result.expired, 0);
  EXPECT_EQ(SeriesValue(registry_, kExpiry, {{"network", "x"}, {"spoke", "st-marys"}}), 1811808000);
}

}  // namespace
}  // namespace carecast::publisher
