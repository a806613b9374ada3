// FileCredentialSource: token files (and their updates on disk), OAuth 2
// refresh against a local token endpoint through the real CurlHttpClient,
// single flight across threads and across replicas sharing one KV store,
// rotation, the never-lose-a-refresh-token rule, disconnection (and what does
// not disconnect), and sealed storage.
#include "services/publisher/channels/file_credential_source.h"

#include <httplib.h>
#include <stdlib.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/http/curl_http_client.h"
#include "services/publisher/channels/token_sealer.h"
#include "tests/support/forwarding_key_value_store.h"
#include "tests/support/in_memory_key_value_store.h"
#include "tests/support/metric_values.h"

namespace carecast::publisher {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::SeriesValue;

namespace fs = std::filesystem;

constexpr char kAccount[] = "spokes/st-marys/accounts/x-main";
constexpr char kKvKey[] = "spokes.st-marys.accounts.x-main";
constexpr char kBucket[] = "carecast_channel_tokens";
constexpr char kDisconnected[] = "carecast_channel_account_disconnected";
constexpr char kHexKey[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr absl::Duration kAwait = absl::Seconds(10);

const std::map<std::string, std::string> kXLabels = {{"network", "x"}, {"spoke", "st-marys"}};

// A token endpoint on 127.0.0.1, port 0, speaking RFC 6749 §6. By default
// every call succeeds with "access-<n>" and "refresh-<n>"; answers can be
// queued, and calls held until released. Thread-safe.
class FakeTokenEndpoint {
 public:
  struct Call {
    std::string body;
    std::string authorization;
    std::string content_type;
  };

  FakeTokenEndpoint() {
    server_.Post("/oauth2/token", [this](const httplib::Request& req, httplib::Response& res) {
      std::unique_lock lock(mu_);
      calls_.push_back(
          {req.body, req.get_header_value("Authorization"), req.get_header_value("Content-Type")});
      const int n = static_cast<int>(calls_.size());
      changed_.notify_all();
      changed_.wait(lock, [this] { return !holding_; });
      if (!answers_.empty()) {
        res.status = answers_.front().first;
        res.set_content(answers_.front().second, "application/json");
        answers_.pop_front();
        return;
      }
      res.status = 200;
      res.set_content(json{{"token_type", "bearer"},
                           {"expires_in", 7200},
                           {"access_token", absl::StrCat("access-", n)},
                           {"refresh_token", absl::StrCat("refresh-", n)},
                           {"scope", "tweet.write offline.access"}}
                          .dump(),
                      "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~FakeTokenEndpoint() {
    Release();
    server_.stop();
    thread_.join();
  }

  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/oauth2/token"); }
  void Queue(int status, std::string body) {
    std::lock_guard lock(mu_);
    answers_.emplace_back(status, std::move(body));
  }
  void Hold() {
    std::lock_guard lock(mu_);
    holding_ = true;
  }
  void Release() {
    std::lock_guard lock(mu_);
    holding_ = false;
    changed_.notify_all();
  }
  // Waits until `n` calls have arrived; false after kAwait.
  bool AwaitCalls(size_t n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, absl::ToChronoMilliseconds(kAwait),
                             [&] { return calls_.size() >= n; });
  }
  std::vector<Call> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Call> calls_;
  std::deque<std::pair<int, std::string>> answers_;
  bool holding_ = false;
};

// A KeyValueStoreFactory whose buckets count their Get calls, so a test can
// wait until a replica has seen another's lease and polled again.
class CountingKvFactory final : public common::KeyValueStoreFactory {
 public:
  explicit CountingKvFactory(testing::InMemoryKeyValueStoreFactory& inner) : inner_(inner) {}

  absl::StatusOr<std::unique_ptr<common::KeyValueStore>> OpenBucket(
      const common::BucketSpec& spec) override {
    absl::StatusOr<std::unique_ptr<common::KeyValueStore>> bucket = inner_.OpenBucket(spec);
    if (!bucket.ok()) return bucket.status();
    return std::unique_ptr<common::KeyValueStore>(new Counting(*std::move(bucket), *this));
  }
  bool AwaitGets(int n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, absl::ToChronoMilliseconds(kAwait), [&] { return gets_ >= n; });
  }
  int gets() {
    std::lock_guard lock(mu_);
    return gets_;
  }

 private:
  class Counting final : public testing::ForwardingKeyValueStore {
   public:
    Counting(std::unique_ptr<common::KeyValueStore> inner, CountingKvFactory& owner)
        : ForwardingKeyValueStore(*inner), inner_(std::move(inner)), owner_(owner) {}
    absl::StatusOr<common::KvEntry> Get(std::string_view key) override {
      auto entry = inner_->Get(key);
      std::lock_guard lock(owner_.mu_);
      ++owner_.gets_;
      owner_.changed_.notify_all();
      return entry;
    }

   private:
    std::unique_ptr<common::KeyValueStore> inner_;
    CountingKvFactory& owner_;
  };

  testing::InMemoryKeyValueStoreFactory& inner_;
  std::mutex mu_;
  std::condition_variable changed_;
  int gets_ = 0;
};

class FileCredentialSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "file-credentials-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    secrets_ = root_ / "secrets";
    fs::create_directories(secrets_);
    key_file_ = (root_ / "sealing.key").string();
    std::ofstream(key_file_) << kHexKey << "\n";
  }
  void TearDown() override { fs::remove_all(root_); }

  // The token file of kAccount (X), with a refresh token and client credentials.
  json XToken(const std::string& access, const std::string& refresh) {
    json j = {{"network", "x"},
              {"account", kAccount},
              {"access_token", access},
              {"expires_at", "2027-01-15T10:00:00Z"},
              {"user_id", "1234"},
              {"client_id", "cid"},
              {"client_secret", "csecret"},
              {"token_url", endpoint_.url()}};
    if (!refresh.empty()) j["refresh_token"] = refresh;
    return j;
  }
  // Writes a file in place, moving its mtime on so the change shows even
  // within one timestamp tick.
  void WriteFile(const std::string& name, const std::string& content) {
    const fs::path path = secrets_ / name;
    const bool existed = fs::exists(path);
    const auto before = existed ? fs::last_write_time(path) : fs::file_time_type();
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    if (existed) fs::last_write_time(path, before + std::chrono::seconds(1));
  }
  void WriteToken(const json& token, const std::string& name = "x-main.json") {
    WriteFile(name, token.dump());
  }

  std::unique_ptr<FileCredentialSource> Source(
      prometheus::Registry& registry, const std::string& holder,
      common::KeyValueStoreFactory* kv = nullptr,
      const std::function<void(FileCredentialSourceOptions&)>& tweak = nullptr) {
    FileCredentialSourceOptions options;
    options.directory = secrets_.string();
    options.sealing_key_file = key_file_;
    options.holder = holder;
    options.lease_poll = absl::Milliseconds(10);
    options.rescan_interval = absl::ZeroDuration();  // every Get looks at the files
    if (tweak) tweak(options);
    auto source = FileCredentialSource::Create(options, kv != nullptr ? *kv : kv_, http_, registry,
                                               clock_, logger_);
    EXPECT_TRUE(source.ok()) << source.status();
    return source.ok() ? *std::move(source) : nullptr;
  }

  std::optional<double> Disconnected(const prometheus::Registry& registry) {
    return SeriesValue(registry, kDisconnected, kXLabels);
  }
  std::string StoredValue() {
    auto entry = kv_.Bucket(kBucket).Get(kKvKey);
    return entry.ok() ? entry->value : std::string();
  }
  // Every string in every log line, to check that no secret got there.
  std::string AllLogText() {
    std::string text;
    for (const auto& line : logger_.lines()) {
      absl::StrAppend(&text, line.message, "\n");
      for (const auto& [name, value] : line.fields) {
        if (const auto* s = std::get_if<std::string>(&value)) absl::StrAppend(&text, *s, "\n");
      }
    }
    return text;
  }

  fs::path root_;
  fs::path secrets_;
  std::string key_file_;
  FakeTokenEndpoint endpoint_;
  common::CurlHttpClient http_;
  testing::InMemoryKeyValueStoreFactory kv_;
  common::FakeClock clock_;
  common::CapturingLogger logger_;
  prometheus::Registry registry_;
};

TEST_F(FileCredentialSourceTest, GetReadsTheTokenFileWithItsFields) {
  json token = XToken("a0", "r0");
  token["retries"] = 3;  // not a string: not a field
  WriteToken(token);
  WriteFile("broken.json", "{not json");
  WriteFile(".hidden", XToken("hidden", "").dump());
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  // The series of every network and spoke with an account exists from the start.
  EXPECT_EQ(Disconnected(registry_), 0);

  absl::StatusOr<Credential> credential = source->Get(kAccount);
  ASSERT_TRUE(credential.ok()) << credential.status();
  EXPECT_EQ(credential->access_token, "a0");
  EXPECT_EQ(credential->expires_at, absl::FromUnixSeconds(1'800'000'000 + 2 * 3600));
  EXPECT_EQ(credential->Field("user_id"), "1234");
  EXPECT_EQ(credential->Field("refresh_token"), "r0");
  EXPECT_EQ(credential->Field("client_id"), "cid");
  EXPECT_EQ(credential->Field("network"), "x");
  EXPECT_EQ(credential->Field("access_token"), "");
  EXPECT_EQ(credential->Field("expires_at"), "");
  EXPECT_EQ(credential->Field("retries"), "");
  EXPECT_EQ(source->Get("spokes/st-marys/accounts/other").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(endpoint_.calls().empty());
}

TEST_F(FileCredentialSourceTest, ATokenFileUpdatedOnDiskIsPickedUp) {
  WriteToken(XToken("a0", "r0"));
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->Get(kAccount)->access_token, "a0");
  WriteToken(XToken("a1", "r1"));  // same name, same length, rewritten in place
  EXPECT_EQ(source->Get(kAccount)->access_token, "a1");
  fs::remove(secrets_ / "x-main.json");
  EXPECT_EQ(source->Get(kAccount).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FileCredentialSourceTest, GetLooksAtTheDirectoryAtMostOncePerRescanInterval) {
  WriteToken(XToken("a0", "r0"));
  auto source = Source(registry_, "replica-a", nullptr,
                       [](FileCredentialSourceOptions& o) { o.rescan_interval = absl::Hours(1); });
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->Get(kAccount)->access_token, "a0");
  WriteToken(XToken("a1", "r1"));
  EXPECT_EQ(source->Get(kAccount)->access_token, "a0");  // within the interval: no scan
  // An account not seen yet is looked for at once (a new file must not read as
  // missing), and that scan picks up the rewritten file too.
  json other = XToken("b0", "s0");
  other["account"] = "spokes/st-marys/accounts/other";
  WriteToken(other, "other.json");
  EXPECT_EQ(source->Get("spokes/st-marys/accounts/other")->access_token, "b0");
  EXPECT_EQ(source->Get(kAccount)->access_token, "a1");
}

// Kubernetes mounts a Secret as key links into "..data", a link to a
// timestamped directory that it swaps atomically on update.
TEST_F(FileCredentialSourceTest, AKubernetesSecretSwapIsPickedUp) {
  fs::create_directories(secrets_ / "..2027_01_15_a");
  std::ofstream(secrets_ / "..2027_01_15_a" / "x-main.json") << XToken("a0", "r0").dump();
  fs::create_directory_symlink("..2027_01_15_a", secrets_ / "..data");
  fs::create_symlink("..data/x-main.json", secrets_ / "x-main.json");
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->Get(kAccount)->access_token, "a0");

  fs::create_directories(secrets_ / "..2027_01_15_b");
  std::ofstream(secrets_ / "..2027_01_15_b" / "x-main.json") << XToken("a9", "r9").dump();
  fs::create_directory_symlink("..2027_01_15_b", secrets_ / "..data_tmp");
  fs::rename(secrets_ / "..data_tmp", secrets_ / "..data");
  EXPECT_EQ(source->Get(kAccount)->access_token, "a9");
}

TEST_F(FileCredentialSourceTest, EightThreadsRefreshingTheSameTokenCallTheEndpointOnce) {
  WriteToken(XToken("a0", "r0"));
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  endpoint_.Hold();  // the first call stays in flight while the others pile up
  std::vector<absl::StatusOr<Credential>> results(8, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = source->Refresh(kAccount, "a0"); });
  }
  ASSERT_TRUE(endpoint_.AwaitCalls(1));
  endpoint_.Release();
  for (std::thread& t : threads) t.join();

  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->access_token, "access-1");
    EXPECT_EQ(result->Field("refresh_token"), "refresh-1");
    EXPECT_EQ(result->Field("user_id"), "1234");
    EXPECT_EQ(result->expires_at, clock_.Now() + absl::Seconds(7200));
  }
  std::vector<FakeTokenEndpoint::Call> calls = endpoint_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].body, "grant_type=refresh_token&refresh_token=r0&client_id=cid");
  EXPECT_EQ(calls[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(calls[0].authorization, "Basic " + absl::Base64Escape("cid:csecret"));
  EXPECT_EQ(source->Get(kAccount)->access_token, "access-1");
}

TEST_F(FileCredentialSourceTest, TwoReplicasOnOneStoreCallTheEndpointOnce) {
  WriteToken(XToken("a0", "r0"));
  CountingKvFactory kv_a(kv_);
  CountingKvFactory kv_b(kv_);
  prometheus::Registry registry_b;
  auto a = Source(registry_, "replica-a", &kv_a);
  auto b = Source(registry_b, "replica-b", &kv_b);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);

  endpoint_.Hold();
  absl::StatusOr<Credential> from_a = absl::UnknownError("not run");
  absl::StatusOr<Credential> from_b = absl::UnknownError("not run");
  std::thread ta([&] { from_a = a->Refresh(kAccount, "a0"); });
  ASSERT_TRUE(endpoint_.AwaitCalls(1));  // A holds the lease and is at the endpoint
  std::thread tb([&] { from_b = b->Refresh(kAccount, "a0"); });
  // B found A's lease and has read the record again at least twice since.
  ASSERT_TRUE(kv_b.AwaitGets(3));
  endpoint_.Release();
  ta.join();
  tb.join();

  ASSERT_TRUE(from_a.ok()) << from_a.status();
  ASSERT_TRUE(from_b.ok()) << from_b.status();
  EXPECT_EQ(from_a->access_token, "access-1");
  EXPECT_EQ(from_b->access_token, "access-1");
  EXPECT_EQ(endpoint_.calls().size(), 1u);
  // B, restarted or not, now reads the rotated token from the store.
  EXPECT_EQ(b->Get(kAccount)->access_token, "access-1");
}

TEST_F(FileCredentialSourceTest, ALiveLeaseOfAStalledReplicaIsWaitedForThenTakenOver) {
  WriteToken(XToken("a0", "r0"));
  // A replica took the lease and stopped.
  absl::StatusOr<TokenSealer> sealer = TokenSealer::FromKeyFile(key_file_);
  ASSERT_TRUE(sealer.ok());
  auto stalled = Source(registry_, "replica-a");
  ASSERT_NE(stalled, nullptr);
  prometheus::Registry registry_b;
  auto b = Source(registry_b, "replica-b", nullptr,
                  [](FileCredentialSourceOptions& o) { o.lease_wait = absl::Milliseconds(50); });
  ASSERT_NE(b, nullptr);
  endpoint_.Queue(503, R"({"error":"temporarily_unavailable"})");
  ASSERT_FALSE(stalled->Refresh(kAccount, "a0").ok());  // leaves a record, lease released
  auto entry = kv_.Bucket(kBucket).Get(kKvKey);
  ASSERT_TRUE(entry.ok());
  json record = json::parse(*sealer->Open(entry->value, kKvKey));
  record["refreshing_by"] = "replica-a";
  record["lease_until"] =
      absl::FormatTime(absl::RFC3339_full, clock_.Now() + absl::Seconds(30), absl::UTCTimeZone());
  ASSERT_TRUE(kv_.Bucket(kBucket).Put(kKvKey, *sealer->Seal(record.dump(), kKvKey)).ok());

  absl::StatusOr<Credential> waited = b->Refresh(kAccount, "a0");
  EXPECT_EQ(waited.status().code(), absl::StatusCode::kUnavailable) << waited.status();
  EXPECT_EQ(endpoint_.calls().size(), 1u);
  EXPECT_FALSE(Disconnected(registry_b).value_or(0) > 0);

  clock_.Advance(absl::Seconds(31));  // the lease has run out
  absl::StatusOr<Credential> taken = b->Refresh(kAccount, "a0");
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(taken->access_token, "access-2");
}

TEST_F(FileCredentialSourceTest, ARotatedRefreshTokenIsStoredAndUsedNext) {
  WriteToken(XToken("a0", "r0"));
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  ASSERT_EQ(source->Refresh(kAccount, "a0")->access_token, "access-1");
  absl::StatusOr<Credential> second = source->Refresh(kAccount, "access-1");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->access_token, "access-2");
  std::vector<FakeTokenEndpoint::Call> calls = endpoint_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_THAT(calls[0].body, HasSubstr("refresh_token=r0&"));
  EXPECT_THAT(calls[1].body, HasSubstr("refresh_token=refresh-1&"));
  // A refresh with a token that is no longer current returns the current one.
  EXPECT_EQ(source->Refresh(kAccount, "access-1")->access_token, "access-2");
  EXPECT_EQ(endpoint_.calls().size(), 2u);

  // A replica started later (the file still says a0/r0) reads the store.
  prometheus::Registry registry_b;
  auto restarted = Source(registry_b, "replica-b");
  ASSERT_NE(restarted, nullptr);
  absl::StatusOr<Credential> got = restarted->Get(kAccount);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->access_token, "access-2");
  EXPECT_EQ(got->Field("refresh_token"), "refresh-2");
  EXPECT_EQ(got->Field("user_id"), "1234");
}

TEST_F(FileCredentialSourceTest, AnAnswerWithoutARefreshTokenKeepsTheStoredOne) {
  WriteToken(XToken("a0", "r0"));
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  endpoint_.Queue(200, R"({"access_token":"n1","token_type":"bearer","expires_in":3600})");
  endpoint_.Queue(200, R"({"access_token":"n2","refresh_token":"","expires_in":"60"})");
  absl::StatusOr<Credential> first = source->Refresh(kAccount, "a0");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->access_token, "n1");
  EXPECT_EQ(first->Field("refresh_token"), "r0");
  EXPECT_EQ(first->expires_at, clock_.Now() + absl::Hours(1));
  absl::StatusOr<Credential> second = source->Refresh(kAccount, "n1");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->access_token, "n2");
  EXPECT_EQ(second->Field("refresh_token"), "r0");
  EXPECT_EQ(second->expires_at, clock_.Now() + absl::Seconds(60));
  ASSERT_TRUE(source->Refresh(kAccount, "n2").ok());
  std::vector<FakeTokenEndpoint::Call> calls = endpoint_.calls();
  ASSERT_EQ(calls.size(), 3u);
  for (const auto& call : calls) EXPECT_THAT(call.body, HasSubstr("refresh_token=r0&"));
}

TEST_F(FileCredentialSourceTest, InvalidGrantDisconnectsTheAccountUntilANewTokenFile) {
  WriteToken(XToken("a0", "r0"));
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  endpoint_.Queue(
      400,
      R"({"error":"invalid_grant","error_description":"Value passed for the token was invalid."})");
  absl::StatusOr<Credential> refused = source->Refresh(kAccount, "a0");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
  const std::string message(refused.status().message());
  EXPECT_THAT(message, HasSubstr(absl::StrCat("account ", kAccount, " must be reconnected")));
  EXPECT_THAT(message, HasSubstr("invalid_grant"));
  for (const char* secret : {"a0", "r0", "csecret"}) {
    EXPECT_THAT(message, Not(HasSubstr(secret)));
    EXPECT_THAT(AllLogText(), Not(HasSubstr(secret)));
  }
  EXPECT_EQ(Disconnected(registry_), 1);
  int error_lines = 0;
  for (const auto& line : logger_.lines()) {
    if (line.level != common::LogLevel::kError) continue;
    ++error_lines;
    EXPECT_THAT(line.fields,
                ::testing::Contains(common::LogField{"account", std::string(kAccount)}));
  }
  EXPECT_EQ(error_lines, 1);

  // Every replica stops trying the dead refresh token, and a restarted one
  // exports the disconnection as soon as it reads the account.
  EXPECT_EQ(source->Refresh(kAccount, "a0").status().code(), absl::StatusCode::kUnauthenticated);
  prometheus::Registry registry_b;
  auto b = Source(registry_b, "replica-b");
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->Get(kAccount).ok());
  EXPECT_EQ(Disconnected(registry_b), 1);
  EXPECT_EQ(b->Refresh(kAccount, "a0").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(endpoint_.calls().size(), 1u);

  // An operator reconnects the account: a new token file.
  WriteToken(XToken("a7", "r7"));
  absl::StatusOr<Credential> reconnected = source->Get(kAccount);
  ASSERT_TRUE(reconnected.ok());
  EXPECT_EQ(reconnected->access_token, "a7");
  EXPECT_EQ(Disconnected(registry_), 0);
  EXPECT_EQ(b->Get(kAccount)->access_token, "a7");
  EXPECT_EQ(Disconnected(registry_b), 0);
  ASSERT_EQ(source->Refresh(kAccount, "a7")->access_token, "access-2");
  EXPECT_THAT(endpoint_.calls().back().body, HasSubstr("refresh_token=r7&"));
}

TEST_F(FileCredentialSourceTest, NoRefreshTokenDisconnectsWithoutCallingTheEndpoint) {
  json token = XToken("a0", "");
  token["network"] = "facebook";
  token.erase("token_url");
  WriteToken(token);
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  absl::StatusOr<Credential> refused = source->Refresh(kAccount, "a0");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr(absl::StrCat("account ", kAccount, " must be reconnected")));
  EXPECT_EQ(SeriesValue(registry_, kDisconnected, {{"network", "facebook"}, {"spoke", "st-marys"}}),
            1);
  EXPECT_TRUE(endpoint_.calls().empty());
  // The operator already put a new token there: that is the answer.
  token["access_token"] = "a1";
  WriteToken(token);
  EXPECT_EQ(source->Refresh(kAccount, "a0")->access_token, "a1");
  EXPECT_EQ(SeriesValue(registry_, kDisconnected, {{"network", "facebook"}, {"spoke", "st-marys"}}),
            0);
}

// A file without app_password or secret keeps the fingerprint it had before
// those counted (SHA-256 of access token NUL refresh token), so records
// stored by earlier publishers still descend from it.
TEST_F(FileCredentialSourceTest, AnXFileKeepsItsFingerprintAndItsStoredRecord) {
  // sha256("a0\0r0"), computed the old way.
  constexpr char kOldFingerprint[] =
      "09983a0738962d4dc9406dfb670618a778b06353f72e61f2151175c198918886";
  WriteToken(XToken("a0", "r0"));
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  absl::StatusOr<TokenSealer> sealer = TokenSealer::FromKeyFile(key_file_);
  ASSERT_TRUE(sealer.ok());
  // A record written before the change, descending from this file.
  json old_record = {{"access_token", "stored-access"},
                     {"refresh_token", "stored-refresh"},
                     {"expires_at", nullptr},
                     {"refreshed_at", nullptr},
                     {"refreshing_by", ""},
                     {"lease_until", nullptr},
                     {"file_fingerprint", kOldFingerprint},
                     {"disconnected", false}};
  absl::StatusOr<std::string> sealed = sealer->Seal(old_record.dump(), kKvKey);
  ASSERT_TRUE(sealed.ok());
  ASSERT_TRUE(kv_.Bucket(kBucket).Put(kKvKey, *sealed).ok());
  absl::StatusOr<Credential> credential = source->Get(kAccount);
  ASSERT_TRUE(credential.ok()) << credential.status();
  EXPECT_EQ(credential->access_token, "stored-access");
  EXPECT_EQ(credential->Field("refresh_token"), "stored-refresh");

  // A refresh writes the same fingerprint.
  ASSERT_TRUE(kv_.Bucket(kBucket).Delete(kKvKey).ok());
  ASSERT_TRUE(source->Refresh(kAccount, "a0").ok());
  absl::StatusOr<std::string> opened = sealer->Open(StoredValue(), kKvKey);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(json::parse(*opened)["file_fingerprint"], kOldFingerprint);
}

// WordPress (and Bluesky) sign in with app_password; the file has no access token.
TEST_F(FileCredentialSourceTest, ANewAppPasswordIsHandedOutAndEndsTheDisconnection) {
  constexpr char kWordPress[] = "spokes/st-marys/accounts/wp-main";
  const std::map<std::string, std::string> labels = {{"network", "wordpress"},
                                                     {"spoke", "st-marys"}};
  json token = {{"network", "wordpress"},
                {"account", kWordPress},
                {"username", "editor"},
                {"app_password", "app-password-0"}};
  WriteToken(token, "wp-main.json");
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(SeriesValue(registry_, kDisconnected, labels), 0);
  EXPECT_EQ(source->Get(kWordPress)->Field("app_password"), "app-password-0");

  // The file is unchanged: the refused password is the file's.
  absl::StatusOr<Credential> refused = source->Refresh(kWordPress, "");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr(absl::StrCat("account ", kWordPress, " must be reconnected")));
  EXPECT_THAT(std::string(refused.status().message()), Not(HasSubstr("app-password-0")));
  EXPECT_EQ(SeriesValue(registry_, kDisconnected, labels), 1);
  EXPECT_EQ(source->Refresh(kWordPress, "").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(SeriesValue(registry_, kDisconnected, labels), 1);

  // The operator puts a new application password in the file: no restart.
  token["app_password"] = "app-password-1";
  WriteToken(token, "wp-main.json");
  absl::StatusOr<Credential> current = source->Get(kWordPress);
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->Field("app_password"), "app-password-1");
  EXPECT_EQ(SeriesValue(registry_, kDisconnected, labels), 0);
  absl::StatusOr<Credential> renewed = source->Refresh(kWordPress, "");
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->Field("username"), "editor");
  EXPECT_EQ(renewed->Field("app_password"), "app-password-1");
  EXPECT_EQ(SeriesValue(registry_, kDisconnected, labels), 0);
  // Another caller refused with the old password at the same time gets it too.
  EXPECT_EQ(source->Refresh(kWordPress, "")->Field("app_password"), "app-password-1");
  EXPECT_EQ(SeriesValue(registry_, kDisconnected, labels), 0);

  // Later, the new password is refused as well: disconnected again.
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(source->Refresh(kWordPress, "").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(SeriesValue(registry_, kDisconnected, labels), 1);
  EXPECT_TRUE(endpoint_.calls().empty());
  EXPECT_THAT(AllLogText(), Not(HasSubstr("app-password")));
}

TEST_F(FileCredentialSourceTest, AnAppPasswordReplacedBeforeTheRefusalIsTheAnswer) {
  constexpr char kBluesky[] = "spokes/st-marys/accounts/bsky-main";
  json token = {{"network", "bluesky"},
                {"account", kBluesky},
                {"handle", "stmarys.bsky.social"},
                {"app_password", "app-password-0"}};
  WriteToken(token, "bsky-main.json");
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->Get(kBluesky)->Field("app_password"), "app-password-0");
  token["app_password"] = "app-password-1";
  WriteToken(token, "bsky-main.json");
  absl::StatusOr<Credential> renewed = source->Refresh(kBluesky, "");
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->Field("app_password"), "app-password-1");
  EXPECT_EQ(SeriesValue(registry_, kDisconnected, {{"network", "bluesky"}, {"spoke", "st-marys"}}),
            0);
}

TEST_F(FileCredentialSourceTest, ANewWebhookSecretEndsTheDisconnection) {
  constexpr char kWebhook[] = "spokes/st-marys/accounts/hook";
  const std::map<std::string, std::string> labels = {{"network", "webhook"}, {"spoke", "st-marys"}};
  json token = {{"network", "webhook"}, {"account", kWebhook}, {"secret", "hmac-secret-0"}};
  WriteToken(token, "hook.json");
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->Refresh(kWebhook, "").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(SeriesValue(registry_, kDisconnected, labels), 1);
  token["secret"] = "hmac-secret-1";
  WriteToken(token, "hook.json");
  EXPECT_EQ(source->Get(kWebhook)->Field("secret"), "hmac-secret-1");
  EXPECT_EQ(SeriesValue(registry_, kDisconnected, labels), 0);
}

TEST_F(FileCredentialSourceTest, TransientFailuresLeaveTheAccountConnected) {
  WriteToken(XToken("a0", "r0"));
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  endpoint_.Queue(503, "upstream down");
  endpoint_.Queue(429, R"({"error":"rate_limited"})");
  endpoint_.Queue(200, "not json");
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Credential> failed = source->Refresh(kAccount, "a0");
    EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
    EXPECT_THAT(std::string(failed.status().message()), Not(HasSubstr("r0")));
    EXPECT_EQ(Disconnected(registry_).value_or(0), 0);
  }
  EXPECT_EQ(endpoint_.calls().size(), 3u);  // each released its lease at once

  // A token endpoint that cannot be reached at all.
  json unreachable = XToken("a0", "r0");
  unreachable["token_url"] = "http://127.0.0.1:1/oauth2/token";
  WriteToken(unreachable);
  EXPECT_EQ(source->Refresh(kAccount, "a0").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Disconnected(registry_).value_or(0), 0);

  WriteToken(XToken("a0", "r0"));
  absl::StatusOr<Credential> recovered = source->Refresh(kAccount, "a0");
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(recovered->access_token, "access-4");
  EXPECT_THAT(AllLogText(), Not(HasSubstr("r0")));
}

TEST_F(FileCredentialSourceTest, TheStoredValueIsSealed) {
  // Long tokens: a short one could turn up in random base64 by chance.
  WriteToken(XToken("file-access-token-0", "file-refresh-token-0"));
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(source->Refresh(kAccount, "file-access-token-0").ok());
  const std::string stored = StoredValue();
  ASSERT_FALSE(stored.empty());
  for (const char* secret :
       {"access-1", "refresh-1", "file-refresh-token-0", "file-access-token-0"}) {
    EXPECT_THAT(stored, Not(HasSubstr(secret)));
  }
  absl::StatusOr<TokenSealer> sealer = TokenSealer::FromKeyFile(key_file_);
  ASSERT_TRUE(sealer.ok());
  absl::StatusOr<std::string> opened = sealer->Open(stored, kKvKey);
  ASSERT_TRUE(opened.ok()) << opened.status();
  json record = json::parse(*opened);
  EXPECT_EQ(record["access_token"], "access-1");
  EXPECT_EQ(record["refresh_token"], "refresh-1");
  EXPECT_EQ(record["refreshing_by"], "");
  EXPECT_TRUE(record["lease_until"].is_null());
  EXPECT_EQ(record["refreshed_at"],
            absl::FormatTime(absl::RFC3339_full, clock_.Now(), absl::UTCTimeZone()));

  // A replica with another sealing key cannot read it: it falls back to the file.
  std::ofstream(key_file_, std::ios::trunc) << std::string(64, 'e');
  prometheus::Registry registry_b;
  auto other_key = Source(registry_b, "replica-b");
  ASSERT_NE(other_key, nullptr);
  EXPECT_EQ(other_key->Get(kAccount)->access_token, "file-access-token-0");
}

TEST_F(FileCredentialSourceTest, LinkedInSendsTheClientSecretInTheBody) {
  json token = XToken("a0", "r 0/+");
  token["network"] = "linkedin";
  WriteToken(token);
  auto source = Source(registry_, "replica-a");
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(source->Refresh(kAccount, "a0").ok());
  std::vector<FakeTokenEndpoint::Call> calls = endpoint_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].body,
            "grant_type=refresh_token&refresh_token=r%200%2F%2B&client_id=cid&client_secret="
            "csecret");
  EXPECT_EQ(calls[0].authorization, "");
}

TEST_F(FileCredentialSourceTest, CreateRejectsBadOptions) {
  FileCredentialSourceOptions options;
  options.directory = secrets_.string();
  EXPECT_EQ(
      FileCredentialSource::Create(options, kv_, http_, registry_, clock_, logger_).status().code(),
      absl::StatusCode::kInvalidArgument);  // no sealing key file
  options.sealing_key_file = (root_ / "missing.key").string();
  EXPECT_EQ(
      FileCredentialSource::Create(options, kv_, http_, registry_, clock_, logger_).status().code(),
      absl::StatusCode::kNotFound);
  options.sealing_key_file = key_file_;
  options.lease = options.refresh_timeout;
  EXPECT_EQ(
      FileCredentialSource::Create(options, kv_, http_, registry_, clock_, logger_).status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace carecast::publisher
