#include "services/common/text/normalizer.h"

#include "gtest/gtest.h"

namespace carecast::common::text {
namespace {

std::string Norm(std::string_view in) {
  NormalizedText n;
  EXPECT_TRUE(Normalize(in, 1 << 20, n).ok());
  return n.text;
}

TEST(ValidateUtf8Test, AcceptsValidAndRejectsInvalidWithOffset) {
  EXPECT_TRUE(ValidateUtf8("plain ascii").ok());
  EXPECT_TRUE(ValidateUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80").ok());
  for (std::string_view bad :
       {std::string_view("\xC3"), std::string_view("a\xC0\xAF"),  // truncated, overlong
        std::string_view("\xED\xA0\x80"),                         // surrogate
        std::string_view("\xF4\x90\x80\x80"),                     // > U+10FFFF
        std::string_view("ok\xFFok")}) {
    absl::Status s = ValidateUtf8(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(std::string(ValidateUtf8("ok\xFFok").message()).find("byte 2"), std::string::npos);
}

TEST(NormalizeTest, AsciiIsLowercasedWithIdentityOffsets) {
  NormalizedText n;
  ASSERT_TRUE(Normalize("Hello WORLD", 100, n).ok());
  EXPECT_EQ(n.text, "hello world");
  EXPECT_TRUE(n.IsUpper(0));
  EXPECT_FALSE(n.IsUpper(1));
  EXPECT_EQ(n.ToInput(6, 11), std::make_pair(6u, 11u));
}

TEST(NormalizeTest, NfkcCaseFoldAndMarks) {
  EXPECT_EQ(Norm("\xEF\xBC\xA8\xEF\xBD\x85\xEF\xBD\x8C\xEF\xBD\x8C\xEF\xBD\x8F"),
            "hello");                      // fullwidth Ｈｅｌｌｏ
  EXPECT_EQ(Norm("Caf\xC3\xA9"), "cafe");  // é
  EXPECT_EQ(Norm("STRA\xC3\x9F"
                 "E"),
            "strasse");                                       // ß folds to ss
  EXPECT_EQ(Norm("don\xE2\x80\x99t"), "don't");               // curly apostrophe
  EXPECT_EQ(Norm("\xF0\x9D\x90\x87\xF0\x9D\x90\x88"), "hi");  // math bold 𝐇𝐈
}

TEST(NormalizeTest, ZeroWidthAndBidiCannotHideWords) {
  NormalizedText n;
  ASSERT_TRUE(Normalize("S\xE2\x80\x8Bt\xE2\x80\x8Cu\xE2\x81\xA0pid \xE2\x80\xAE"
                        "cancer\xE2\x80\xAC",
                        1000, n)
                  .ok());
  EXPECT_EQ(n.text, "stupid cancer");
  EXPECT_EQ(n.zero_width, 3u);
  EXPECT_EQ(n.bidi_controls, 2u);
}

TEST(NormalizeTest, HomoglyphsFoldToLatin) {
  NormalizedText n;
  // "сancer" with Cyrillic с, "Ρаin" with Greek Rho and Cyrillic а.
  ASSERT_TRUE(Normalize("\xD1\x81"
                        "ancer \xCE\xA1\xD0\xB0in",
                        100, n)
                  .ok());
  EXPECT_EQ(n.text, "cancer pain");
  EXPECT_EQ(n.homoglyphs, 3u);
}

TEST(NormalizeTest, ObfuscatedDigitsBecomeDigits) {
  // "5５5-1２34": fullwidth digits; "555-l234": letter l for 1; Arabic-Indic digits.
  EXPECT_EQ(Norm("5\xEF\xBC\x95"
                 "5-1\xEF\xBC\x92"
                 "34"),
            "555-1234");
  EXPECT_EQ(Norm("call 555-l234"), "call 555-1234");
  EXPECT_EQ(Norm("\xD9\xA5\xD9\xA5\xD9\xA5"), "555");
  EXPECT_EQ(Norm("lol oil 10am"), "lol oil 10am");  // real words stay words
  EXPECT_EQ(Norm("①②③"), "123");
}

TEST(NormalizeTest, OffsetsMapBackToInputBytes) {
  NormalizedText n;
  std::string in = "\xC3\x89mile 555";  // "Émile 555": É is two bytes
  ASSERT_TRUE(Normalize(in, 100, n).ok());
  EXPECT_EQ(n.text, "emile 555");
  auto [b, e] = n.ToInput(6, 9);
  EXPECT_EQ(in.substr(b, e - b), "555");
  auto [b2, e2] = n.ToInput(0, 5);
  EXPECT_EQ(in.substr(b2, e2 - b2), "\xC3\x89mile");
}

TEST(NormalizeTest, ExpansionIsCapped) {
  NormalizedText n;
  std::string in;
  for (int i = 0; i < 100; ++i) in += "\xEF\xB7\xBA";  // U+FDFA expands to 18 code points
  absl::Status s = Normalize(in, 400, n);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST(NormalizeTermTest, SqueezesSpaces) {
  EXPECT_EQ(NormalizeTerm("  Mercy   General "), "mercy general");
}

}  // namespace
}  // namespace carecast::common::text
