// A channel's variant generated from the master text: per-network defaults,
// errors that name the rule and never the text, and, over many texts and every
// network, output that passes the network's own rules (CheckPostFits).
#include "services/common/repurpose/variant_generator.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/networks/network_rules.h"

namespace carecast::common::repurpose {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using v1::MediaItem;
using v1::Network;

MediaItem Image(std::string alt = "A nurse gives a flu shot") {
  MediaItem item;
  item.set_url("https://cdn.stmarys.example/flu.jpg");
  item.set_alt_text(std::move(alt));
  item.set_mime_type("image/jpeg");
  item.set_size_bytes(200000);
  return item;
}

std::vector<MediaItem> OneImage() { return {Image()}; }
std::vector<MediaItem> NoMedia() { return {}; }

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

GeneratedVariant Generate(std::string_view text, Network network,
                          const std::vector<MediaItem>& media = {Image()}) {
  absl::StatusOr<GeneratedVariant> variant = GenerateVariant(text, media, network);
  EXPECT_TRUE(variant.ok()) << variant.status();
  return variant.ok() ? *std::move(variant) : GeneratedVariant{};
}

constexpr std::string_view kMaster =
    "Flu season is here.  Get your #flu shot at any St Mary's clinic this week:\r\n"
    "https://stmarys.org/flu  \n\n\n\n"
    "No appointment needed.   \n\n#Vaccines #PublicHealth #StMarys #FluSeason";

TEST(VariantGeneratorTest, InstagramGetsTagsAtTheEndAndNoLink) {
  const GeneratedVariant v = Generate(kMaster, v1::NETWORK_INSTAGRAM);
  EXPECT_EQ(v.text(),
            "Flu season is here. Get your flu shot at any St Mary's clinic this week:\n"
            "(link in bio)\n\nNo appointment needed.\n\n"
            "#flu #Vaccines #PublicHealth #StMarys #FluSeason");
  EXPECT_FALSE(v.is_thread());
  EXPECT_EQ(v.links_changed, 1U);
  EXPECT_EQ(v.hashtags_kept, 5U);
}

TEST(VariantGeneratorTest, LinkedInKeepsTheLinkAndFiveTagsAtTheEnd) {
  const GeneratedVariant v = Generate(kMaster, v1::NETWORK_LINKEDIN);
  EXPECT_THAT(v.text(), HasSubstr("week:\nhttps://stmarys.org/flu\n\nNo appointment"));
  EXPECT_TRUE(absl::EndsWith(v.text(), "\n\n#flu #Vaccines #PublicHealth #StMarys #FluSeason"));
}

TEST(VariantGeneratorTest, XKeepsTwoTagsInPlace) {
  const GeneratedVariant v = Generate(kMaster, v1::NETWORK_X);
  EXPECT_EQ(v.text(),
            "Flu season is here. Get your #flu shot at any St Mary's clinic this week:\n"
            "https://stmarys.org/flu\n\nNo appointment needed.\n\n#Vaccines");
  EXPECT_EQ(v.hashtags_kept, 2U);
  EXPECT_EQ(v.hashtags_dropped, 3U);
}

TEST(VariantGeneratorTest, MastodonSpellsTagsInCamelCase) {
  const GeneratedVariant v =
      Generate("Get your #flushot today. #vaccines #publichealth", v1::NETWORK_MASTODON);
  EXPECT_EQ(v.text(), "Get your #Flushot today. #Vaccines #Publichealth");
  ChannelPolicy policy = DefaultChannelPolicy(v1::NETWORK_MASTODON);
  policy.hashtags.spellings = {{"flushot", "FluShot"}, {"publichealth", "PublicHealth"}};
  absl::StatusOr<GeneratedVariant> custom = GenerateVariant(
      "Get your #flushot today. #vaccines #publichealth", OneImage(), v1::NETWORK_MASTODON, policy);
  ASSERT_TRUE(custom.ok()) << custom.status();
  EXPECT_EQ(custom->text(), "Get your #FluShot today. #Vaccines #PublicHealth");
}

TEST(VariantGeneratorTest, WordPressDropsTags) {
  EXPECT_EQ(Generate(kMaster, v1::NETWORK_WORDPRESS).text(),
            "Flu season is here. Get your flu shot at any St Mary's clinic this week:\n"
            "https://stmarys.org/flu\n\nNo appointment needed.");
}

TEST(VariantGeneratorTest, PoliciesCanBeOverridden) {
  ChannelPolicy policy = DefaultChannelPolicy(v1::NETWORK_INSTAGRAM);
  policy.links = {LinkHandling::kDrop, ""};
  policy.hashtags.max_hashtags = 1;
  absl::StatusOr<GeneratedVariant> v =
      GenerateVariant(kMaster, OneImage(), v1::NETWORK_INSTAGRAM, policy);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->text(),
            "Flu season is here. Get your flu shot at any St Mary's clinic this week:\n\n"
            "No appointment needed.\n\n#flu");
}

TEST(VariantGeneratorTest, ALongTextBecomesAThreadOnXMastodonAndBluesky) {
  const std::string text = Repeat(
      "Flu vaccines are available at every St Mary's clinic this week, no appointment needed. ",
      10);
  for (Network n : {v1::NETWORK_X, v1::NETWORK_MASTODON, v1::NETWORK_BLUESKY}) {
    const GeneratedVariant v = Generate(text, n);
    ASSERT_TRUE(v.is_thread()) << n;
    EXPECT_TRUE(absl::EndsWith(v.text(), absl::StrCat(" 1/", v.posts.size())));
  }
  // Threads can be turned off: then it is an error like on any other network.
  ChannelPolicy policy = DefaultChannelPolicy(v1::NETWORK_X);
  policy.thread = false;
  EXPECT_EQ(GenerateVariant(text, NoMedia(), v1::NETWORK_X, policy).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(VariantGeneratorTest, ATextTooLongForANetworkWithoutThreadsIsRefusedWithoutEchoingIt) {
  const std::string text = Repeat("Secret patient story. ", 150);  // 3299 characters
  for (Network n : {v1::NETWORK_LINKEDIN, v1::NETWORK_INSTAGRAM}) {
    const absl::Status status = GenerateVariant(text, OneImage(), n).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(status.message(), Not(HasSubstr("Secret")));
  }
  EXPECT_EQ(GenerateVariant(text, OneImage(), v1::NETWORK_LINKEDIN).status().message(),
            "linkedin allows 3000 characters; this text has 3299");
  EXPECT_THAT(GenerateVariant(text, OneImage(), v1::NETWORK_INSTAGRAM).status().message(),
              HasSubstr("instagram allows 2200 characters; this text has 3299"));
  // The sandbox does not thread either.
  EXPECT_THAT(GenerateVariant(Repeat(text, 4), NoMedia(), v1::NETWORK_SANDBOX).status().message(),
              HasSubstr("sandbox allows 10000 characters"));
}

TEST(VariantGeneratorTest, InstagramRequiresAnImage) {
  const absl::Status status =
      GenerateVariant("Flu shots today.", NoMedia(), v1::NETWORK_INSTAGRAM).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "instagram requires an image");
}

TEST(VariantGeneratorTest, EveryImageNeedsAltText) {
  for (Network n : {v1::NETWORK_X, v1::NETWORK_FACEBOOK, v1::NETWORK_SANDBOX}) {
    const absl::Status status =
        GenerateVariant("Flu shots today.", std::vector<MediaItem>{Image(), Image(" \n")}, n)
            .status();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(status.message(), HasSubstr("media[1] has no alt text"));
  }
}

TEST(VariantGeneratorTest, RefusesWhatCannotBeAVariant) {
  EXPECT_EQ(GenerateVariant("hi", NoMedia(), v1::NETWORK_UNSPECIFIED).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateVariant("hi \xC3", NoMedia(), v1::NETWORK_X).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Nothing left: the only content was a link Instagram cannot carry... with an
  // image that is fine; without text and image it is not.
  EXPECT_EQ(GenerateVariant(" \n ", NoMedia(), v1::NETWORK_X).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(GenerateVariant("#Tag", NoMedia(), v1::NETWORK_WORDPRESS).status().message(),
              HasSubstr("wordpress needs a non-empty text"));
  EXPECT_TRUE(GenerateVariant("", OneImage(), v1::NETWORK_X).ok());
}

TEST(VariantGeneratorTest, RepeatedPtrFieldMediaWorksTheSame) {
  google::protobuf::RepeatedPtrField<MediaItem> media;
  *media.Add() = Image();
  absl::StatusOr<GeneratedVariant> v = GenerateVariant(kMaster, media, v1::NETWORK_INSTAGRAM,
                                                       DefaultChannelPolicy(v1::NETWORK_INSTAGRAM));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->text(), Generate(kMaster, v1::NETWORK_INSTAGRAM).text());
}

// Deterministic pseudo-random texts built from the pieces that make counting
// and cutting hard.
class TextMaker {
 public:
  explicit TextMaker(uint64_t seed) : state_(seed * 2654435761U + 1) {}

  std::string Make(size_t pieces) {
    static const std::vector<std::string> kPieces = {
        "Flu",
        "vaccines",
        "are",
        "available",
        "immunocompromised",
        "clinic.",
        "week!",
        "today?",
        "St Mary's",
        "(walk-ins welcome)",
        "https://stmarys.org/flu",
        "https://stmarys.org/clinics/flu-shots?utm_source=social&utm_medium=post#book",
        "stmarys.org/flu",
        "@stmarys@mastodon.social",
        "#FluShot",
        "#vaccines",
        "#健康",
        "インフルエンザの予防接種。",
        "予防接種予防接種予防接種予防接種予防接種",
        "流感疫苗现已提供",
        "\U0001F489",                    // 💉
        "\U0001F469\u200D\u2695\uFE0F",  // 👩‍⚕️
        "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466",
        "\U0001F1FA\U0001F1F8",
        "cafe\u0301",
        "e\u0301\u0301\u0301",
        "\u0301",
        "vacunación",
        "Impfung…",
        "\n",
        "\n\n\n",
        "  \t ",
        "Supercalifragilisticexpialidociousimmunisationcampaignannouncement",
    };
    std::string text;
    for (size_t i = 0; i < pieces; ++i) {
      const std::string& piece = kPieces[Next() % kPieces.size()];
      text += piece;
      if (Next() % 5 != 0) text += ' ';
    }
    return text;
  }

  uint64_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }

 private:
  uint64_t state_;
};

void ExpectClean(const std::string& post) {
  EXPECT_TRUE(IsValidUtf8(post));
  EXPECT_THAT(post, Not(HasSubstr("  ")));
  EXPECT_THAT(post, Not(HasSubstr(" \n")));
  EXPECT_THAT(post, Not(HasSubstr("\n ")));
  EXPECT_THAT(post, Not(HasSubstr("\n\n\n")));
  EXPECT_FALSE(absl::EndsWith(post, " ") || absl::EndsWith(post, "\n"));
  EXPECT_FALSE(absl::StartsWith(post, " ") || absl::StartsWith(post, "\n"));
}

TEST(VariantGeneratorTest, EveryVariantPassesTheNetworksRulesOverManyTexts) {
  const std::vector<MediaItem> media = {Image()};
  for (const networks::NetworkRules& rules : networks::AllRules()) {
    // Long texts make long threads: allow them, to check every post.
    ChannelPolicy policy = DefaultChannelPolicy(rules.network);
    policy.max_thread_parts = 500;
    size_t ok = 0;
    size_t threads = 0;
    for (uint64_t seed = 1; seed <= 150; ++seed) {
      TextMaker maker(seed + 1000 * static_cast<uint64_t>(rules.network));
      // Short texts, texts around the limits, long texts.
      const size_t pieces = seed % 3 == 0 ? 8 : (seed % 3 == 1 ? 60 : 400);
      const std::string text = maker.Make(pieces);
      absl::StatusOr<GeneratedVariant> v = GenerateVariant(text, media, rules.network, policy);
      if (!v.ok()) {
        // Only a network without threads may refuse, and only for length.
        EXPECT_EQ(v.status().code(), absl::StatusCode::kFailedPrecondition) << v.status();
        EXPECT_FALSE(policy.thread) << rules.name << " seed " << seed << ": " << v.status();
        EXPECT_THAT(v.status().message(), HasSubstr(absl::StrCat(AsAbsl(rules.name), " allows")));
        EXPECT_THAT(v.status().message(), Not(HasSubstr("stmarys")));
        continue;
      }
      ++ok;
      threads += v->is_thread() ? 1 : 0;
      // Deterministic.
      absl::StatusOr<GeneratedVariant> again = GenerateVariant(text, media, rules.network, policy);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(again->posts, v->posts);
      for (size_t k = 0; k < v->posts.size(); ++k) {
        const std::string& post = v->posts[k];
        const absl::Status fits =
            k == 0 ? networks::CheckPostFits(rules.network, post, media)
                   : networks::CheckPostFits(rules.network, post, std::vector<MediaItem>{});
        EXPECT_TRUE(fits.ok()) << rules.name << " seed " << seed << " post " << k << ": " << fits;
        ExpectClean(post);
      }
    }
    EXPECT_GE(ok, 100U) << rules.name;
    if (policy.thread) {
      EXPECT_EQ(ok, 150U) << rules.name;
      EXPECT_GE(threads, 50U) << rules.name;
    }
  }
}

}  // namespace
}  // namespace carecast::common::repurpose
