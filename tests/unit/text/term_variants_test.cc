#include "services/common/text/term_variants.h"

#include <algorithm>

#include "tests/unit/text/test_analyzer.h"

namespace carecast::common::text {
namespace {

std::vector<std::string> Variants(std::string_view term) {
  std::vector<std::string> out;
  AppendTermVariants(term, out);
  return out;
}

bool Has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(TermVariantsTest, PluralOfTheLastWord) {
  EXPECT_TRUE(Has(Variants("midwife"), "midwives"));
  EXPECT_TRUE(Has(Variants("night nurse"), "night nurses"));
  EXPECT_TRUE(Has(Variants("pharmacy"), "pharmacies"));
  EXPECT_TRUE(Has(Variants("waiting list"), "waiting lists"));
  EXPECT_FALSE(Has(Variants("waiting"), "waitings"));
  EXPECT_TRUE(Variants("er").empty());  // too short to guess
}

TEST(TermVariantsTest, BritishAndAmericanSpellings) {
  EXPECT_TRUE(Has(Variants("labour ward"), "labor ward"));
  EXPECT_TRUE(Has(Variants("anaesthetist"), "anesthetists"));
  EXPECT_TRUE(Has(Variants("immunization"), "immunisation"));
  EXPECT_TRUE(Has(Variants("cancer center"), "cancer centre"));
  EXPECT_FALSE(Has(Variants("four hours"), "for hours"));
}

TEST(TermVariantsTest, TopicsMatchEverySpelling) {
  auto a = MustAnalyze("The paediatricians and anesthetists on the labor ward were great");
  std::vector<std::string> topics;
  for (const auto& t : a.topics()) topics.push_back(t.topic());
  EXPECT_TRUE(Has(topics, "service_line/maternity"));
  EXPECT_TRUE(Has(topics, "patient_experience/staff"));
}

}  // namespace
}  // namespace carecast::common::text
