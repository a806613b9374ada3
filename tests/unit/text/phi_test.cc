#include <algorithm>

#include "tests/unit/text/test_analyzer.h"

namespace carecast::common::text {
namespace {

bool Has(const std::vector<std::string>& kinds, std::string_view k) {
  return std::find(kinds.begin(), kinds.end(), k) != kinds.end();
}

TEST(PhiTest, PhoneNumbersInManyShapes) {
  for (std::string_view t :
       {"call me at (312) 555-0142", "my cell 312.555.0142", "text 3125550142 pls",
        "+1 312 555 0142 is my number", "reach me at +44 20 7946 0958"}) {
    EXPECT_TRUE(Has(GuardKinds(t), "phone")) << t;
  }
  EXPECT_TRUE(Has(GuardKinds("fax: 312-555-0142"), "fax"));
}

TEST(PhiTest, ObfuscatedNumbersAreStillFound) {
  EXPECT_TRUE(Has(GuardKinds("call 3\xE2\x80\x8B"
                             "12-55\xE2\x80\x8B"
                             "5-0142"),
                  "phone"));                                   // zero-width
  EXPECT_TRUE(Has(GuardKinds("call 3l2-555-Ol42"), "phone"));  // l and O
  EXPECT_TRUE(
      Has(GuardKinds("ssn \xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93-45-6789"), "ssn"));  // fullwidth
}

TEST(PhiTest, SpansAreInputByteOffsets) {
  std::string text = "Caf\xC3\xA9 note: call 312-555-0142 now";
  auto r = SharedAnalyzer().FindPhi(text, {});
  ASSERT_TRUE(r.ok());
  bool found = false;
  for (const PhiFinding& f : *r) {
    if (f.kind == PhiKind::kPhone) {
      EXPECT_EQ(text.substr(f.begin, f.end - f.begin), "312-555-0142");
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(PhiTest, SsnCardsAndValidators) {
  EXPECT_TRUE(Has(GuardKinds("my SSN is 123-45-6789"), "ssn"));
  EXPECT_TRUE(Has(GuardKinds("card 4111 1111 1111 1111 was charged twice"), "account_number"));
  EXPECT_FALSE(
      Has(GuardKinds("order 4111 1111 1111 1112 shipped"), "account_number"));  // fails Luhn
}

TEST(PhiTest, IdentifiersAfterContextWords) {
  EXPECT_TRUE(Has(GuardKinds("MRN: 00482913"), "medical_record_number"));
  EXPECT_TRUE(Has(GuardKinds("member id XJH482913 was denied"), "health_plan_number"));
  EXPECT_TRUE(Has(GuardKinds("account number 99812-3341"), "account_number"));
  EXPECT_TRUE(Has(GuardKinds("plate 7ABC123 blocked the ambulance bay"), "license_plate"));
  EXPECT_TRUE(Has(GuardKinds("pacemaker serial PM4471823"), "device_id"));
  EXPECT_TRUE(Has(GuardKinds("driver's license D1234567"), "license_number"));
}

TEST(PhiTest, EmailUrlIp) {
  EXPECT_TRUE(Has(GuardKinds("email jane.doe@gmail.com"), "email"));
  EXPECT_TRUE(Has(GuardKinds("jane dot doe at gmail dot com"), "email"));
  EXPECT_TRUE(Has(GuardKinds("see facebook.com/jane.doe.1985"), "url"));
  EXPECT_FALSE(Has(GuardKinds("details at carecast.org/flu"), "url"));
  EXPECT_TRUE(Has(GuardKinds("logged from 192.168.10.44"), "ip_address"));
}

TEST(PhiTest, DatesTiedToPeopleAndAges) {
  EXPECT_TRUE(Has(GuardKinds("I was born on March 3, 1941"), "date"));
  EXPECT_TRUE(Has(GuardKinds("DOB 04/12/1950"), "date"));
  EXPECT_TRUE(Has(GuardKinds("my dad was admitted 3/14"), "date"));
  EXPECT_FALSE(Has(GuardKinds("Flu clinic opens March 3 at the main campus"), "date"));
  EXPECT_FALSE(Has(GuardKinds("we are open 24/7"), "date"));
  EXPECT_TRUE(Has(GuardKinds("grandma is 94 years old"), "age_over_89"));
  EXPECT_TRUE(Has(GuardKinds("my 97-year-old grandfather"), "age_over_89"));
  EXPECT_FALSE(Has(GuardKinds("my 67-year-old grandfather"), "age_over_89"));
}

TEST(PhiTest, AddressesAndZip) {
  EXPECT_TRUE(Has(GuardKinds("she lives at 42 Oak Hill Rd, Apt 3"), "street_address"));
  EXPECT_TRUE(Has(GuardKinds("Springfield, IL 62704"), "zip_code"));
  EXPECT_FALSE(Has(GuardKinds("we waited 3 hours on the way"), "street_address"));
  EXPECT_FALSE(Has(GuardKinds("10000 steps a day"), "zip_code"));
}

TEST(PhiTest, NamesInContext) {
  EXPECT_TRUE(Has(GuardKinds("my mom Linda Alvarez was in room 4"), "name"));
  EXPECT_TRUE(Has(GuardKinds("thank you Dr. Okafor"), "name"));
  EXPECT_TRUE(Has(GuardKinds("Jennifer Walsh took care of us"), "name"));
  EXPECT_TRUE(Has(GuardKinds("my husband, Oluwaseun, had chemo"), "name"));
  EXPECT_FALSE(Has(GuardKinds("Henry Ford Hospital is hiring"), "name"));
  EXPECT_FALSE(Has(GuardKinds("We will grace you with hope"), "name"));
}

TEST(PhiTest, PatientDisclosure) {
  EXPECT_TRUE(
      Has(GuardKinds("my sister had a miscarriage at your hospital"), "patient_disclosure"));
  EXPECT_TRUE(Has(GuardKinds("I was diagnosed with diabetes last year"), "patient_disclosure"));
  EXPECT_FALSE(Has(GuardKinds("Diabetes screening is free this Saturday"), "patient_disclosure"));
}

TEST(PhiTest, PatientConfirmingPhrasesOnlyForOutgoing) {
  std::string reply = "We're sorry about your recent knee surgery, please DM us";
  EXPECT_TRUE(Has(GuardKinds(reply, /*outgoing=*/true), "patient_confirmation"));
  EXPECT_FALSE(Has(GuardKinds(reply, /*outgoing=*/false), "patient_confirmation"));
  EXPECT_TRUE(Has(GuardKinds("Glad to hear things went well when you were here!", true),
                  "patient_confirmation"));
  EXPECT_TRUE(
      GuardKinds("Thanks for reaching out. Please call our patient line so we can help.", true)
          .empty());
}

}  // namespace
}  // namespace carecast::common::text
