#include "services/planner/engine_guard.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/shared_text_engine.h"

namespace carecast::planner {
namespace {

using ::testing::Contains;

std::vector<std::string> Kinds(const std::string& text) {
  EngineGuard guard(testing::SharedTextEngine());
  std::vector<std::string> kinds;
  for (const auto& f : guard.Check(text)) kinds.push_back(f.kind());
  return kinds;
}

TEST(EngineGuardTest, FindsPhoneNumbersInCommonShapes) {
  for (const std::string number :
       {"312-555-0199", "(312) 555-0199", "312.555.0199", "+1 312 555 0199", "1-800-555-0199"}) {
    std::string text = "Call her at " + number + " tonight.";
    EngineGuard guard(testing::SharedTextEngine());
    auto findings = guard.Check(text);
    ASSERT_FALSE(findings.empty()) << number;
    EXPECT_EQ(findings[0].kind(), "phone") << number;
    EXPECT_NE(text.substr(findings[0].begin(), findings[0].end() - findings[0].begin()).find("555"),
              std::string::npos);
    EXPECT_FALSE(findings[0].reason().empty());
    EXPECT_EQ(findings[0].reason().find(number), std::string::npos) << "reasons never quote text";
  }
}

TEST(EngineGuardTest, FindsEmailRecordNumbersAndSsn) {
  EXPECT_THAT(Kinds("Write to jane.doe@st-marys.example.org"), Contains("email"));
  EXPECT_THAT(Kinds("Her MRN 00482913 is on the form"), Contains("medical_record_number"));
  EXPECT_THAT(Kinds("SSN 123-45-6789 was on the letter"), Contains("ssn"));
}

TEST(EngineGuardTest, FindsPatientDisclosureAndConfirmation) {
  EXPECT_THAT(Kinds("Congratulations to Maria Lopez on finishing chemotherapy with us!"),
              Contains("patient_disclosure"));
  EXPECT_THAT(Kinds("We hope you are recovering well after your procedure."),
              Contains("patient_confirmation"));
}

TEST(EngineGuardTest, LeavesOrdinaryHealthSystemTextAlone) {
  EXPECT_TRUE(Kinds("Walk-in flu shots at St Mary, weekdays 8-6. #fluseason").empty());
  EXPECT_TRUE(Kinds("Our cardiology team welcomes two new nurses this month.").empty());
}

TEST(EngineGuardTest, TextTheEngineRefusesIsAFindingNeverAPass) {
  EngineGuard guard(testing::SharedTextEngine());
  auto findings = guard.Check(std::string("bad \xff utf-8"));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind(), "invalid_text");
}

}  // namespace
}  // namespace carecast::planner
