#include "services/common/networks/network_rules.h"

#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace carecast::common::networks {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using v1::MediaItem;

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

MediaItem Image(std::string mime = "image/jpeg", int64_t size = 200000,
                std::string alt = "A nurse gives a flu shot") {
  MediaItem item;
  item.set_url("https://cdn.stmarys.example/flu.jpg");
  item.set_alt_text(std::move(alt));
  item.set_mime_type(std::move(mime));
  item.set_size_bytes(size);
  return item;
}

std::vector<MediaItem> Images(int n) { return std::vector<MediaItem>(n, Image()); }

absl::Status Fits(v1::Network network, std::string_view text,
                  const std::vector<MediaItem>& media = {}) {
  return CheckPostFits(network, text, media);
}

void ExpectRefused(const absl::Status& status, std::string_view reason) {
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(std::string(reason)));
}

TEST(NetworkRulesTest, EveryNetworkHasRulesAndAUniqueName) {
  const auto* descriptor = v1::Network_descriptor();
  std::set<std::string_view> names;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const auto network = static_cast<v1::Network>(descriptor->value(i)->number());
    if (network == v1::NETWORK_UNSPECIFIED) {
      EXPECT_EQ(FindRules(network), nullptr);
      continue;
    }
    const NetworkRules* rules = FindRules(network);
    ASSERT_NE(rules, nullptr) << descriptor->value(i)->name() << " has no rules";
    EXPECT_EQ(rules->network, network);
    EXPECT_TRUE(names.insert(rules->name).second) << rules->name;
    EXPECT_EQ(NetworkName(network), rules->name);
    EXPECT_GT(rules->max_images, 0);
    EXPECT_GT(rules->max_image_bytes, 0);
    EXPECT_LE(rules->max_alt_text_chars, kMaxAltTextChars);
    EXPECT_LE(static_cast<size_t>(rules->max_images), kMaxMediaItems);
    EXPECT_NE(rules->image_types & kImageJpeg, 0) << "every network takes JPEG";
  }
  EXPECT_EQ(AllRules().size(), names.size());
  EXPECT_EQ(NetworkName(v1::NETWORK_UNSPECIFIED), "unspecified");
  EXPECT_EQ(NetworkName(static_cast<v1::Network>(99)), "unknown");
}

TEST(NetworkRulesTest, UnknownNetworkIsInvalidArgument) {
  EXPECT_EQ(Fits(v1::NETWORK_UNSPECIFIED, "hi").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Fits(static_cast<v1::Network>(99), "hi").code(), absl::StatusCode::kInvalidArgument);
}

TEST(CheckPostFitsTest, XCountsWeightedCharactersWithLinksAs23) {
  EXPECT_TRUE(Fits(v1::NETWORK_X, std::string(280, 'a')).ok());
  ExpectRefused(Fits(v1::NETWORK_X, std::string(281, 'a')),
                "x allows 280 characters (links count 23, CJK and emoji count 2); "
                "this text has 281");
  EXPECT_TRUE(Fits(v1::NETWORK_X, Repeat("漢", 140)).ok());
  ExpectRefused(Fits(v1::NETWORK_X, Repeat("漢", 141)), "this text has 282");
  // 256 characters and a 300-character URL: 256 + 1 + 23 = 280.
  const std::string url = "https://stmarys.example/" + std::string(276, 'p');
  EXPECT_TRUE(Fits(v1::NETWORK_X, std::string(256, 'a') + " " + url).ok());
  ExpectRefused(Fits(v1::NETWORK_X, std::string(257, 'a') + " " + url), "this text has 281");
  // 140 emoji sequences of four code points each weigh 280.
  EXPECT_TRUE(Fits(v1::NETWORK_X, Repeat("\U0001F469\u200D\u2695\uFE0F", 140)).ok());
  ExpectRefused(Fits(v1::NETWORK_X, Repeat("\U0001F469\u200D\u2695\uFE0F", 141)),
                "this text has 282");
}

TEST(CheckPostFitsTest, MastodonCounts500WithLinksAs23) {
  EXPECT_TRUE(Fits(v1::NETWORK_MASTODON, std::string(500, 'a')).ok());
  ExpectRefused(Fits(v1::NETWORK_MASTODON, std::string(501, 'a')),
                "mastodon allows 500 characters (links count 23); this text has 501");
  const std::string url = "https://stmarys.example/" + std::string(600, 'p');
  EXPECT_TRUE(Fits(v1::NETWORK_MASTODON, std::string(476, 'a') + " " + url).ok());
  ExpectRefused(Fits(v1::NETWORK_MASTODON, std::string(477, 'a') + " " + url), "this text has 501");
}

TEST(CheckPostFitsTest, BlueskyCounts300GraphemesAnd3000Bytes) {
  EXPECT_TRUE(Fits(v1::NETWORK_BLUESKY, std::string(300, 'a')).ok());
  ExpectRefused(Fits(v1::NETWORK_BLUESKY, std::string(301, 'a')),
                "bluesky allows 300 characters (counted as graphemes); this text has 301");
  // 300 accented letters written as e + U+0301: 300 graphemes, 900 bytes.
  EXPECT_TRUE(Fits(v1::NETWORK_BLUESKY, Repeat("e\u0301", 300)).ok());
  // 300 four-code-point emoji are 300 graphemes but 3900 bytes.
  absl::Status bytes = Fits(v1::NETWORK_BLUESKY, Repeat("\U0001F469\u200D\u2695\uFE0F", 300));
  ExpectRefused(bytes, "bluesky allows 3000 bytes of text; this text has 3900");
  EXPECT_THAT(std::string(bytes.message()), Not(HasSubstr("graphemes); this text")));
}

TEST(CheckPostFitsTest, CharacterLimitedNetworksCountCodePoints) {
  struct Case {
    v1::Network network;
    size_t limit;
  };
  for (const Case& c : {Case{v1::NETWORK_LINKEDIN, 3000}, Case{v1::NETWORK_FACEBOOK, 63206},
                        Case{v1::NETWORK_SANDBOX, 10000}}) {
    SCOPED_TRACE(NetworkName(c.network));
    EXPECT_TRUE(Fits(c.network, Repeat("é", c.limit)).ok());
    ExpectRefused(Fits(c.network, Repeat("é", c.limit + 1)),
                  std::string(NetworkName(c.network)) + " allows " + std::to_string(c.limit) +
                      " characters; this text has " + std::to_string(c.limit + 1));
  }
}

TEST(CheckPostFitsTest, InstagramNeedsAJpegAndAtMost30Hashtags) {
  EXPECT_TRUE(Fits(v1::NETWORK_INSTAGRAM, std::string(2200, 'a'), Images(1)).ok());
  ExpectRefused(Fits(v1::NETWORK_INSTAGRAM, std::string(2201, 'a'), Images(1)),
                "instagram allows 2200 characters; this text has 2201");
  ExpectRefused(Fits(v1::NETWORK_INSTAGRAM, "Flu shots today"),
                "instagram needs at least 1 image; this post has 0");
  std::string tags;
  for (int i = 0; i < 30; ++i) tags += "#tag" + std::to_string(i) + " ";
  EXPECT_TRUE(Fits(v1::NETWORK_INSTAGRAM, tags, Images(1)).ok());
  ExpectRefused(Fits(v1::NETWORK_INSTAGRAM, tags + "#one_more", Images(1)),
                "instagram allows 30 hashtags; this text has 31");
  ExpectRefused(Fits(v1::NETWORK_INSTAGRAM, "Flu", {Image("image/png")}),
                "instagram accepts image/jpeg images; media[0] is image/png");
  EXPECT_TRUE(Fits(v1::NETWORK_INSTAGRAM, "Flu", Images(10)).ok());
  ExpectRefused(Fits(v1::NETWORK_INSTAGRAM, "Flu", Images(11)),
                "instagram allows 10 images per post; this post has 11");
}

TEST(CheckPostFitsTest, WordPressNeedsText) {
  ExpectRefused(Fits(v1::NETWORK_WORDPRESS, "", Images(1)), "wordpress needs a non-empty text");
  EXPECT_TRUE(Fits(v1::NETWORK_WORDPRESS, std::string(200000, 'a')).ok());
}

TEST(CheckPostFitsTest, WebhookCountsBytes) {
  EXPECT_TRUE(Fits(v1::NETWORK_WEBHOOK, std::string(100000, 'a')).ok());
  ExpectRefused(Fits(v1::NETWORK_WEBHOOK, std::string(100001, 'a')),
                "webhook allows 100000 bytes; this text has 100001");
  // 33334 three-byte characters are 100002 bytes.
  ExpectRefused(Fits(v1::NETWORK_WEBHOOK, Repeat("漢", 33334)), "this text has 100002");
}

TEST(CheckPostFitsTest, AnImageWithoutTextIsAPostButNothingIsNot) {
  EXPECT_TRUE(Fits(v1::NETWORK_X, "", Images(1)).ok());
  ExpectRefused(Fits(v1::NETWORK_X, ""), "x needs a text or an image; this post has neither");
}

TEST(CheckPostFitsTest, ImageCountTypeAndSize) {
  EXPECT_TRUE(Fits(v1::NETWORK_X, "hi", Images(4)).ok());
  ExpectRefused(Fits(v1::NETWORK_X, "hi", Images(5)),
                "x allows 4 images per post; this post has 5");
  EXPECT_TRUE(Fits(v1::NETWORK_LINKEDIN, "hi", Images(20)).ok());
  ExpectRefused(Fits(v1::NETWORK_LINKEDIN, "hi", {Image("image/webp")}),
                "linkedin accepts image/jpeg, image/png, image/gif images; media[0] is image/webp");
  EXPECT_TRUE(Fits(v1::NETWORK_MASTODON, "hi", {Image("image/webp")}).ok());
  ExpectRefused(Fits(v1::NETWORK_X, "hi", {Image("image/tiff")}), "media[0] is image/tiff");

  EXPECT_TRUE(Fits(v1::NETWORK_X, "hi", {Image("image/png", 5 * 1024 * 1024)}).ok());
  ExpectRefused(Fits(v1::NETWORK_X, "hi", {Image(), Image("image/png", 5 * 1024 * 1024 + 1)}),
                "x allows images up to 5 MB; media[1] is 5242881 bytes");
  EXPECT_TRUE(Fits(v1::NETWORK_BLUESKY, "hi", {Image("image/jpeg", 1000000)}).ok());
  ExpectRefused(Fits(v1::NETWORK_BLUESKY, "hi", {Image("image/jpeg", 1000001)}),
                "bluesky allows images up to 1000000 bytes; media[0] is 1000001 bytes");
  ExpectRefused(Fits(v1::NETWORK_X, "hi", {Image("image/jpeg", 0)}),
                "media[0] does not give its size_bytes");
}

TEST(CheckPostFitsTest, AltTextIsRequiredAndWithinTheNetworksLimit) {
  ExpectRefused(Fits(v1::NETWORK_X, "hi", {Image("image/jpeg", 100, "")}),
                "every image posted on x needs alt text; media[0] has none");
  ExpectRefused(Fits(v1::NETWORK_FACEBOOK, "hi", {Image("image/jpeg", 100, "  \n")}),
                "media[0] has none");
  EXPECT_TRUE(Fits(v1::NETWORK_X, "hi", {Image("image/jpeg", 100, Repeat("é", 1000))}).ok());
  ExpectRefused(Fits(v1::NETWORK_X, "hi", {Image("image/jpeg", 100, Repeat("é", 1001))}),
                "x allows alt text of 1000 characters; media[0] has 1001");
  // The same alt text fits Mastodon's 1500.
  EXPECT_TRUE(Fits(v1::NETWORK_MASTODON, "hi", {Image("image/jpeg", 100, Repeat("é", 1500))}).ok());
  ExpectRefused(Fits(v1::NETWORK_MASTODON, "hi", {Image("image/jpeg", 100, Repeat("é", 1501))}),
                "mastodon allows alt text of 1500 characters; media[0] has 1501");
}

TEST(CheckPostFitsTest, ImagesAreFetchedOverHttpsOnly) {
  MediaItem plain = Image();
  plain.set_url("http://cdn.stmarys.example/flu.jpg");
  ExpectRefused(Fits(v1::NETWORK_X, "hi", {plain}), "media[0].url must be an https:// URL");
  MediaItem credentials = Image();
  credentials.set_url("https://user:secret@cdn.stmarys.example/flu.jpg");
  absl::Status status = Fits(v1::NETWORK_X, "hi", {credentials});
  ExpectRefused(status, "must not carry credentials");
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("secret")));
}

TEST(CheckPostFitsTest, ListsEveryBrokenRuleAndNeverTheText) {
  std::vector<MediaItem> media = Images(5);
  media[2].set_alt_text("");
  absl::Status status = Fits(v1::NETWORK_X, "private words " + std::string(300, 'a'), media);
  ExpectRefused(status, "this text has 314");
  ExpectRefused(status, "this post has 5");
  ExpectRefused(status, "media[2] has none");
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("private words")));
}

TEST(CheckPostFitsTest, InvalidUtf8IsRefused) {
  ExpectRefused(Fits(v1::NETWORK_X, "caf\xC3"), "x needs UTF-8 text");
}

TEST(CheckPostFitsTest, RepeatedFieldAndVectorAgree) {
  v1::Content content;
  for (const MediaItem& item : Images(5)) *content.add_media() = item;
  EXPECT_EQ(CheckPostFits(v1::NETWORK_X, "hi", content.media()),
            Fits(v1::NETWORK_X, "hi", Images(5)));
}

absl::Status Validate(std::vector<MediaItem> items) {
  v1::Content content;
  for (MediaItem& item : items) *content.add_media() = std::move(item);
  return ValidateMedia("content.media", content.media());
}

void ExpectInvalid(const absl::Status& status, std::string_view reason) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(std::string(reason)));
}

TEST(ValidateMediaTest, AcceptsWellFormedMediaWithoutASizeYet) {
  EXPECT_TRUE(Validate({}).ok());
  EXPECT_TRUE(Validate({Image("image/jpeg", 0), Image("image/webp"), Image("image/gif")}).ok());
  EXPECT_TRUE(Validate(std::vector<MediaItem>(kMaxMediaItems, Image())).ok());
}

TEST(ValidateMediaTest, RefusesMalformedMediaNamingTheField) {
  MediaItem http = Image();
  http.set_url("http://cdn.example/a.jpg");
  ExpectInvalid(Validate({Image(), http}), "content.media[1].url must be an https:// URL");
  MediaItem no_url = Image();
  no_url.clear_url();
  ExpectInvalid(Validate({no_url}), "content.media[0].url is required");
  MediaItem spaced = Image();
  spaced.set_url("https://cdn.example/a b.jpg");
  ExpectInvalid(Validate({spaced}), "content.media[0].url holds a space");
  MediaItem no_host = Image();
  no_host.set_url("https:///a.jpg");
  ExpectInvalid(Validate({no_host}), "content.media[0].url has no host");
  MediaItem too_long = Image();
  too_long.set_url("https://cdn.example/" + std::string(kMaxMediaUrlBytes, 'a'));
  ExpectInvalid(Validate({too_long}), "longer than 2048 bytes");
  ExpectInvalid(Validate({Image("image/jpeg", 1, "")}), "content.media[0].alt_text is required");
  ExpectInvalid(Validate({Image("image/jpeg", 1, " \t")}), "alt_text is required");
  ExpectInvalid(Validate({Image("image/jpeg", 1, "caf\xC3")}), "alt_text must be UTF-8");
  ExpectInvalid(Validate({Image("image/jpeg", 1, std::string(kMaxAltTextChars + 1, 'a'))}),
                "at most 4086 characters");
  ExpectInvalid(Validate({Image("image/bmp")}),
                "content.media[0].mime_type must be one of image/jpeg, image/png, image/gif, "
                "image/webp");
  ExpectInvalid(Validate({Image("IMAGE/JPEG")}), "mime_type must be one of");
  ExpectInvalid(Validate({Image("image/jpeg", -1)}),
                "content.media[0].size_bytes must not be negative");
  ExpectInvalid(Validate(std::vector<MediaItem>(kMaxMediaItems + 1, Image())),
                "content.media holds 21 images; at most 20");
}

}  // namespace
}  // namespace carecast::common::networks
