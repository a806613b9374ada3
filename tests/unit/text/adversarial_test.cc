#include <chrono>

#include "tests/unit/text/test_analyzer.h"

namespace carecast::common::text {
namespace {

TEST(AdversarialTest, InvalidUtf8IsRejectedWithReason) {
  for (std::string_view bad : {std::string_view("abc\xC3"), std::string_view("\xFF\xFE"),
                               std::string_view("\xED\xA0\x80 surrogate")}) {
    auto r = SharedAnalyzer().Analyze(bad, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(r.status().message()).find("UTF-8"), std::string::npos);
    EXPECT_FALSE(SharedAnalyzer().FindPhi(bad, {}).ok());
  }
}

TEST(AdversarialTest, OverSizeIsRejected) {
  std::string big(1 << 20, 'a');  // 1 MB
  auto r = SharedAnalyzer().Analyze(big, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(r.status().message()).find("limit"), std::string::npos);
}

// With the cap raised, a 1 MB hostile string is processed in linear time.
TEST(AdversarialTest, OneMegabyteStringsAreLinear) {
  TextConfig config = DefaultTextConfig();
  config.max_input_bytes = 2 << 20;
  auto made = TextAnalyzer::Create(config);
  ASSERT_TRUE(made.ok());
  std::vector<std::string> inputs;
  std::string s1;
  while (s1.size() < (1 << 20)) s1 += "my mom 555-0142 cancer er \xE2\x80\x8B ";
  inputs.push_back(s1);
  std::string s2;
  while (s2.size() < (1 << 20)) s2 += "\xF0\x9F\x98\xA1";
  inputs.push_back(s2);
  std::string s3;
  while (s3.size() < (1 << 20)) s3 += "1-2-3-4-5-6-7-8-9-";
  inputs.push_back(s3);
  std::string s4;
  while (s4.size() < (1 << 20))
    s4 += "\xD9\x84\xD8\xA7 \xE2\x80\xAE abc \xE2\x80\xAC ";  // RTL text and bidi controls
  inputs.push_back(s4);
  std::string s5(1 << 20, '@');
  inputs.push_back(s5);
  for (const std::string& in : inputs) {
    auto start = std::chrono::steady_clock::now();
    auto r = (*made)->Analyze(in, {true});
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_LT(secs, 20.0);  // generous for Debug/ASan; quadratic behaviour would take minutes
  }
}

TEST(AdversarialTest, HiddenCharactersAreFlagged) {
  auto a = MustAnalyze(
      "Fr\xE2\x80\x8B"
      "ee m\xD0\xBEney");  // zero-width space, Cyrillic о
  std::vector<std::string> flags(a.normalization_flags().begin(), a.normalization_flags().end());
  EXPECT_NE(std::find(flags.begin(), flags.end(), "zero_width"), flags.end());
  EXPECT_NE(std::find(flags.begin(), flags.end(), "homoglyph"), flags.end());
  EXPECT_GT(a.spam_score(), 0.4);  // "free money" found despite the tricks
}

TEST(AdversarialTest, RightToLeftOverrideCannotHideAPhone) {
  // U+202E reverses display only; the stored order is what we scan.
  auto kinds = GuardKinds(
      "call \xE2\x80\xAE"
      "312-555-0142\xE2\x80\xAC");
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "phone"), kinds.end());
}

// Found by the fuzzer: a digit group longer than the 64 digits kept per number.
TEST(AdversarialTest, VeryLongDigitGroups) {
  std::string text = "mB B 4/1tm (" + std::string(300, '1') + ") 4/" + std::string(80, '7') + "-12";
  auto r = SharedAnalyzer().Analyze(text, {});
  ASSERT_TRUE(r.ok());
  for (const auto& f : r->phi_findings()) EXPECT_LE(f.end(), static_cast<int>(text.size()));
}

TEST(AdversarialTest, EmptyAndWhitespace) {
  EXPECT_EQ(MustAnalyze("").sentiment(), carecast::v1::SENTIMENT_NEUTRAL);
  EXPECT_EQ(MustAnalyze(" \n\t ").token_count(), 0);
  EXPECT_TRUE(SharedAnalyzer().FindPhi(std::string(5, '\0'), {}).ok());
}

}  // namespace
}  // namespace carecast::common::text
