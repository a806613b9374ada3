// Hashtags in a variant: how many are kept, where they go, how they are spelled.
#include "services/common/repurpose/hashtag_policy.h"

#include <string>

#include <gtest/gtest.h>

#include "services/common/repurpose/text_scan.h"

namespace carecast::common::repurpose {
namespace {

std::string Apply(std::string_view text, const HashtagPolicy& policy, size_t cap = 0,
                  HashtagChanges* changes = nullptr) {
  return NormalizeWhitespace(ApplyHashtagPolicy(text, policy, cap, changes));
}

HashtagPolicy Policy(HashtagPlacement placement, size_t max, bool camel = false) {
  HashtagPolicy p;
  p.placement = placement;
  p.max_hashtags = max;
  p.camel_case = camel;
  return p;
}

constexpr std::string_view kPost =
    "Get your #flu shot at St Mary's this week.\n\n#Vaccines #PublicHealth #StMarys";

TEST(HashtagPolicyTest, InlineKeepsTheFirstTagsWhereTheyAreAndRemovesTheRestOfTheBlock) {
  HashtagChanges changes;
  EXPECT_EQ(Apply(kPost, Policy(HashtagPlacement::kInline, 2), 0, &changes),
            "Get your #flu shot at St Mary's this week.\n\n#Vaccines");
  EXPECT_EQ(changes.kept, 2U);
  EXPECT_EQ(changes.dropped, 2U);
}

TEST(HashtagPolicyTest, InlineTagsBeyondTheLimitStayAsWords) {
  EXPECT_EQ(Apply("#Flu season: book #vaccine clinics now. #StMarys",
                  Policy(HashtagPlacement::kInline, 1)),
            "#Flu season: book vaccine clinics now.");
  EXPECT_EQ(Apply(kPost, Policy(HashtagPlacement::kInline, 0)),
            "Get your flu shot at St Mary's this week.");
}

TEST(HashtagPolicyTest, InlineWithoutLimitKeepsEverythingButABlockRepeat) {
  EXPECT_EQ(Apply("Get your #FluShot today.\n\n#flushot #StMarys", HashtagPolicy{}),
            "Get your #FluShot today.\n\n#StMarys");
}

TEST(HashtagPolicyTest, EndMovesDistinctTagsToOneBlockInOrderOfFirstAppearance) {
  HashtagChanges changes;
  EXPECT_EQ(Apply("Get your #flu shot today.\n\n#Vaccines #FLU", Policy(HashtagPlacement::kEnd, 5),
                  0, &changes),
            "Get your flu shot today.\n\n#flu #Vaccines");
  EXPECT_EQ(changes.kept, 2U);
  EXPECT_EQ(changes.dropped, 0U);
  EXPECT_EQ(Apply(kPost, Policy(HashtagPlacement::kEnd, 2), 0, &changes),
            "Get your flu shot at St Mary's this week.\n\n#flu #Vaccines");
  EXPECT_EQ(changes.dropped, 2U);
}

TEST(HashtagPolicyTest, TagsEndingASentenceAreNotABlock) {
  EXPECT_EQ(Apply("Get your #flu #shot", Policy(HashtagPlacement::kEnd, 5)),
            "Get your flu shot\n\n#flu #shot");
  EXPECT_EQ(Apply("#OnlyTags #Here", Policy(HashtagPlacement::kEnd, 5)), "#OnlyTags #Here");
}

TEST(HashtagPolicyTest, DropUnmarksSentenceTagsAndRemovesTheBlock) {
  HashtagChanges changes;
  EXPECT_EQ(Apply(kPost, Policy(HashtagPlacement::kDrop, 10), 0, &changes),
            "Get your flu shot at St Mary's this week.");
  EXPECT_EQ(changes.kept, 0U);
  EXPECT_EQ(changes.dropped, 4U);
}

TEST(HashtagPolicyTest, TheNetworkCapAppliesOnTopOfThePolicy) {
  std::string text = "Tags:";
  for (int i = 0; i < 40; ++i) text += " #tag" + std::to_string(i);
  HashtagChanges changes;
  Apply(text, Policy(HashtagPlacement::kInline, kUnlimitedHashtags), 30, &changes);
  EXPECT_EQ(changes.kept, 30U);
  Apply(text, Policy(HashtagPlacement::kInline, 3), 30, &changes);
  EXPECT_EQ(changes.kept, 3U);
}

TEST(HashtagPolicyTest, CamelCaseUsesTheMostCapitalisedSpellingOrAGivenOne) {
  HashtagPolicy p = Policy(HashtagPlacement::kInline, kUnlimitedHashtags, /*camel=*/true);
  p.spellings = {{"publichealth", "PublicHealth"}, {"stmarys", "StMarysHospital"}};
  EXPECT_EQ(Apply("Your #flushot and #FluShot. #publichealth #stmarys #vaccines #健康", p),
            "Your #FluShot and #FluShot. #PublicHealth #Stmarys #Vaccines #健康");
  // Without camel_case tags keep the spelling the author used.
  EXPECT_EQ(Apply("Your #flushot and #FluShot.", Policy(HashtagPlacement::kInline, 5)),
            "Your #flushot and #FluShot.");
}

TEST(HashtagPolicyTest, LinksAreNotTags) {
  EXPECT_EQ(Apply("See https://stmarys.org/#flu now", Policy(HashtagPlacement::kDrop, 0)),
            "See https://stmarys.org/#flu now");
}

TEST(HashtagPolicyTest, Defaults) {
  const HashtagPolicy x = DefaultHashtagPolicy(v1::NETWORK_X);
  EXPECT_EQ(x.placement, HashtagPlacement::kInline);
  EXPECT_EQ(x.max_hashtags, 2U);
  const HashtagPolicy mastodon = DefaultHashtagPolicy(v1::NETWORK_MASTODON);
  EXPECT_TRUE(mastodon.camel_case);
  EXPECT_EQ(mastodon.max_hashtags, 5U);
  EXPECT_EQ(DefaultHashtagPolicy(v1::NETWORK_LINKEDIN).placement, HashtagPlacement::kEnd);
  EXPECT_EQ(DefaultHashtagPolicy(v1::NETWORK_INSTAGRAM).placement, HashtagPlacement::kEnd);
  EXPECT_EQ(DefaultHashtagPolicy(v1::NETWORK_INSTAGRAM).max_hashtags, 30U);
  EXPECT_EQ(DefaultHashtagPolicy(v1::NETWORK_WORDPRESS).placement, HashtagPlacement::kDrop);
  EXPECT_EQ(DefaultHashtagPolicy(v1::NETWORK_SANDBOX).max_hashtags, kUnlimitedHashtags);
}

}  // namespace
}  // namespace carecast::common::repurpose
