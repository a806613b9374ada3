#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/unit/text/test_analyzer.h"

namespace carecast::common::text {
namespace {

bool HasTopic(const carecast::v1::TextAnalysis& a, std::string_view topic) {
  for (const auto& t : a.topics()) {
    if (t.topic() == topic) return true;
  }
  return false;
}

TEST(AnalyzerTest, TopicsWithEvidence) {
  auto a = MustAnalyze("Waited 5 hours in the ER and then got a surprise bill. Parking was $30!");
  EXPECT_TRUE(HasTopic(a, "service_line/emergency"));
  EXPECT_TRUE(HasTopic(a, "patient_experience/billing"));
  EXPECT_TRUE(HasTopic(a, "patient_experience/parking"));
  EXPECT_TRUE(HasTopic(a, "patient_experience/wait_times"));
  for (const auto& t : a.topics()) EXPECT_GT(t.evidence_size(), 0) << t.topic();
  EXPECT_FALSE(HasTopic(MustAnalyze("her answer was wrong"),
                        "service_line/emergency"));  // "er" inside words
}

TEST(AnalyzerTest, TrackedKeywordsOnWordBoundaries) {
  auto a = MustAnalyze("Love #heartmonth at MERCY  GENERAL, thanks carecast!");
  std::vector<std::string> kw(a.keywords().begin(), a.keywords().end());
  EXPECT_EQ(kw, (std::vector<std::string>{"#HeartMonth",
                                          "CareCast"}));  // "MERCY  GENERAL" has two spaces
  EXPECT_EQ(MustAnalyze("carecasting is not a word").keywords_size(), 0);
  auto b = MustAnalyze("Shout-out to Mercy General and St. Luke\xE2\x80\x99s");
  EXPECT_EQ(b.keywords_size(), 2);
}

TEST(AnalyzerTest, ReplaceTrackedKeywordsSwapsAtomically) {
  auto made = TextAnalyzer::Create(DefaultTextConfig());
  ASSERT_TRUE(made.ok());
  TextAnalyzer& a = **made;
  ASSERT_TRUE(a.ReplaceTrackedKeywords({"alpha"}).ok());
  EXPECT_EQ(a.Analyze("alpha beta", {})->keywords_size(), 1);
  // Bad input: no state change.
  absl::Status bad = a.ReplaceTrackedKeywords({"ok", "   "});
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a.tracked_keyword_count(), 1u);
  EXPECT_EQ(a.ReplaceTrackedKeywords({std::string("\xFF")}).code(),
            absl::StatusCode::kInvalidArgument);
  // Concurrent analysis while the set is replaced: every result uses one whole set.
  std::atomic<bool> stop{false};
  std::atomic<int> bad_results{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto res = a.Analyze("alpha beta", {});
        if (!res.ok() || res->keywords_size() != 1) bad_results++;
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    std::vector<std::string> kws = {i % 2 ? "alpha" : "beta"};
    for (int k = 0; k < 200; ++k) kws.push_back("filler" + std::to_string(k));
    ASSERT_TRUE(a.ReplaceTrackedKeywords(kws).ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad_results.load(), 0);
}

TEST(AnalyzerTest, ThousandsOfKeywords) {
  auto made = TextAnalyzer::Create(DefaultTextConfig());
  ASSERT_TRUE(made.ok());
  std::vector<std::string> kws;
  for (int i = 0; i < 10000; ++i) kws.push_back("brand" + std::to_string(i));
  kws.push_back("#FluFighters");
  ASSERT_TRUE((*made)->ReplaceTrackedKeywords(kws).ok());
  auto r = (*made)->Analyze("go #flufighters and brand9999 but not brand99999", {});
  ASSERT_TRUE(r.ok());
  std::vector<std::string> got(r->keywords().begin(), r->keywords().end());
  EXPECT_EQ(got, (std::vector<std::string>{"#FluFighters", "brand9999"}));
}

TEST(AnalyzerTest, UrgencyWithGuidance) {
  auto a = MustAnalyze("I can't go on anymore, I want to end my life");
  EXPECT_TRUE(a.urgent());
  ASSERT_GE(a.urgency_findings_size(), 1);
  EXPECT_EQ(a.urgency_findings(0).category(), "self_harm");
  EXPECT_NE(a.urgency_findings(0).guidance().find("988"), std::string::npos);
  EXPECT_TRUE(MustAnalyze("my dad has chest pain and can't breathe").urgent());
  EXPECT_TRUE(MustAnalyze("someone should bring a gun to that ER").urgent());
  EXPECT_TRUE(MustAnalyze("they gave my mother the wrong medication").urgent());
  EXPECT_FALSE(MustAnalyze("great care at the heart center").urgent());
}

TEST(AnalyzerTest, SpamScoreIsExplained) {
  auto spam = MustAnalyze(
      "FREE MONEY!!! click here bit.ly/x1 bit.ly/x2 http://win.biz DM me #a #b #c #d #e #f");
  EXPECT_GT(spam.spam_score(), 0.7);
  EXPECT_GE(spam.spam_reasons_size(), 3);
  auto ham = MustAnalyze("The maternity ward staff were lovely, thank you");
  EXPECT_LT(ham.spam_score(), 0.2);
  EXPECT_EQ(ham.spam_reasons_size(), 0);
}

TEST(AnalyzerTest, OneResultCarriesEverything) {
  auto a = MustAnalyze(
      "My dad John Miller (DOB 2/3/1931) waited 6 hrs in the ER, call me 312-555-0142 #CareCast "
      "\xF0\x9F\x98\xA1");
  EXPECT_EQ(a.sentiment(), carecast::v1::SENTIMENT_NEGATIVE);
  EXPECT_TRUE(a.contains_phi());
  EXPECT_GE(a.phi_findings_size(), 3);
  EXPECT_EQ(a.hashtags_size(), 1);
  EXPECT_EQ(a.hashtags(0), "carecast");
  EXPECT_GT(a.token_count(), 10);
  EXPECT_TRUE(HasTopic(a, "service_line/emergency"));
}

TEST(AnalyzerTest, CreateRejectsBadConfig) {
  TextConfig config = DefaultTextConfig();
  config.taxonomy = "no tab here";
  EXPECT_EQ(TextAnalyzer::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config = DefaultTextConfig();
  config.lexicon = "good\tnot-a-number\n";
  EXPECT_EQ(TextAnalyzer::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace carecast::common::text

namespace carecast::common::text {
namespace {

TEST(TextConfigTest, DirectoryOverridesBuiltInFiles) {
  std::string dir = ::testing::TempDir() + "/text_config_test";
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/taxonomy.tsv") << "# one topic\ncustom/parking\tvalet|garage\n";
    std::ofstream(dir + "/tracked_keywords.txt") << "# brands\nCareCast\n\n#FluFighters\n";
  }
  auto config = LoadTextConfigFromDir(dir);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tracked_keywords, (std::vector<std::string>{"CareCast", "#FluFighters"}));
  EXPECT_EQ(config->lexicon, DefaultTextConfig().lexicon);  // missing file: built-in kept
  auto a = TextAnalyzer::Create(*config);
  ASSERT_TRUE(a.ok()) << a.status();
  auto r = (*a)->Analyze("The valet lost my keys #flufighters", {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->topics_size(), 1);
  EXPECT_EQ(r->topics(0).topic(), "custom/parking");
  ASSERT_EQ(r->keywords_size(), 1);
  EXPECT_EQ(r->keywords(0), "#FluFighters");
}

TEST(TextConfigTest, EmbeddedDataIsPresent) {
  TextConfig c = DefaultTextConfig();
  EXPECT_GT(c.lexicon.size(), 100000u);
  EXPECT_FALSE(c.taxonomy.empty());
  EXPECT_FALSE(c.first_names.empty());
  EXPECT_TRUE(EmbeddedDataFile("no_such_file").empty());
}

}  // namespace
}  // namespace carecast::common::text
