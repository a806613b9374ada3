#include "services/listener/engine_classifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/shared_text_engine.h"
#include "tests/unit/listener/shared_engine_holder.h"

namespace carecast::listener {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

class EngineClassifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(testing::SharedTextEngine().ReplaceTrackedKeywords({"St Marys", "#FluShot"}).ok());
  }
  EngineClassifier classifier_{SharedEngineHolder()};
};

TEST_F(EngineClassifierTest, PraiseIsPositiveAndNeedsNoAnswer) {
  v1::Classification c = classifier_.Classify("The nurses were wonderful, thank you so much!");
  EXPECT_EQ(c.sentiment(), v1::SENTIMENT_POSITIVE);
  EXPECT_GT(c.sentiment_score(), 0);
  EXPECT_FALSE(c.sentiment_evidence().empty());
  EXPECT_FALSE(c.needs_response());
}

TEST_F(EngineClassifierTest, ComplaintsAreNegativeAndNeedAnAnswer) {
  v1::Classification c = classifier_.Classify("Rude staff and a filthy waiting room. Terrible.");
  EXPECT_EQ(c.sentiment(), v1::SENTIMENT_NEGATIVE);
  EXPECT_TRUE(c.needs_response());
  EXPECT_THAT(c.reasons(), Contains("negative sentiment"));
}

TEST_F(EngineClassifierTest, IllnessWordsAreNotAngerAtTheHospital) {
  v1::Classification c =
      classifier_.Classify("My mom is fighting cancer and the oncology nurses have been amazing.");
  EXPECT_NE(c.sentiment(), v1::SENTIMENT_NEGATIVE);
  EXPECT_THAT(c.topics(), Contains(HasSubstr("oncology")));
}

TEST_F(EngineClassifierTest, QuestionsNeedAnAnswer) {
  v1::Classification c = classifier_.Classify("Are you open on Sunday");
  EXPECT_FALSE(c.needs_response()) << "no question mark, no complaint: nothing to answer";
  v1::Classification q = classifier_.Classify("Are you open on Sunday?");
  EXPECT_TRUE(q.needs_response());
  EXPECT_THAT(q.reasons(), Contains("question"));
}

TEST_F(EngineClassifierTest, SelfHarmIsUrgentWithItsCategory) {
  v1::Classification c = classifier_.Classify("I can't go on, I want to kill myself tonight");
  EXPECT_TRUE(c.urgent());
  EXPECT_TRUE(c.needs_response());
  EXPECT_THAT(c.reasons(), Contains("urgent: self_harm"));
  // The engine's guidance for the category travels with the classification.
  ASSERT_EQ(c.urgency_guidance_size(), 1);
  EXPECT_NE(c.urgency_guidance(0).find("988"), std::string::npos) << c.urgency_guidance(0);
}

TEST_F(EngineClassifierTest, DisclosedPhoneNumbersAreTakenOffline) {
  v1::Classification c = classifier_.Classify("Please call my dad back at 312-555-0199 today");
  EXPECT_TRUE(c.contains_phi());
  EXPECT_TRUE(c.needs_response());
  EXPECT_THAT(c.reasons(), Contains(HasSubstr("take it offline")));
}

TEST_F(EngineClassifierTest, TrackedKeywordsAreReported) {
  v1::Classification c = classifier_.Classify("Got my #flushot at st marys today");
  EXPECT_THAT(c.keywords(), Contains("#FluShot"));
  EXPECT_THAT(c.keywords(), Contains("St Marys"));
}

TEST_F(EngineClassifierTest, OutgoingRepliesAreCheckedForPatientConfirmation) {
  v1::TextAnalysis incoming = classifier_.Analyze("We are sorry about your visit last week", false);
  v1::TextAnalysis outgoing = classifier_.Analyze("We are sorry about your visit last week", true);
  bool confirms = false;
  for (const auto& f : outgoing.phi_findings()) confirms |= f.kind() == "patient_confirmation";
  EXPECT_TRUE(confirms);
  for (const auto& f : incoming.phi_findings()) EXPECT_NE(f.kind(), "patient_confirmation");
}

}  // namespace
}  // namespace carecast::listener
