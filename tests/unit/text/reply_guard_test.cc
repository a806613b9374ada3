// The reply guard on outgoing text: individual medical advice and care confirmed
// in other words are stopped with the rule that fired; invitations to everyone
// ("talk to your doctor") and the hospital's own numbers are not.
#include "tests/unit/text/test_analyzer.h"

namespace carecast::common::text {
namespace {

// The first guard finding of an outgoing text: "kind|reason|words", or "".
std::string FirstFinding(std::string_view text) {
  auto r = SharedAnalyzer().FindPhi(text, AnalyzeOptions{.outgoing = true});
  EXPECT_TRUE(r.ok());
  if (!r.ok()) return "";
  for (const PhiFinding& f : *r) {
    if (f.confidence < kGuardThreshold) continue;
    return std::string(PhiKindName(f.kind)) + "|" + std::string(f.reason) + "|" +
           std::string(text.substr(f.begin, f.end - f.begin));
  }
  return "";
}

TEST(ReplyGuardTest, MedicalAdviceNamesTheRuleAndTheWords) {
  EXPECT_EQ(FirstFinding("Feel better! You could halve the steroids from tomorrow."),
            "medical_advice|reply_medical_advice: change_medicine + medicine|halve the steroids");
  EXPECT_EQ(FirstFinding("Honestly that can wait until the clinic reopens on Monday."),
            "medical_advice|reply_medical_advice: where_to_go|can wait until");
  EXPECT_TRUE(FirstFinding("It sounds like a migraine, dark room and water.")
                  .starts_with("medical_advice|reply_medical_advice: diagnose + complaint"));
}

TEST(ReplyGuardTest, AdviceOnlyOnOutgoingText) {
  auto r = SharedAnalyzer().FindPhi("you could halve the steroids", AnalyzeOptions{});
  ASSERT_TRUE(r.ok());
  for (const PhiFinding& f : *r) EXPECT_NE(f.kind, PhiKind::kMedicalAdvice);
}

TEST(ReplyGuardTest, DeferringToAClinicianIsNotAdvice) {
  EXPECT_EQ(FirstFinding("Please don't stop taking any medicine without talking to your doctor."),
            "");
  EXPECT_EQ(FirstFinding("We can't give medical advice here; ask your pharmacist about the dose."),
            "");
}

TEST(ReplyGuardTest, CareConfirmedInOtherWords) {
  EXPECT_TRUE(FirstFinding("We've rescheduled your scan for next week.")
                  .starts_with("patient_confirmation"));
  EXPECT_TRUE(FirstFinding("Sorry it was so loud on your ward last night.")
                  .starts_with("patient_confirmation"));
  EXPECT_TRUE(FirstFinding("We'll check your results and call you back.")
                  .starts_with("patient_confirmation"));
}

TEST(ReplyGuardTest, InvitationsToEveryoneAreNotConfirmations) {
  EXPECT_EQ(FirstFinding("Talk to your doctor about the new shingles vaccine."), "");
  EXPECT_EQ(FirstFinding("Bring a list of your medicines to each visit."), "");
  EXPECT_EQ(FirstFinding("Book your flu shot online in two minutes."), "");
  EXPECT_EQ(FirstFinding("We've updated our visiting hours for the holidays."), "");
}

TEST(ReplyGuardTest, TheHospitalsOwnNumberIsNotPhi) {
  EXPECT_EQ(FirstFinding("Questions? Call our scheduling line at 555-0134."), "");
  EXPECT_EQ(FirstFinding("Please reach us at 312-555-0100 any time."), "");
  EXPECT_TRUE(FirstFinding("My cell is 312-555-0142, please call.").starts_with("phone"));
}

TEST(ReplyGuardTest, ServiceNamesAreNotPatients) {
  EXPECT_EQ(FirstFinding("Your annual checkup can be booked through the patient portal."), "");
}

}  // namespace
}  // namespace carecast::common::text
