#include "services/listener/simple_rules_classifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace carecast::listener {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class SimpleRulesClassifierTest : public ::testing::Test {
 protected:
  SimpleRulesClassifier classifier_{{"St Marys", "#FluShot", " ", "ST MARYS"}};
};

TEST_F(SimpleRulesClassifierTest, PositiveWordsGivePositiveSentiment) {
  v1::Classification c = classifier_.Classify("The nurses were wonderful, thank you!");
  EXPECT_EQ(c.sentiment(), v1::SENTIMENT_POSITIVE);
  EXPECT_DOUBLE_EQ(c.sentiment_score(), 1.0);
  EXPECT_THAT(c.sentiment_evidence(), ElementsAre("wonderful", "thank"));
  EXPECT_FALSE(c.needs_response());
  EXPECT_THAT(c.reasons(), IsEmpty());
}

TEST_F(SimpleRulesClassifierTest, NegativeWordsNeedAResponse) {
  v1::Classification c = classifier_.Classify("Rude staff and a dirty waiting room.");
  EXPECT_EQ(c.sentiment(), v1::SENTIMENT_NEGATIVE);
  EXPECT_DOUBLE_EQ(c.sentiment_score(), -1.0);
  EXPECT_TRUE(c.needs_response());
  ASSERT_EQ(c.reasons_size(), 1);
  EXPECT_THAT(c.reasons(0), HasSubstr("negative sentiment"));
  EXPECT_THAT(c.reasons(0), HasSubstr("\"rude\""));
}

TEST_F(SimpleRulesClassifierTest, OneWordNegationFlipsPolarity) {
  v1::Classification c = classifier_.Classify("The food was not good.");
  EXPECT_EQ(c.sentiment(), v1::SENTIMENT_NEGATIVE);
  EXPECT_THAT(c.sentiment_evidence(), ElementsAre("not good"));

  c = classifier_.Classify("Honestly not bad at all");
  EXPECT_EQ(c.sentiment(), v1::SENTIMENT_POSITIVE);
  EXPECT_THAT(c.sentiment_evidence(), ElementsAre("not bad"));

  // Only the word right after the negator flips.
  c = classifier_.Classify("not the best, not the worst");
  EXPECT_EQ(c.sentiment(), v1::SENTIMENT_NEUTRAL);
}

TEST_F(SimpleRulesClassifierTest, MixedOrNoSentimentIsNeutral) {
  EXPECT_EQ(classifier_.Classify("Parking opens at 7.").sentiment(), v1::SENTIMENT_NEUTRAL);
  v1::Classification c = classifier_.Classify("Great doctor, rude receptionist");
  EXPECT_EQ(c.sentiment(), v1::SENTIMENT_NEUTRAL);
  EXPECT_DOUBLE_EQ(c.sentiment_score(), 0.0);
  EXPECT_FALSE(c.needs_response());
}

TEST_F(SimpleRulesClassifierTest, TrackedKeywordsMatchWholeWordsIgnoringCase) {
  EXPECT_THAT(classifier_.Classify("Visited ST MARYS today").keywords(), ElementsAre("st marys"));
  EXPECT_THAT(classifier_.Classify("Got my #flushot at st marys.").keywords(),
              ElementsAre("st marys", "#flushot"));
  EXPECT_THAT(classifier_.Classify("st maryshill is far").keywords(), IsEmpty());
  EXPECT_THAT(classifier_.Classify("best marys").keywords(), IsEmpty());
  EXPECT_THAT(classifier_.Classify("no#flushot here").keywords(), ElementsAre("#flushot"));
  EXPECT_THAT(classifier_.Classify("st marys's garden").keywords(), ElementsAre("st marys"));
}

TEST_F(SimpleRulesClassifierTest, QuestionsAndComplaintsNeedAResponse) {
  v1::Classification c = classifier_.Classify("Is the clinic open on Sunday?");
  EXPECT_TRUE(c.needs_response());
  EXPECT_THAT(c.reasons(), ElementsAre("question"));

  c = classifier_.Classify("I want a refund for this bill");
  EXPECT_TRUE(c.needs_response());
  EXPECT_THAT(c.reasons(), ElementsAre("complaint word \"refund\""));
}

TEST_F(SimpleRulesClassifierTest, UrgentTermsAreFlaggedWithReasons) {
  v1::Classification c = classifier_.Classify("I think my brother took an overdose");
  EXPECT_TRUE(c.urgent());
  EXPECT_TRUE(c.needs_response());
  EXPECT_THAT(c.reasons(), Contains("urgent term \"overdose\""));

  EXPECT_TRUE(classifier_.Classify("someone call 911").urgent());
  EXPECT_TRUE(classifier_.Classify("I want to end my life").urgent());
  EXPECT_TRUE(classifier_.Classify("man with a GUN in the lobby").urgent());
  EXPECT_FALSE(classifier_.Classify("The emergency room staff were great").urgent());
  EXPECT_FALSE(classifier_.Classify("gunther says hi").urgent());
}

TEST_F(SimpleRulesClassifierTest, PhoneNumbersAndEmailsAreFlaggedAsPhi) {
  v1::TextAnalysis a =
      classifier_.Analyze("call me at (555) 123-4567 or jo.doe@example.org", false);
  ASSERT_EQ(a.phi_findings_size(), 2);
  EXPECT_EQ(a.phi_findings(0).kind(), "phone_number");
  EXPECT_EQ(a.phi_findings(0).begin(), 11);
  EXPECT_EQ(a.phi_findings(0).end(), 25);
  EXPECT_EQ(a.phi_findings(1).kind(), "email_address");
  EXPECT_EQ(a.phi_findings(1).begin(), 29);
  EXPECT_EQ(a.phi_findings(1).end(), 47);
  EXPECT_TRUE(classifier_.Classify("text 555.123.4567 please").contains_phi());
  EXPECT_TRUE(classifier_.Classify("+1 555 123 4567").contains_phi());

  EXPECT_FALSE(classifier_.Classify("order 12345678901234 shipped").contains_phi());
  EXPECT_FALSE(classifier_.Classify("follow @stmarys for updates").contains_phi());
  EXPECT_FALSE(classifier_.Classify("call 911").contains_phi());
}

TEST_F(SimpleRulesClassifierTest, OutgoingTextIsCheckedForPatientConfirmation) {
  const std::string reply = "We hope your visit went well";
  EXPECT_EQ(classifier_.Analyze(reply, false).phi_findings_size(), 0);
  v1::TextAnalysis a = classifier_.Analyze(reply, true);
  ASSERT_EQ(a.phi_findings_size(), 1);
  EXPECT_EQ(a.phi_findings(0).kind(), "patient_confirmation");
  EXPECT_EQ(
      reply.substr(a.phi_findings(0).begin(), a.phi_findings(0).end() - a.phi_findings(0).begin()),
      "your visit");
}

TEST_F(SimpleRulesClassifierTest, AnalyzeReportsUrgencyReasons) {
  v1::TextAnalysis a = classifier_.Analyze("Feeling suicidal, chest pain too", false);
  EXPECT_TRUE(a.urgent());
  EXPECT_THAT(a.urgency_reasons(),
              ElementsAre("urgent term \"suicidal\"", "urgent phrase \"chest pain\""));
}

TEST_F(SimpleRulesClassifierTest, NonAsciiTextIsHandled) {
  v1::Classification c = classifier_.Classify("Très bien, merci! Café was great 😊");
  EXPECT_EQ(c.sentiment(), v1::SENTIMENT_POSITIVE);
  EXPECT_THAT(c.sentiment_evidence(), ElementsAre("great"));
}

}  // namespace
}  // namespace carecast::listener
