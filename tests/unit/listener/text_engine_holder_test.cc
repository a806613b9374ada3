// The text engine holder: a new taxonomy builds a new engine that keeps the
// tracked keywords; a taxonomy that does not build leaves the engine in force;
// classifications racing swaps see one whole engine or the other.
#include "services/listener/text_engine_holder.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/text/text_config.h"

namespace carecast::listener {
namespace {

using ::testing::Contains;
using ::testing::Not;

std::vector<std::string> Topics(const TextEngineHolder& holder, std::string_view text) {
  auto analysis = holder.Current()->Analyze(text, {});
  EXPECT_TRUE(analysis.ok()) << analysis.status();
  std::vector<std::string> topics;
  for (const auto& t : analysis->topics()) topics.push_back(t.topic());
  return topics;
}

std::vector<std::string> Keywords(const TextEngineHolder& holder, std::string_view text) {
  auto analysis = holder.Current()->Analyze(text, {});
  EXPECT_TRUE(analysis.ok()) << analysis.status();
  return {analysis->keywords().begin(), analysis->keywords().end()};
}

std::unique_ptr<TextEngineHolder> Holder(std::vector<std::string> keywords) {
  auto holder = TextEngineHolder::Create(common::text::DefaultTextConfig(), std::move(keywords));
  EXPECT_TRUE(holder.ok()) << holder.status();
  return *std::move(holder);
}

TEST(TextEngineHolderTest, ANewTaxonomyKeepsTheTrackedKeywords) {
  std::unique_ptr<TextEngineHolder> holder = Holder({"St Marys"});
  const std::string text = "The St Marys flu clinic and its cardiologist";
  EXPECT_THAT(Topics(*holder, text), Contains("service_line/cardiology"));

  ASSERT_TRUE(holder->ReplaceTaxonomy("flu_clinic\tflu clinic|flu jab\n").ok());
  EXPECT_THAT(Topics(*holder, text), Contains("flu_clinic"));
  EXPECT_THAT(Topics(*holder, text), Not(Contains("service_line/cardiology")));
  EXPECT_THAT(Keywords(*holder, text), Contains("St Marys"));

  // Keywords set since are carried into the next engine too.
  ASSERT_TRUE(holder->ReplaceTrackedKeywords({"Harbor Hospital"}).ok());
  ASSERT_TRUE(holder->ReplaceTaxonomy("parking\tparking\n").ok());
  EXPECT_THAT(Keywords(*holder, "Harbor Hospital parking"), Contains("Harbor Hospital"));
  EXPECT_THAT(Topics(*holder, "Harbor Hospital parking"), Contains("parking"));
}

TEST(TextEngineHolderTest, ATaxonomyThatDoesNotBuildLeavesTheEngineInForce) {
  std::unique_ptr<TextEngineHolder> holder = Holder({});
  const auto before = holder->Current();
  EXPECT_EQ(holder->ReplaceTaxonomy("a line without a tab\n").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(holder->Current(), before);
  EXPECT_EQ(holder->ReplaceTrackedKeywords({""}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(holder->Current(), before);
}

TEST(TextEngineHolderTest, ClassificationsRacingSwapsSeeOneWholeEngine) {
  std::unique_ptr<TextEngineHolder> holder = Holder({"St Marys"});
  ASSERT_TRUE(holder->ReplaceTaxonomy("alpha\tflu clinic\n").ok());
  std::atomic<bool> done{false};
  std::atomic<int> seen_alpha{0};
  std::atomic<int> seen_beta{0};
  std::vector<std::thread> readers;
  readers.reserve(3);
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      // At least one read per reader, even when the swaps finish first.
      do {
        auto analysis = holder->Current()->Analyze("St Marys flu clinic", {});
        ASSERT_TRUE(analysis.ok());
        ASSERT_EQ(analysis->topics_size(), 1);
        const std::string& topic = analysis->topics(0).topic();
        ASSERT_TRUE(topic == "alpha" || topic == "beta") << topic;
        (topic == "alpha" ? seen_alpha : seen_beta)++;
        ASSERT_EQ(analysis->keywords_size(), 1);
      } while (!done.load());
    });
  }
  // Taxonomy swaps only: a keyword swap racing Analyze inside one engine is the
  // engine's own std::atomic<std::shared_ptr>, which libstdc++ 12 unlocks with
  // a relaxed store on load, so TSan reports it (text_analyzer.h).
  for (int swap = 0; swap < 4; ++swap) {
    ASSERT_TRUE(
        holder->ReplaceTaxonomy(swap % 2 == 0 ? "beta\tflu clinic\n" : "alpha\tflu clinic\n").ok());
  }
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_GT(seen_alpha + seen_beta, 0);
  EXPECT_THAT(Topics(*holder, "flu clinic"), Contains("alpha"));
}

}  // namespace
}  // namespace carecast::listener
