// TokenSealer: AES-256-GCM round trips, refuses anything sealed under another
// key or context or altered, and reads its key file in both documented forms.
#include "services/publisher/channels/token_sealer.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace carecast::publisher {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace fs = std::filesystem;

constexpr char kHexKey[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

class TokenSealerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "token-sealer-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return (dir_ / name).string();
  }
  static TokenSealer Sealer(const std::string& key) {
    absl::StatusOr<TokenSealer> sealer = TokenSealer::FromKey(key);
    EXPECT_TRUE(sealer.ok()) << sealer.status();
    return *std::move(sealer);
  }

  fs::path dir_;
};

TEST_F(TokenSealerTest, SealsAndOpens) {
  TokenSealer sealer = Sealer(std::string(32, 'k'));
  const std::string secret = R"({"access_token":"tok-123","refresh_token":"ref-456"})";
  absl::StatusOr<std::string> sealed = sealer.Seal(secret, "spokes.a.accounts.b");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_THAT(*sealed, StartsWith("cs1."));
  EXPECT_THAT(*sealed, Not(HasSubstr("tok-123")));
  EXPECT_THAT(*sealed, Not(HasSubstr("ref-456")));
  absl::StatusOr<std::string> opened = sealer.Open(*sealed, "spokes.a.accounts.b");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, secret);
  // A fresh nonce each time: equal plaintexts do not show as equal values.
  EXPECT_NE(*sealer.Seal(secret, "spokes.a.accounts.b"), *sealed);
  // The empty plaintext is a plaintext too.
  EXPECT_EQ(*sealer.Open(*sealer.Seal("", "c"), "c"), "");
}

TEST_F(TokenSealerTest, RefusesAnotherKeyAnotherContextOrAnyAlteration) {
  TokenSealer sealer = Sealer(std::string(32, 'k'));
  const std::string sealed = *sealer.Seal("secret", "spokes.a.accounts.b");
  EXPECT_EQ(Sealer(std::string(32, 'j')).Open(sealed, "spokes.a.accounts.b").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(sealer.Open(sealed, "spokes.a.accounts.c").status().code(),
            absl::StatusCode::kDataLoss);
  // Any byte of nonce, ciphertext or tag.
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(sealed.substr(4), &raw));
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string altered = raw;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    std::string encoded;
    absl::WebSafeBase64Escape(altered, &encoded);
    EXPECT_EQ(sealer.Open("cs1." + encoded, "spokes.a.accounts.b").status().code(),
              absl::StatusCode::kDataLoss)
        << "byte " << i;
  }
  EXPECT_EQ(sealer.Open("cs1.", "x").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(sealer.Open("plain text", "x").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(sealer.Open(sealed.substr(0, sealed.size() - 2), "spokes.a.accounts.b").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(TokenSealerTest, ReadsHexAndRawKeyFiles) {
  absl::StatusOr<TokenSealer> hex =
      TokenSealer::FromKeyFile(Write("hex", std::string(kHexKey) + "\n"));
  ASSERT_TRUE(hex.ok()) << hex.status();
  // Raw bytes that happen to start and end with whitespace are still 32 bytes.
  std::string raw = absl::HexStringToBytes(kHexKey);
  raw.front() = ' ';
  raw.back() = '\n';
  absl::StatusOr<TokenSealer> from_raw = TokenSealer::FromKeyFile(Write("raw", raw));
  ASSERT_TRUE(from_raw.ok()) << from_raw.status();
  // Both forms of the same key open each other's values.
  std::string same = absl::HexStringToBytes(kHexKey);
  absl::StatusOr<TokenSealer> raw_same = TokenSealer::FromKeyFile(Write("raw-same", same));
  ASSERT_TRUE(raw_same.ok());
  EXPECT_EQ(*raw_same->Open(*hex->Seal("v", "c"), "c"), "v");
}

TEST_F(TokenSealerTest, RejectsBadKeyFilesWithoutQuotingThem) {
  const std::string short_hex = std::string(kHexKey).substr(0, 62);
  for (const std::string& content :
       {short_hex, std::string(kHexKey) + "00", std::string(31, 'x'), std::string(33, 'x'),
        std::string(64, 'g'), std::string(2000, 'a')}) {
    absl::StatusOr<TokenSealer> sealer = TokenSealer::FromKeyFile(Write("bad", content));
    EXPECT_EQ(sealer.status().code(), absl::StatusCode::kInvalidArgument) << content.size();
    EXPECT_THAT(std::string(sealer.status().message()), Not(HasSubstr(content.substr(0, 20))));
  }
  EXPECT_EQ(TokenSealer::FromKeyFile((dir_ / "missing").string()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(TokenSealer::FromKey("short").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace carecast::publisher
