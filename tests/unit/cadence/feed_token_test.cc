// Feed URL tokens: minted and verified, refused when tampered with or used for
// another feed, and still accepted after a key rotation while the old key stays
// in the ring.
#include "services/common/cadence/feed_token.h"

#include <cctype>

#include <gtest/gtest.h>

namespace carecast::common::cadence {
namespace {

const FeedTokenKey kOld{"k2026", std::string(32, 'o')};
const FeedTokenKey kNew{"k2027", std::string(48, 'n')};

FeedTokens Ring(const std::vector<FeedTokenKey>& keys, std::string_view current) {
  absl::StatusOr<FeedTokens> tokens = FeedTokens::Create(keys, current);
  EXPECT_TRUE(tokens.ok()) << tokens.status();
  return *std::move(tokens);
}

std::string Mint(const FeedTokens& tokens, FeedKind kind, std::string_view resource,
                 uint64_t generation = 0) {
  absl::StatusOr<std::string> token = tokens.Mint(kind, resource, generation);
  EXPECT_TRUE(token.ok()) << token.status();
  return token.ok() ? *token : "";
}

void ExpectInvalid(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(status.message(), "invalid token");
}

TEST(FeedTokenTest, AMintedTokenVerifiesAndIsUrlSafe) {
  FeedTokens tokens = Ring({kOld}, "k2026");
  const std::string token = Mint(tokens, FeedKind::kSpoke, "spokes/north");
  EXPECT_EQ(token.rfind("k2026.", 0), 0u);
  EXPECT_EQ(token.size(), 6u + 43u);  // key id, dot, unpadded base64url of 32 bytes
  for (char c : token) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')
        << token;
  }
  EXPECT_TRUE(tokens.Verify(token, FeedKind::kSpoke, "spokes/north").ok());
  EXPECT_EQ(Mint(tokens, FeedKind::kSpoke, "spokes/north"), token);  // deterministic
}

TEST(FeedTokenTest, ATamperedTokenIsInvalid) {
  FeedTokens tokens = Ring({kOld}, "k2026");
  const std::string token = Mint(tokens, FeedKind::kSpoke, "spokes/north");
  for (size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    ExpectInvalid(tokens.Verify(bad, FeedKind::kSpoke, "spokes/north"));
  }
  ExpectInvalid(tokens.Verify(token.substr(0, token.size() - 1), FeedKind::kSpoke, "spokes/north"));
  ExpectInvalid(tokens.Verify(token + "A", FeedKind::kSpoke, "spokes/north"));
  ExpectInvalid(tokens.Verify(token + "=", FeedKind::kSpoke, "spokes/north"));
  ExpectInvalid(tokens.Verify("", FeedKind::kSpoke, "spokes/north"));
  ExpectInvalid(tokens.Verify("k2026.", FeedKind::kSpoke, "spokes/north"));
  ExpectInvalid(tokens.Verify(token.substr(6), FeedKind::kSpoke, "spokes/north"));
}

TEST(FeedTokenTest, ATokenOpensOnlyItsOwnFeed) {
  FeedTokens tokens = Ring({kOld}, "k2026");
  const std::string token = Mint(tokens, FeedKind::kSpoke, "spokes/north", 4);
  EXPECT_TRUE(tokens.Verify(token, FeedKind::kSpoke, "spokes/north", 4).ok());
  ExpectInvalid(tokens.Verify(token, FeedKind::kSpoke, "spokes/south", 4));
  ExpectInvalid(tokens.Verify(token, FeedKind::kSpoke, "spokes/north/", 4));
  ExpectInvalid(tokens.Verify(token, FeedKind::kCampaign, "spokes/north", 4));
  ExpectInvalid(tokens.Verify(token, FeedKind::kSpoke, "", 4));
  // Bumping the feed's generation revokes its old URL.
  ExpectInvalid(tokens.Verify(token, FeedKind::kSpoke, "spokes/north", 5));
  // A colon in the resource name cannot make two feeds sign the same text.
  const std::string colon = Mint(tokens, FeedKind::kCampaign, "campaigns/a:1", 2);
  ExpectInvalid(tokens.Verify(colon, FeedKind::kCampaign, "campaigns/a", 1));
}

TEST(FeedTokenTest, AnotherKeyIdOrAnotherRingsKeyIsInvalid) {
  FeedTokens old_ring = Ring({kOld}, "k2026");
  FeedTokens other = Ring({{"k2026", std::string(32, 'x')}}, "k2026");
  const std::string token = Mint(old_ring, FeedKind::kSpoke, "spokes/north");
  ExpectInvalid(other.Verify(token, FeedKind::kSpoke, "spokes/north"));
  // Relabelling the token with another key id in the ring does not help.
  FeedTokens both = Ring({kOld, kNew}, "k2027");
  ExpectInvalid(both.Verify("k2027" + token.substr(5), FeedKind::kSpoke, "spokes/north"));
  ExpectInvalid(both.Verify("nokey" + token.substr(5), FeedKind::kSpoke, "spokes/north"));
}

TEST(FeedTokenTest, RotationKeepsOldTokensWhileTheOldKeyStaysInTheRing) {
  FeedTokens before = Ring({kOld}, "k2026");
  const std::string old_token = Mint(before, FeedKind::kCampaign, "campaigns/flu");
  FeedTokens rotated = Ring({kOld, kNew}, "k2027");
  const std::string new_token = Mint(rotated, FeedKind::kCampaign, "campaigns/flu");
  EXPECT_EQ(new_token.rfind("k2027.", 0), 0u);
  EXPECT_TRUE(rotated.Verify(old_token, FeedKind::kCampaign, "campaigns/flu").ok());
  EXPECT_TRUE(rotated.Verify(new_token, FeedKind::kCampaign, "campaigns/flu").ok());
  FeedTokens retired = Ring({kNew}, "k2027");
  ExpectInvalid(retired.Verify(old_token, FeedKind::kCampaign, "campaigns/flu"));
  EXPECT_TRUE(retired.Verify(new_token, FeedKind::kCampaign, "campaigns/flu").ok());
}

TEST(FeedTokenTest, BadKeyRingsAreRefusedWithoutShowingSecrets) {
  const auto refused = [](const std::vector<FeedTokenKey>& keys, std::string_view current) {
    absl::StatusOr<FeedTokens> tokens = FeedTokens::Create(keys, current);
    EXPECT_EQ(tokens.status().code(), absl::StatusCode::kInvalidArgument) << current;
    return std::string(tokens.status().message());
  };
  refused({}, "k");
  EXPECT_EQ(refused({{"k1", "short-secret"}}, "k1").find("short-secret"), std::string::npos);
  refused({{"has.dot", std::string(32, 's')}}, "has.dot");
  refused({{"", std::string(32, 's')}}, "");
  refused({{std::string(33, 'k'), std::string(32, 's')}}, std::string(33, 'k'));
  refused({kOld, kOld}, "k2026");
  refused({kOld}, "k2027");
  FeedTokens tokens = Ring({kOld}, "k2026");
  EXPECT_EQ(tokens.Mint(FeedKind::kSpoke, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FeedKindName(FeedKind::kSpoke), "spoke");
  EXPECT_EQ(FeedKindName(FeedKind::kCampaign), "campaign");
}

}  // namespace
}  // namespace carecast::common::cadence
