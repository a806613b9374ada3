#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "services/common/base/clock.h"
#include "services/common/rpc/jws_crypto.h"
#include "services/common/rpc/jwt_authenticator.h"
#include "services/common/rpc/jwt_signer.h"

namespace carecast::common {
namespace {

const JwsPrivateKey& EcKey() {
  static const JwsPrivateKey key = *JwsPrivateKey::Generate(JwsAlgorithm::kEs256);
  return key;
}
const JwsPrivateKey& RsaKey() {
  static const JwsPrivateKey key = *JwsPrivateKey::Generate(JwsAlgorithm::kRs256);
  return key;
}

class JwtTest : public ::testing::Test {
 protected:
  std::unique_ptr<JwtAuthenticator> Verifier(const JwsPrivateKey& key) {
    auto verifier = JwtAuthenticator::FromPem(key.PublicKeyPem(), JwtOptions{}, clock_);
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return std::move(verifier).value();
  }
  JwtClaims Claims() {
    JwtClaims claims;
    claims.subject = "staff-42";
    claims.roles = {Role::kStrategist, Role::kPublisher};
    claims.spokes = {"spoke-a", "spoke-b"};
    claims.issued_at = clock_.Now();
    return claims;
  }
  std::string Sign(const JwsPrivateKey& key, const JwtClaims& claims) {
    absl::StatusOr<std::string> token = JwtSigner(key).Sign(claims);
    EXPECT_TRUE(token.ok()) << token.status();
    return *token;
  }
  std::string SignRaw(const JwsPrivateKey& key, const std::string& header,
                      const std::string& payload) {
    absl::StatusOr<std::string> token = JwtSigner(key).SignRaw(header, payload);
    EXPECT_TRUE(token.ok()) << token.status();
    return *token;
  }
  // Valid claims as JSON with `extra` members appended.
  std::string Payload(const std::string& extra = "", bool with_exp = true,
                      const std::string& roles_json = R"(["publisher"])") {
    const int64_t now = absl::ToUnixSeconds(clock_.Now());
    std::string out = absl::StrCat(R"({"iss":"carecast","aud":"carecast","sub":"staff-42")",
                                   R"(,"roles":)", roles_json);
    if (with_exp) absl::StrAppend(&out, ",\"exp\":", now + 3600);
    absl::StrAppend(&out, extra, "}");
    return out;
  }
  void ExpectRejected(const JwtAuthenticator& verifier, const std::string& token,
                      const std::string& reason_part) {
    absl::StatusOr<Principal> p = verifier.Authenticate(token);
    ASSERT_FALSE(p.ok()) << "accepted: " << reason_part;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_NE(std::string(p.status().message()).find(reason_part), std::string::npos) << p.status();
    // The reason never echoes the token.
    if (token.size() > 8) {
      EXPECT_EQ(std::string(p.status().message()).find(token), std::string::npos);
    }
  }

  FakeClock clock_;
};

TEST_F(JwtTest, ValidEs256) {
  auto verifier = Verifier(EcKey());
  absl::StatusOr<Principal> p = verifier->Authenticate(Sign(EcKey(), Claims()));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, "staff-42");
  EXPECT_EQ(p->roles, (std::vector<Role>{Role::kStrategist, Role::kPublisher}));
  EXPECT_EQ(p->spokes, (std::vector<std::string>{"spoke-a", "spoke-b"}));
}

TEST_F(JwtTest, ValidRs256) {
  auto verifier = Verifier(RsaKey());
  absl::StatusOr<Principal> p = verifier->Authenticate(Sign(RsaKey(), Claims()));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, "staff-42");
  EXPECT_TRUE(p->spokes.size() == 2);
}

TEST_F(JwtTest, ExpiredWithinAndBeyondLeeway) {
  auto verifier = Verifier(EcKey());
  const std::string token = Sign(EcKey(), Claims());  // exp = now + 1h
  clock_.Advance(absl::Hours(1) + absl::Seconds(30));
  EXPECT_TRUE(verifier->Authenticate(token).ok());
  clock_.Advance(absl::Seconds(31));
  ExpectRejected(*verifier, token, "expired");
}

TEST_F(JwtTest, ExpIsRequired) {
  auto verifier = Verifier(EcKey());
  ExpectRejected(*verifier, SignRaw(EcKey(), R"({"alg":"ES256"})", Payload("", false)),
                 "no expiry");
  ExpectRejected(*verifier,
                 SignRaw(EcKey(), R"({"alg":"ES256"})", Payload(R"(,"exp":"tomorrow")", false)),
                 "no expiry");
}

TEST_F(JwtTest, NotYetValidAndIssuedInTheFuture) {
  auto verifier = Verifier(EcKey());
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  ExpectRejected(
      *verifier,
      SignRaw(EcKey(), R"({"alg":"ES256"})", Payload(absl::StrCat(",\"nbf\":", now + 120))),
      "not yet valid");
  EXPECT_TRUE(verifier
                  ->Authenticate(SignRaw(EcKey(), R"({"alg":"ES256"})",
                                         Payload(absl::StrCat(",\"nbf\":", now + 30))))
                  .ok());
  ExpectRejected(
      *verifier,
      SignRaw(EcKey(), R"({"alg":"ES256"})", Payload(absl::StrCat(",\"iat\":", now + 120))),
      "future");
  ExpectRejected(*verifier, SignRaw(EcKey(), R"({"alg":"ES256"})", Payload(",\"nbf\":\"soon\"")),
                 "malformed");
}

TEST_F(JwtTest, WrongIssuer) {
  auto verifier = Verifier(EcKey());
  JwtClaims claims = Claims();
  claims.issuer = "someone-else";
  ExpectRejected(*verifier, Sign(EcKey(), claims), "issuer");
}

TEST_F(JwtTest, WrongAudience) {
  auto verifier = Verifier(EcKey());
  JwtClaims claims = Claims();
  claims.audience = "other-api";
  ExpectRejected(*verifier, Sign(EcKey(), claims), "audience");
}

TEST_F(JwtTest, AudienceMayBeAnArray) {
  auto verifier = Verifier(EcKey());
  const int64_t exp = absl::ToUnixSeconds(clock_.Now()) + 60;
  std::string ok_payload =
      absl::StrCat(R"({"iss":"carecast","aud":["x","carecast"],"sub":"s","exp":)", exp, "}");
  EXPECT_TRUE(verifier->Authenticate(SignRaw(EcKey(), R"({"alg":"ES256"})", ok_payload)).ok());
  std::string bad_payload =
      absl::StrCat(R"({"iss":"carecast","aud":["x","y"],"sub":"s","exp":)", exp, "}");
  ExpectRejected(*verifier, SignRaw(EcKey(), R"({"alg":"ES256"})", bad_payload), "audience");
}

TEST_F(JwtTest, AlgNoneIsRejected) {
  auto verifier = Verifier(EcKey());
  std::string token = absl::StrCat(Base64UrlEncode(R"({"alg":"none","typ":"JWT"})"), ".",
                                   Base64UrlEncode(Payload()), ".");
  ExpectRejected(*verifier, token, "algorithm");
  // Even with a valid-looking signature part.
  std::vector<std::string> parts = absl::StrSplit(Sign(EcKey(), Claims()), '.');
  ExpectRejected(*verifier,
                 absl::StrCat(Base64UrlEncode(R"({"alg":"none"})"), ".", parts[1], ".", parts[2]),
                 "algorithm");
}

// The classic confusion attack: HMAC-SHA256 keyed with the (public) verification key.
TEST_F(JwtTest, Hs256WithThePublicKeyAsSecretIsRejected) {
  for (const JwsPrivateKey* key : {&EcKey(), &RsaKey()}) {
    auto verifier = Verifier(*key);
    const std::string secret = key->PublicKeyPem();
    const std::string input = absl::StrCat(Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})"), ".",
                                           Base64UrlEncode(Payload()));
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    ASSERT_NE(
        HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len),
        nullptr);
    std::string token = absl::StrCat(
        input, ".", Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), mac_len)));
    ExpectRejected(*verifier, token, "algorithm");
  }
}

TEST_F(JwtTest, AlgorithmIsPinnedToTheKeyType) {
  // An RS256 token, validly signed by an RSA key, against an EC verifier.
  auto ec_verifier = Verifier(EcKey());
  ExpectRejected(*ec_verifier, Sign(RsaKey(), Claims()), "algorithm");
  // A header that lies about the algorithm.
  auto rsa_verifier = Verifier(RsaKey());
  ExpectRejected(*rsa_verifier, SignRaw(RsaKey(), R"({"alg":"ES256"})", Payload()), "algorithm");
  ExpectRejected(*rsa_verifier, SignRaw(RsaKey(), R"({"alg":"PS256"})", Payload()), "algorithm");
  ExpectRejected(*rsa_verifier, SignRaw(RsaKey(), R"({"typ":"JWT"})", Payload()), "algorithm");
}

TEST_F(JwtTest, TamperedPayloadIsRejected) {
  auto verifier = Verifier(EcKey());
  std::vector<std::string> parts = absl::StrSplit(Sign(EcKey(), Claims()), '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string payload = *Base64UrlDecode(parts[1]);
  size_t at = payload.find("staff-42");
  ASSERT_NE(at, std::string::npos);
  payload.replace(at, 8, "staff-43");
  ExpectRejected(*verifier, absl::StrCat(parts[0], ".", Base64UrlEncode(payload), ".", parts[2]),
                 "signature");
  // A flipped bit in the signature.
  std::string sig = *Base64UrlDecode(parts[2]);
  sig[5] = static_cast<char>(sig[5] ^ 1);
  ExpectRejected(*verifier, absl::StrCat(parts[0], ".", parts[1], ".", Base64UrlEncode(sig)),
                 "signature");
}

TEST_F(JwtTest, AnotherKeysSignatureIsRejected) {
  JwsPrivateKey other = *JwsPrivateKey::Generate(JwsAlgorithm::kEs256);
  auto verifier = Verifier(EcKey());
  ExpectRejected(*verifier, Sign(other, Claims()), "signature");
}

TEST_F(JwtTest, GarbageIsRejected) {
  auto verifier = Verifier(EcKey());
  for (const std::string& token :
       {std::string(""), std::string("abc"), std::string("a.b"), std::string("a.b.c"),
        std::string(".."), std::string("a.b.c.d"), std::string("e30.e30.e30"),
        absl::StrCat(Base64UrlEncode("[1,2]"), ".e30.AAAA"),
        absl::StrCat(Base64UrlEncode("{\"alg\":\"ES256\""), ".e30.AAAA"),
        std::string("eyJhbGciOiJFUzI1NiJ9=.e30.AAAA"), std::string("\xff\xfe.\x01.\x02")}) {
    absl::StatusOr<Principal> p = verifier->Authenticate(token);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated) << token;
  }
}

TEST_F(JwtTest, Es256SignatureInDerFormIsRejected) {
  auto verifier = Verifier(EcKey());
  std::vector<std::string> parts = absl::StrSplit(Sign(EcKey(), Claims()), '.');
  std::string raw = *Base64UrlDecode(parts[2]);
  ASSERT_EQ(raw.size(), 64u);
  // Any length other than 64 bytes cannot be r||s.
  ExpectRejected(*verifier, absl::StrCat(parts[0], ".", parts[1], ".", Base64UrlEncode(raw + "x")),
                 "signature");
}

TEST_F(JwtTest, OversizedTokenIsRejectedUnread) {
  auto verifier = Verifier(EcKey());
  JwtClaims claims = Claims();
  claims.spokes.assign(800, "spoke-xyz");
  std::string token = Sign(EcKey(), claims);
  ASSERT_GT(token.size(), JwtAuthenticator::kMaxTokenBytes);
  ExpectRejected(*verifier, token, "too large");
}

TEST_F(JwtTest, SubjectIsRequired) {
  auto verifier = Verifier(EcKey());
  const int64_t exp = absl::ToUnixSeconds(clock_.Now()) + 60;
  ExpectRejected(*verifier,
                 SignRaw(EcKey(), R"({"alg":"ES256"})",
                         absl::StrCat(R"({"iss":"carecast","aud":"carecast","exp":)", exp, "}")),
                 "subject");
  ExpectRejected(
      *verifier,
      SignRaw(EcKey(), R"({"alg":"ES256"})",
              absl::StrCat(R"({"iss":"carecast","aud":"carecast","sub":"","exp":)", exp, "}")),
      "subject");
}

TEST_F(JwtTest, UnknownRolesAreDroppedMalformedRolesRejected) {
  auto verifier = Verifier(EcKey());
  absl::StatusOr<Principal> p = verifier->Authenticate(
      SignRaw(EcKey(), R"({"alg":"ES256"})",
              Payload(R"(,"spokes":["s1"])", true, R"(["publisher","root","admin"])")));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->roles, (std::vector<Role>{Role::kPublisher, Role::kAdmin}));
  EXPECT_EQ(p->spokes, (std::vector<std::string>{"s1"}));
  ExpectRejected(*verifier, SignRaw(EcKey(), R"({"alg":"ES256"})", Payload("", true, R"("admin")")),
                 "roles");
  ExpectRejected(*verifier, SignRaw(EcKey(), R"({"alg":"ES256"})", Payload(R"(,"spokes":[1])")),
                 "spokes");
}

TEST_F(JwtTest, CriticalHeaderExtensionsAreRejected) {
  auto verifier = Verifier(EcKey());
  ExpectRejected(*verifier,
                 SignRaw(EcKey(), R"({"alg":"ES256","crit":["exp"],"exp":1})", Payload()),
                 "critical");
}

TEST_F(JwtTest, KeyLoading) {
  EXPECT_EQ(JwtAuthenticator::FromPem("not a key", JwtOptions{}, clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A private key is not accepted where the public key belongs.
  EXPECT_EQ(
      JwtAuthenticator::FromPem(EcKey().PrivateKeyPem(), JwtOptions{}, clock_).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JwtSigner::FromPem(EcKey().PublicKeyPem()).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<JwtSigner> signer = JwtSigner::FromPem(RsaKey().PrivateKeyPem());
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ(signer->algorithm(), JwsAlgorithm::kRs256);
  EXPECT_EQ(
      JwtAuthenticator::FromFile("/nonexistent/key.pem", JwtOptions{}, clock_).status().code(),
      absl::StatusCode::kFailedPrecondition);
}

TEST_F(JwtTest, CustomIssuerAndAudience) {
  JwtOptions options;
  options.issuer = "idp.example";
  options.audience = "carecast-api";
  auto verifier = JwtAuthenticator::FromPem(EcKey().PublicKeyPem(), options, clock_);
  ASSERT_TRUE(verifier.ok());
  JwtClaims claims = Claims();
  claims.issuer = "idp.example";
  claims.audience = "carecast-api";
  EXPECT_TRUE((*verifier)->Authenticate(Sign(EcKey(), claims)).ok());
  ExpectRejected(**verifier, Sign(EcKey(), Claims()), "issuer");
}

TEST(Base64UrlTest, RoundTripAndStrictness) {
  for (const std::string& s : {std::string(""), std::string("f"), std::string("fo"),
                               std::string("foo"), std::string("\xff\xfe\xfd\x00", 4)}) {
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(s)), s);
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("Zm8="), std::nullopt);  // padding
  EXPECT_EQ(Base64UrlDecode("+/8"), std::nullopt);   // standard alphabet
  EXPECT_EQ(Base64UrlDecode("Zm 8"), std::nullopt);  // whitespace
  EXPECT_EQ(Base64UrlDecode("Z"), std::nullopt);     // impossible length
  EXPECT_EQ(Base64UrlDecode("Zm8"), std::optional<std::string>("fo"));
  EXPECT_EQ(Base64UrlDecode("Zm9"), std::nullopt);  // non-zero trailing bits
}

}  // namespace
}  // namespace carecast::common
