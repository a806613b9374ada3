#include "services/planner/content_rules.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "services/common/base/strings.h"

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

TEST(ContentRulesTest, OtherNetworksCountAsTheyDo) {
  struct Case {
    v1::Network network;
    std::string unit;
    size_t limit;
  };
  for (const Case& c :
       {Case{v1::NETWORK_LINKEDIN, "é", 3000}, Case{v1::NETWORK_FACEBOOK, "é", 63206},
        Case{v1::NETWORK_INSTAGRAM, "é", 2200}, Case{v1::NETWORK_MASTODON, "é", 500},
        Case{v1::NETWORK_SANDBOX, "é", 10000}, Case{v1::NETWORK_BLUESKY, "a", 300},
        // A ZWJ emoji is one grapheme on Bluesky and Mastodon.
        Case{v1::NETWORK_MASTODON, "\U0001F469\u200D\u2695\uFE0F", 500},
        Case{v1::NETWORK_WEBHOOK, "a", 100000}}) {
    SCOPED_TRACE(NetworkField(c.network));
    EXPECT_TRUE(ValidateContentBody(WithVariant(c.network, Repeat(c.unit, c.limit))).ok());
    absl::Status over = ValidateContentBody(WithVariant(c.network, Repeat(c.unit, c.limit + 1)));
    EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(over.message().find(
                  absl::StrCat(common::AsAbsl(NetworkField(c.network)), " allows at most ")),
              std::string::npos)
        << over;
  }
  // Bluesky also caps the bytes: 300 four-code-point emoji are 3900.
  absl::Status bytes = ValidateContentBody(
      WithVariant(v1::NETWORK_BLUESKY, Repeat("\U0001F469\u200D\u2695\uFE0F", 300)));
  EXPECT_EQ(bytes.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bytes.message().find("bluesky allows at most 3000 bytes"), std::string::npos) << bytes;
  // WordPress has no length limit beyond the master cap.
  EXPECT_TRUE(
      ValidateContentBody(WithVariant(v1::NETWORK_WORDPRESS, std::string(60000, 'w'))).ok());
  // Every network's variant at once is one per network, not too many.
  Content all;
  all.set_text("master");
  for (v1::Network n : {v1::NETWORK_SANDBOX, v1::NETWORK_X, v1::NETWORK_FACEBOOK,
                        v1::NETWORK_LINKEDIN, v1::NETWORK_INSTAGRAM, v1::NETWORK_MASTODON,
                        v1::NETWORK_BLUESKY, v1::NETWORK_WORDPRESS, v1::NETWORK_WEBHOOK}) {
    auto* v = all.add_variants();
    v->set_network(n);
    v->set_text("hi");
  }
  EXPECT_TRUE(ValidateContentBody(all).ok()) << ValidateContentBody(all);
}

v1::MediaItem Image(std::string mime = "image/jpeg", int64_t size = 300000) {
  v1::MediaItem item;
  item.set_url("https://cdn.stmarys.example/flu.jpg");
  item.set_alt_text("A nurse gives a child a flu shot");
  item.set_mime_type(std::move(mime));
  item.set_size_bytes(size);
  return item;
}

TEST(ContentRulesTest, MalformedMediaIsInvalidArgument) {
  Content c = WithVariant(v1::NETWORK_X, "hi");
  *c.add_media() = Image("image/jpeg", 0);  // no size yet is fine while drafting
  EXPECT_TRUE(ValidateContentBody(c).ok()) << ValidateContentBody(c);
  c.mutable_media(0)->set_url("http://cdn.stmarys.example/flu.jpg");
  absl::Status s = ValidateContentBody(c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("content.media[0].url must be an https:// URL"), std::string::npos)
      << s;
}

TEST(ContentRulesTest, ContentMustFitEveryNetworkItsVariantsTarget) {
  Content c = WithVariant(v1::NETWORK_X, "Flu shots Saturday");
  EXPECT_TRUE(CheckContentFitsNetworks(c).ok());
  *c.add_media() = Image("image/png", 300000);
  EXPECT_TRUE(CheckContentFitsNetworks(c).ok());
  auto* ig = c.add_variants();
  ig->set_network(v1::NETWORK_INSTAGRAM);
  ig->set_text("Flu shots Saturday #flu");
  absl::Status s = CheckContentFitsNetworks(c);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("instagram accepts image/jpeg images; media[0] is image/png"),
            std::string::npos)
      << s;
  // The strictest alt-text limit of the targeted networks applies: 1000 on X.
  c.mutable_media(0)->set_mime_type("image/jpeg");
  c.mutable_media(0)->set_alt_text(std::string(1001, 'a'));
  s = CheckContentFitsNetworks(c);
  EXPECT_NE(s.message().find("x allows alt text of 1000 characters; media[0] has 1001"),
            std::string::npos)
      << s;
  EXPECT_NE(s.message().find("instagram allows alt text of 1000 characters"), std::string::npos)
      << s;
  c.mutable_media(0)->set_alt_text(std::string(1000, 'a'));
  EXPECT_TRUE(CheckContentFitsNetworks(c).ok()) << CheckContentFitsNetworks(c);
  // A size not given yet cannot be checked, so it is refused at approval.
  c.mutable_media(0)->set_size_bytes(0);
  EXPECT_EQ(CheckContentFitsNetworks(c).code(), absl::StatusCode::kFailedPrecondition);
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

  // Fields outside title, text, variants and media do not count.
  Content i = a;
  i.set_state(v1::CONTENT_STATE_APPROVED);
  i.set_version(7);
  EXPECT_EQ(ContentHash(a), ContentHash(i));
}

TEST(ContentHashTest, ContentWithoutMediaKeepsItsHashFromBeforeMedia) {
  Content a;
  a.set_title("t");
  a.set_text("body");
  auto* x = a.add_variants();
  x->set_network(v1::NETWORK_X);
  x->set_text("x text");
  auto* f = a.add_variants();
  f->set_network(v1::NETWORK_FACEBOOK);
  f->set_text("fb text");
  // SHA-256 of "carecast.content.v1;1:t;4:body;2;2;6:x text;3;7:fb text;", the
  // value stored in approvals given before media existed.
  EXPECT_EQ(ContentHash(a), "c58a94625ddcf40848914a680999ede949739a399254fac854d03c1ba7fed8ce");
}

TEST(ContentHashTest, EveryMediaFieldAndTheirOrderCount) {
  Content a;
  a.set_text("body");
  *a.add_media() = Image("image/jpeg", 100);
  const std::string with_one = ContentHash(a);
  Content none;
  none.set_text("body");
  EXPECT_NE(with_one, ContentHash(none));
  for (auto edit : std::vector<std::function<void(v1::MediaItem&)>>{
           [](v1::MediaItem& m) { m.set_url(m.url() + "?v=2"); },
           [](v1::MediaItem& m) { m.set_alt_text(m.alt_text() + "."); },
           [](v1::MediaItem& m) { m.set_mime_type("image/png"); },
           [](v1::MediaItem& m) { m.set_size_bytes(101); }}) {
    Content b = a;
    edit(*b.mutable_media(0));
    EXPECT_NE(ContentHash(b), with_one);
  }
  Content two = a;
  *two.add_media() = Image("image/png", 200);
  Content swapped = two;
  swapped.mutable_media()->SwapElements(0, 1);
  EXPECT_NE(ContentHash(two), ContentHash(swapped));
}

TEST(ContentRulesTest, ThreadPartsOnlyWhereThreadsExistAndEachWithinTheLimit) {
  Content x = WithVariant(v1::NETWORK_X, "Flu shots: a thread 1/3");
  x.mutable_variants(0)->add_thread_parts("Where: every clinic 2/3");
  x.mutable_variants(0)->add_thread_parts("When: Saturday 3/3");
  EXPECT_TRUE(ValidateContentBody(x).ok());
  EXPECT_TRUE(CheckContentFitsNetworks(x).ok());

  Content too_long = x;
  too_long.mutable_variants(0)->set_thread_parts(1, Repeat("a", 281));
  absl::Status s = ValidateContentBody(too_long);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("content.variants[x].thread_parts[1] is 281 characters"),
            std::string::npos)
      << s.message();

  Content empty = x;
  empty.mutable_variants(0)->set_thread_parts(0, "");
  EXPECT_EQ(ValidateContentBody(empty).code(), absl::StatusCode::kInvalidArgument);

  Content facebook = WithVariant(v1::NETWORK_FACEBOOK, "Flu shots");
  facebook.mutable_variants(0)->add_thread_parts("more");
  s = ValidateContentBody(facebook);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("facebook has no threads"), std::string::npos) << s.message();

  Content twenty_one = WithVariant(v1::NETWORK_MASTODON, "1/21");
  for (int i = 2; i <= 21; ++i) twenty_one.mutable_variants(0)->add_thread_parts(absl::StrCat(i));
  s = ValidateContentBody(twenty_one);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("at most 20 posts"), std::string::npos) << s.message();
  twenty_one.mutable_variants(0)->mutable_thread_parts()->RemoveLast();
  EXPECT_TRUE(ValidateContentBody(twenty_one).ok());
}

TEST(ContentHashTest, ThreadPartsAndTheirOrderCountButTheirAbsenceKeepsOldHashes) {
  Content plain = WithVariant(v1::NETWORK_X, "head");
  Content empty_parts = plain;
  empty_parts.mutable_variants(0)->clear_thread_parts();
  EXPECT_EQ(ContentHash(plain), ContentHash(empty_parts));

  Content a = plain;
  a.mutable_variants(0)->add_thread_parts("two");
  a.mutable_variants(0)->add_thread_parts("three");
  Content swapped = plain;
  swapped.mutable_variants(0)->add_thread_parts("three");
  swapped.mutable_variants(0)->add_thread_parts("two");
  Content joined = plain;
  joined.mutable_variants(0)->add_thread_parts("twothree");
  EXPECT_NE(ContentHash(a), ContentHash(plain));
  EXPECT_NE(ContentHash(a), ContentHash(swapped));
  EXPECT_NE(ContentHash(a), ContentHash(joined));
}

}  // namespace
}  // namespace carecast::planner
