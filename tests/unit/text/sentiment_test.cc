#include "tests/unit/text/test_analyzer.h"

namespace carecast::common::text {
namespace {

using carecast::v1::SENTIMENT_NEGATIVE;
using carecast::v1::SENTIMENT_NEUTRAL;
using carecast::v1::SENTIMENT_POSITIVE;

double Score(std::string_view text) { return MustAnalyze(text).sentiment_score(); }

TEST(SentimentTest, LabelsAndEvidence) {
  auto a = MustAnalyze("The nurses were wonderful and so kind");
  EXPECT_EQ(a.sentiment(), SENTIMENT_POSITIVE);
  ASSERT_GE(a.sentiment_evidence_size(), 1);
  EXPECT_EQ(a.sentiment_evidence(0), "wonderful");
  auto b = MustAnalyze("The front desk was rude and dismissive");
  EXPECT_EQ(b.sentiment(), SENTIMENT_NEGATIVE);
  EXPECT_EQ(MustAnalyze("Visiting hours are 9 to 5").sentiment(), SENTIMENT_NEUTRAL);
}

TEST(SentimentTest, NegationFlipsWithinScope) {
  EXPECT_LT(Score("the staff was not helpful"), -0.05);
  EXPECT_GT(Score("the staff was helpful"), 0.05);
  EXPECT_GT(Score("honestly not bad at all"), 0.05);
  auto a = MustAnalyze("the staff was not helpful");
  ASSERT_GE(a.sentiment_evidence_size(), 1);
  EXPECT_EQ(a.sentiment_evidence(0), "not helpful");
  // Negation stops at a clause break.
  EXPECT_GT(Score("no wait. great doctors"), 0.05);
}

TEST(SentimentTest, IntensifiersCapsAndPunctuation) {
  EXPECT_GT(Score("very good"), Score("good"));
  EXPECT_LT(Score("slightly good"), Score("good"));
  EXPECT_GT(Score("the care was GOOD today"), Score("the care was good today"));
  EXPECT_GT(Score("good!!!"), Score("good"));
}

TEST(SentimentTest, ButShiftsWeightToTheSecondClause) {
  EXPECT_LT(Score("The food was great but the billing was terrible"), 0);
  EXPECT_GT(Score("The wait was terrible but the nurses were great"), 0);
}

TEST(SentimentTest, EmojiAndEmoticons) {
  EXPECT_GT(Score("thank you \xF0\x9F\x99\x8F\xE2\x9D\xA4\xEF\xB8\x8F"), 0.3);
  EXPECT_LT(Score("parking again \xF0\x9F\x98\xA1"), -0.3);
  EXPECT_GT(Score("discharged today :)"), 0.05);
}

TEST(SentimentTest, IllnessWordsAreNotAngerAtTheHospital) {
  EXPECT_EQ(MustAnalyze("My mom has cancer and is in pain").sentiment(), SENTIMENT_NEUTRAL);
  EXPECT_EQ(MustAnalyze("Tested positive for flu, heading to urgent care").sentiment(),
            SENTIMENT_NEUTRAL);
  EXPECT_EQ(MustAnalyze("My dad has cancer and the oncology team was amazing").sentiment(),
            SENTIMENT_POSITIVE);
  EXPECT_EQ(MustAnalyze("Cancer care here is a joke, nobody called me back, terrible").sentiment(),
            SENTIMENT_NEGATIVE);
}

}  // namespace
}  // namespace carecast::common::text
