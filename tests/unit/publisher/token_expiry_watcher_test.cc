// The token expiry watcher exports when channel tokens expire (earliest per
// network and spoke), counts unreadable files, and never lets a token reach the
// metrics or the logs.
#include "services/publisher/channels/token_expiry_watcher.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
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
                                              absl::Duration interval = absl::Seconds(60)) {
    return std::make_unique<TokenExpiryWatcher>(
        TokenExpiryWatcherOptions{.directory = dir.string(), .interval = interval}, registry_,
        clock_, logger_);
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

}  // namespace
}  // namespace carecast::publisher
