// Links in a variant: kept, replaced by a phrase (Instagram), or dropped.
#include "services/common/repurpose/link_policy.h"

#include <gtest/gtest.h>

#include "services/common/repurpose/text_scan.h"

namespace carecast::common::repurpose {
namespace {

TEST(LinkPolicyTest, InstagramReplacesLinksAndEveryOtherNetworkKeepsThem) {
  EXPECT_EQ(DefaultLinkPolicy(v1::NETWORK_INSTAGRAM).handling, LinkHandling::kReplace);
  EXPECT_EQ(DefaultLinkPolicy(v1::NETWORK_INSTAGRAM).replacement, "(link in bio)");
  for (v1::Network n :
       {v1::NETWORK_X, v1::NETWORK_MASTODON, v1::NETWORK_BLUESKY, v1::NETWORK_LINKEDIN,
        v1::NETWORK_FACEBOOK, v1::NETWORK_WORDPRESS, v1::NETWORK_SANDBOX, v1::NETWORK_WEBHOOK}) {
    EXPECT_EQ(DefaultLinkPolicy(n).handling, LinkHandling::kKeep) << n;
  }
}

TEST(LinkPolicyTest, KeepLeavesTheTextAlone) {
  size_t changed = 7;
  EXPECT_EQ(ApplyLinkPolicy("Book at https://stmarys.org/flu.", {}, &changed),
            "Book at https://stmarys.org/flu.");
  EXPECT_EQ(changed, 0U);
}

TEST(LinkPolicyTest, ReplaceUsesTheConfiguredPhraseForEachLink) {
  size_t changed = 0;
  EXPECT_EQ(ApplyLinkPolicy("Book at https://stmarys.org/flu. Map: http://x.org/map",
                            {LinkHandling::kReplace, "(link in bio)"}, &changed),
            "Book at (link in bio). Map: (link in bio)");
  EXPECT_EQ(changed, 2U);
  EXPECT_EQ(ApplyLinkPolicy("Details: https://stmarys.org", {LinkHandling::kReplace, "see bio"}),
            "Details: see bio");
}

TEST(LinkPolicyTest, DropRemovesTheLinkAndTheSpaceBeforeIt) {
  size_t changed = 0;
  const LinkPolicy drop{LinkHandling::kDrop, ""};
  EXPECT_EQ(ApplyLinkPolicy("Book at https://stmarys.org/flu today.", drop, &changed),
            "Book at today.");
  EXPECT_EQ(ApplyLinkPolicy("Book now https://stmarys.org/flu.", drop), "Book now.");
  EXPECT_EQ(NormalizeWhitespace(ApplyLinkPolicy("https://stmarys.org/flu\nBook now.", drop)),
            "Book now.");
  EXPECT_EQ(changed, 1U);
}

}  // namespace
}  // namespace carecast::common::repurpose
