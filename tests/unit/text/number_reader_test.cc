#include "services/common/text/number_reader.h"

#include "tests/unit/text/test_analyzer.h"

namespace carecast::common::text {
namespace {

// The plain form of `text`, or "" when the reader leaves it alone.
std::string Plain(std::string_view text) {
  static const auto reader = NumberReader::Create();
  NormalizedText n;
  EXPECT_TRUE(Normalize(text, 4096, n).ok());
  std::vector<Token> tokens;
  Tokenize(n, {}, tokens);
  RewrittenText out;
  return reader->Read(n, tokens, out) ? out.text : "";
}

TEST(NumberReaderTest, SpelledDigitsBecomeDigits) {
  EXPECT_EQ(Plain("call nine one two, five five five, oh one four two"), "call 9125550142");
  EXPECT_EQ(Plain("code two oh six"), "code 206");
  EXPECT_EQ(Plain("forty-two eighty"), "4280");
  EXPECT_EQ(Plain("she is ninety-four"), "she is 94");
  EXPECT_EQ(Plain("he is one hundred and two"), "he is 102");
}

TEST(NumberReaderTest, SpacedAndDottedDigitsAndLettersAreJoined) {
  EXPECT_EQ(Plain("cell 4 1 5 . 5 5 5 . 0 1 9 8"), "cell 4155550198");
  EXPECT_EQ(Plain("my number 7.1.3.5.5.5.2.2.0.9"), "my number 7135552209");
  EXPECT_EQ(Plain("name r o s a"), "name rosa");
  EXPECT_EQ(Plain("id Z K 4 4 1"), "id zk441");
}

TEST(NumberReaderTest, OrdinalsReadAsDatesOnlyBesideAMonth) {
  EXPECT_EQ(Plain("born the twenty-third of March"), "born the 23rd of march");
  EXPECT_EQ(Plain("born June the second"), "born june 2nd");
  EXPECT_EQ(Plain("my first visit on the second floor"), "");
}

TEST(NumberReaderTest, HiddenEmailIsJoined) {
  EXPECT_EQ(Plain("mail jo dot lee at gmail dot com"), "mail jo.lee@gmail.com");
  EXPECT_EQ(Plain("mail jo.lee @ gmail . com"), "mail jo.lee@gmail.com");
  EXPECT_EQ(Plain("we met at the clinic. Lovely"), "");
}

TEST(NumberReaderTest, OrdinaryNumbersAreLeftAlone) {
  EXPECT_EQ(Plain("two nurses and one doctor"), "");
  EXPECT_EQ(Plain("we waited forty-five minutes"), "");
  EXPECT_EQ(Plain("she is eighty-seven"), "");
  EXPECT_EQ(Plain("I counted 1 2 3 4 5 ambulances"), "");
  EXPECT_EQ(Plain("floors 3 4 and 5"), "");
}

TEST(NumberReaderTest, FindingsMapBackToTheObfuscatedInput) {
  std::string text = "ring me on Nine One Seven five five five two eight four six!";
  auto found = SharedAnalyzer().FindPhi(text, {});
  ASSERT_TRUE(found.ok());
  bool phone = false;
  for (const PhiFinding& f : *found) {
    if (f.kind != PhiKind::kPhone) continue;
    phone = true;
    EXPECT_EQ(text.substr(f.begin, f.end - f.begin),
              "Nine One Seven five five five two eight four six");
  }
  EXPECT_TRUE(phone);
}

TEST(NumberReaderTest, GuardStopsObfuscatedPhiButNotOrdinaryCounts) {
  EXPECT_EQ(GuardKinds("my SSN is one two three, four five, six seven eight nine"),
            std::vector<std::string>{"ssn"});
  EXPECT_EQ(GuardKinds("Grandpa turned ninety-seven on the ward today").size(), 1u);
  EXPECT_TRUE(GuardKinds("Thank you to the two hundred volunteers this year").empty());
  EXPECT_TRUE(GuardKinds("Clinic opens at nine thirty on Mondays").empty());
  EXPECT_TRUE(GuardKinds("The ninety-day refill is so convenient").empty());
}

}  // namespace
}  // namespace carecast::common::text
