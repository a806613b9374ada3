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

// A generated thread stored as the variant (thread[0] as its text, the rest as
// its thread parts) is approved as one piece and every post made from it
// carries the parts to the publisher.
TEST_F(PlannerVariantsTest, AGeneratedThreadIsApprovedAndEveryPostCarriesItsParts) {
  MakeSpoke();
  v1::Account x = MakeAccount(v1::NETWORK_X, "x-main");
  std::string master =
      "Flu season is here. Our clinics offer free flu shots every Saturday from 9 to 3 for "
      "everyone over six months old. Bring your insurance card if you have one, but nobody is "
      "turned away. Shots take ten minutes and you can walk in without booking. The pharmacy "
      "team will answer questions about allergies and timing on the day.";
  v1::Content probe = DraftContent(master, {});
  auto generated = Generate(probe, {v1::NETWORK_X});
  ASSERT_TRUE(generated.ok()) << generated.status();
  const v1::GeneratedVariant& thread = generated->variants(0);
  ASSERT_GE(thread.thread_size(), 2);

  v1::CreateContentRequest req;
  req.mutable_content()->set_title("Flu shots");
  req.mutable_content()->set_text(master);
  v1::ContentVariant* variant = req.mutable_content()->add_variants();
  variant->set_network(v1::NETWORK_X);
  variant->set_text(thread.thread(0));
  for (int i = 1; i < thread.thread_size(); ++i) variant->add_thread_parts(thread.thread(i));
  auto created = planner_->CreateContent(writer_, req);
  ASSERT_TRUE(created.ok()) << created.status();
  v1::Content approved = Approve(Submit(created->content()));
  ASSERT_EQ(approved.state(), v1::CONTENT_STATE_APPROVED);

  absl::StatusOr<v1::Post> post = Schedule(approved, x.name(), absl::Hours(1));
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(post->text(), thread.thread(0));
  ASSERT_EQ(post->thread_parts_size(), thread.thread_size() - 1);
  for (int i = 1; i < thread.thread_size(); ++i)
    EXPECT_EQ(post->thread_parts(i - 1), thread.thread(i));
}

TEST_F(PlannerVariantsTest, TheGuardChecksEveryThreadPartAndNamesIt) {
  v1::CreateContentRequest req;
  req.mutable_content()->set_title("Flu shots");
  req.mutable_content()->set_text("Free flu shots this Saturday.");
  v1::ContentVariant* variant = req.mutable_content()->add_variants();
  variant->set_network(v1::NETWORK_MASTODON);
  variant->set_text("Free flu shots this Saturday. 1/3");
  variant->add_thread_parts("Walk in, no booking needed. 2/3");
  variant->add_thread_parts("Questions? Call 312-555-0199 tonight. 3/3");
  auto created = planner_->CreateContent(writer_, req);
  ASSERT_TRUE(created.ok()) << created.status();
  v1::Content submitted = Submit(created->content());
  auto before = Take();
  absl::StatusOr<v1::Content> approved = TryApprove(submitted);
  ASSERT_EQ(approved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(approved.status().message()),
              ::testing::HasSubstr("phone in mastodon.thread_parts[1]"));
  EXPECT_THAT(std::string(approved.status().message()),
              ::testing::Not(::testing::HasSubstr("0199")));
  ExpectUnchanged(before, "guard block on a thread part");
}

}  // namespace
}  // namespace carecast::planner
