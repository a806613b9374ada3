#include "services/planner/content_rules.h"

#include <string>

#include <gtest/gtest.h>

namespace carecast::planner {
namespace {

using carecast::v1::Content;

Content WithVariant(v1::Network network, const std::string& text) {
  Content c;
  c.set_text("master");
  auto* v = c.add_variants();
  v->set_network(network);
  v->set_text(text);
  return c;
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(XWeightedLengthTest, CountsAsciiOnceCjkTwiceAndUrlsAs23) {
  EXPECT_EQ(XWeightedLength("hello"), 5u);
  EXPECT_EQ(XWeightedLength("日本"), 4u);
  EXPECT_EQ(XWeightedLength("café"), 4u);  // U+00E9 is in the light range
  EXPECT_EQ(XWeightedLength("see https://example.org/a/very/long/path/that/goes/on/and/on"),
            4u + 23u);
  EXPECT_EQ(XWeightedLength("http://a.b x https://c.d"), 23u + 3u + 23u);
  EXPECT_EQ(XWeightedLength("“quoted”"), 8u);  // U+201C/U+201D weigh 1
}

TEST(ContentRulesTest, XAllows280WeightedCharacters) {
  EXPECT_TRUE(ValidateContentBody(WithVariant(v1::NETWORK_X, std::string(280, 'a'))).ok());
  absl::Status s = ValidateContentBody(WithVariant(v1::NETWORK_X, std::string(281, 'a')));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("281"), std::string::npos) << s;
  // 140 CJK characters weigh 280; 141 weigh 282.
  EXPECT_TRUE(ValidateContentBody(WithVariant(v1::NETWORK_X, Repeat("漢", 140))).ok());
  EXPECT_EQ(ValidateContentBody(WithVariant(v1::NETWORK_X, Repeat("漢", 141))).code(),
            absl::StatusCode::kInvalidArgument);
  // A long URL counts 23, so this 400-byte variant fits.
  std::string with_url = std::string(250, 'a') + " https://example.org/" + std::string(150, 'p');
  EXPECT_TRUE(ValidateContentBody(WithVariant(v1::NETWORK_X, with_url)).ok());
}

TEST(ContentRulesTest, OtherNetworksCountCodePoints) {
  struct Case {
    v1::Network network;
    size_t limit;
  };
  for (const Case& c : {Case{v1::NETWORK_LINKEDIN, 3000}, Case{v1::NETWORK_FACEBOOK, 63206},
                        Case{v1::NETWORK_INSTAGRAM, 2200}, Case{v1::NETWORK_MASTODON, 500}}) {
    EXPECT_EQ(VariantCharLimit(c.network), c.limit);
    EXPECT_TRUE(ValidateContentBody(WithVariant(c.network, Repeat("é", c.limit))).ok());
    EXPECT_EQ(ValidateContentBody(WithVariant(c.network, Repeat("é", c.limit + 1))).code(),
              absl::StatusCode::kInvalidArgument)
        << c.network;
  }
}

TEST(ContentRulesTest, RefusesBadBodies) {
  Content empty;
  EXPECT_EQ(ValidateContentBody(empty).code(), absl::StatusCode::kInvalidArgument);

  Content big;
  big.set_text(std::string(kMaxMasterTextBytes + 1, 'a'));
  EXPECT_EQ(ValidateContentBody(big).code(), absl::StatusCode::kInvalidArgument);

  Content bad_utf8;
  bad_utf8.set_text("caf\xC3");
  EXPECT_EQ(ValidateContentBody(bad_utf8).code(), absl::StatusCode::kInvalidArgument);

  Content bad_title;
  bad_title.set_text("ok");
  bad_title.set_title("\xFF");
  EXPECT_EQ(ValidateContentBody(bad_title).code(), absl::StatusCode::kInvalidArgument);

  Content twice = WithVariant(v1::NETWORK_X, "a");
  twice.add_variants()->CopyFrom(twice.variants(0));
  EXPECT_EQ(ValidateContentBody(twice).code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(ValidateContentBody(WithVariant(v1::NETWORK_UNSPECIFIED, "a")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateContentBody(WithVariant(static_cast<v1::Network>(42), "a")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateContentBody(WithVariant(v1::NETWORK_X, "")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateContentBody(WithVariant(v1::NETWORK_FACEBOOK, "\xED\xA0\x80")).code(),
            absl::StatusCode::kInvalidArgument);  // an encoded surrogate
}

TEST(ContentHashTest, IsStableUnderVariantOrderAndSensitiveToEveryField) {
  Content a;
  a.set_title("t");
  a.set_text("body");
  auto* x = a.add_variants();
  x->set_network(v1::NETWORK_X);
  x->set_text("x text");
  auto* f = a.add_variants();
  f->set_network(v1::NETWORK_FACEBOOK);
  f->set_text("fb text");

  Content b = a;
  b.mutable_variants()->SwapElements(0, 1);
  EXPECT_EQ(ContentHash(a), ContentHash(b));
  EXPECT_EQ(ContentHash(a).size(), 64u);

  Content c = a;
  c.set_text("body!");
  EXPECT_NE(ContentHash(a), ContentHash(c));
  Content d = a;
  d.mutable_variants(0)->set_text("x text!");
  EXPECT_NE(ContentHash(a), ContentHash(d));
  Content e = a;
  e.set_title("t2");
  EXPECT_NE(ContentHash(a), ContentHash(e));

  // Length prefixes keep field boundaries: ("ab", "c") differs from ("a", "bc").
  Content g, h;
  g.set_title("ab");
  g.set_text("c");
  h.set_title("a");
  h.set_text("bc");
  EXPECT_NE(ContentHash(g), ContentHash(h));

  // Fields outside title, text and variants do not count.
  Content i = a;
  i.set_state(v1::CONTENT_STATE_APPROVED);
  i.set_version(7);
  EXPECT_EQ(ContentHash(a), ContentHash(i));
}

}  // namespace
}  // namespace carecast::planner
