// GenerateVariants: drafts per network from the master text, threads where a
// network takes them, the network's refusals, and the guard's findings on
// every draft; it changes nothing.
#include "services/common/networks/network_rules.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

class PlannerVariantsTest : public PlannerFixture {
 protected:
  absl::StatusOr<v1::GenerateVariantsResponse> Generate(const v1::Content& c,
                                                        const std::vector<v1::Network>& networks) {
    v1::GenerateVariantsRequest req;
    req.set_name(c.name());
    for (v1::Network n : networks) req.add_networks(n);
    return planner_->GenerateVariants(writer_, req);
  }
};

TEST_F(PlannerVariantsTest, DraftsFitEachNetworkAndLongTextsBecomeThreads) {
  std::string master =
      "Flu season is here. Our clinics at St Mary's offer free flu shots every Saturday "
      "from 9 to 3 for everyone over six months old. Bring your insurance card if you have "
      "one, but nobody is turned away. Shots take ten minutes and you can walk in. Book or "
      "read more at https://stmarys.example.org/flu #FluSeason #Vaccines #Health #StMarys";
  v1::Content c = DraftContent(master, {});
  auto before = Take();
  auto resp = Generate(c, {v1::NETWORK_X, v1::NETWORK_LINKEDIN, v1::NETWORK_INSTAGRAM});
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->variants_size(), 3);
  const v1::GeneratedVariant& x = resp->variants(0);
  EXPECT_EQ(x.code(), 0) << x.message();
  ASSERT_GT(x.thread_size(), 1) << "too long for one X post";
  EXPECT_EQ(x.text(), x.thread(0));
  for (const std::string& part : x.thread()) {
    EXPECT_TRUE(
        common::networks::CheckPostFits(v1::NETWORK_X, part, std::vector<v1::MediaItem>{}).ok())
        << part;
  }
  const v1::GeneratedVariant& linkedin = resp->variants(1);
  EXPECT_EQ(linkedin.code(), 0) << linkedin.message();
  EXPECT_EQ(linkedin.thread_size(), 0);
  EXPECT_TRUE(linkedin.findings().empty());
  const v1::GeneratedVariant& instagram = resp->variants(2);
  EXPECT_EQ(instagram.code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(instagram.message(), ::testing::HasSubstr("image"));
  ExpectUnchanged(before, "GenerateVariants");
}

TEST_F(PlannerVariantsTest, TheGuardLooksAtEveryDraft) {
  v1::Content c = DraftContent("Questions? Call 312-555-0199 tonight.", {});
  auto resp = Generate(c, {v1::NETWORK_MASTODON});
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->variants_size(), 1);
  ASSERT_FALSE(resp->variants(0).findings().empty());
  std::vector<std::string> kinds;
  for (const v1::GuardFinding& f : resp->variants(0).findings()) kinds.push_back(f.kind());
  EXPECT_THAT(kinds, ::testing::Contains("phone"));
  EXPECT_EQ(resp->variants(0).findings(0).field(), "mastodon");
}

TEST_F(PlannerVariantsTest, BadRequestsAreRefused) {
  v1::Content c = DraftContent("Hello.", {});
  EXPECT_EQ(Generate(c, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Generate(c, {v1::NETWORK_X, v1::NETWORK_X}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Generate(c, {v1::NETWORK_UNSPECIFIED}).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::GenerateVariantsRequest missing;
  missing.set_name("contents/nothing-here");
  missing.add_networks(v1::NETWORK_X);
  EXPECT_EQ(planner_->GenerateVariants(writer_, missing).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace carecast::planner
