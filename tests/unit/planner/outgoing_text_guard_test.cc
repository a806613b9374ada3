#include "services/planner/outgoing_text_guard.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace carecast::planner {
namespace {

std::vector<std::string> Kinds(const PatternGuard& guard, const std::string& text) {
  std::vector<std::string> kinds;
  for (const auto& f : guard.Check(text)) kinds.push_back(f.kind());
  return kinds;
}

TEST(PatternGuardTest, FindsPhoneNumbersInEveryCommonShape) {
  PatternGuard guard;
  for (const std::string number :
       {"555-123-4567", "(555) 123-4567", "(555)123-4567", "555.123.4567", "555 123 4567",
        "5551234567", "+1 555 123 4567", "+1-555-123-4567", "1-800-555-0199", "+1 (555) 123-4567",
        "+44 20 7946 0958", "+49 30 901820"}) {
    std::string text = "Call me at " + number + " tonight.";
    auto findings = guard.Check(text);
    ASSERT_EQ(findings.size(), 1u) << number;
    EXPECT_EQ(findings[0].kind(), "phone_number") << number;
    EXPECT_EQ(text.substr(findings[0].begin(), findings[0].end() - findings[0].begin()), number);
    EXPECT_FALSE(findings[0].reason().empty());
  }
}

TEST(PatternGuardTest, FindsEmailAddresses) {
  PatternGuard guard;
  std::string text = "Write to jane.doe+clinic@st-marys.example.org about it";
  auto findings = guard.Check(text);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind(), "email_address");
  EXPECT_EQ(text.substr(findings[0].begin(), findings[0].end() - findings[0].begin()),
            "jane.doe+clinic@st-marys.example.org");
  EXPECT_NE(findings[0].reason().find("e-mail"), std::string::npos);
}

TEST(PatternGuardTest, FindsRecordNumbers) {
  PatternGuard guard;
  for (const std::string text :
       {"Patient MRN: 12345678 was seen", "mrn#A1234567", "medical record number 7654321",
        "see record # 55-1234", "acct 99812345 is overdue", "Account No. 4412-9981",
        "patient id 00123456", "chart #C-88231", "the records for 84412399 are ready"}) {
    auto kinds = Kinds(guard, text);
    ASSERT_FALSE(kinds.empty()) << text;
    EXPECT_EQ(kinds[0], "record_number") << text;
  }
}

TEST(PatternGuardTest, FindsSocialSecurityNumbers) {
  PatternGuard guard;
  EXPECT_EQ(Kinds(guard, "SSN 123-45-6789 on file"), std::vector<std::string>{"national_id"});
}

TEST(PatternGuardTest, LeavesOrdinaryHealthSystemTextAlone) {
  PatternGuard guard;
  for (const std::string text :
       {"Join us on May 5 at 10:30 for a free flu shot clinic!",
        "Our 2024 campaign reached 15,000 people across 12 clinics.",
        "Visit https://example.org/heart-health to learn more #HeartMonth",
        "Open 8-5, Monday to Friday. Parking in lot 3.", "Years 2019-2024 in review",
        "Record turnout: 1200 runners!", "We are proud of our account of care.", "Ward 12, bed 4",
        "Version 1.2.3 of the app", "Call 911 in an emergency."}) {
    EXPECT_TRUE(guard.Check(text).empty()) << text;
  }
}

TEST(PatternGuardTest, DoesNotReportDigitsInsideLongerRuns) {
  PatternGuard guard;
  // A 14-digit run is not a phone number (it may be a record number near a keyword).
  EXPECT_TRUE(guard.Check("tracking 12345678901234 shipped").empty());
}

TEST(PatternGuardTest, ReportsSeveralFindingsInOrderWithByteOffsets) {
  PatternGuard guard;
  std::string text = "Ünïcödé: mail a@b.co or call 555-123-4567; MRN 998877";
  auto findings = guard.Check(text);
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[0].kind(), "email_address");
  EXPECT_EQ(findings[1].kind(), "phone_number");
  EXPECT_EQ(findings[2].kind(), "record_number");
  EXPECT_EQ(text.substr(findings[1].begin(), 12), "555-123-4567");
  EXPECT_LT(findings[0].end(), findings[1].begin());
}

TEST(PatternGuardTest, HandlesEmptyAndHostileInputInLinearTime) {
  PatternGuard guard;
  EXPECT_TRUE(guard.Check("").empty());
  std::string hostile(200000, '1');
  hostile += "@";
  // Must return (RE2 is linear); the long digit run is neither phone nor e-mail.
  EXPECT_TRUE(guard.Check(hostile).empty());
}

}  // namespace
}  // namespace carecast::planner
