#include "services/common/text/tokenizer.h"

#include "gtest/gtest.h"

namespace carecast::common::text {
namespace {

struct Tok {
  TokenKind kind;
  std::string text;
};

std::vector<Tok> Toks(std::string_view in) {
  NormalizedText n;
  EXPECT_TRUE(Normalize(in, 1 << 20, n).ok());
  EmoticonSet emoticons = {":)", ":(", ":-)", "<3", ":d", ":'("};
  std::vector<Token> tokens;
  Tokenize(n, emoticons, tokens);
  std::vector<Tok> out;
  for (const Token& t : tokens) out.push_back({t.kind, std::string(TokenText(n, t))});
  return out;
}

TEST(TokenizerTest, KindsOfTokens) {
  auto t = Toks(
      "Loved it :) #BestCare @MercyGen see https://mercy.org/er, mail a.b@x.org 3.5 "
      "\xF0\x9F\x98\x8D");
  std::vector<std::pair<TokenKind, std::string>> want = {{TokenKind::kWord, "loved"},
                                                         {TokenKind::kWord, "it"},
                                                         {TokenKind::kEmoticon, ":)"},
                                                         {TokenKind::kHashtag, "#bestcare"},
                                                         {TokenKind::kHandle, "@mercygen"},
                                                         {TokenKind::kWord, "see"},
                                                         {TokenKind::kUrl, "https://mercy.org/er"},
                                                         {TokenKind::kPunct, ","},
                                                         {TokenKind::kWord, "mail"},
                                                         {TokenKind::kEmail, "a.b@x.org"},
                                                         {TokenKind::kNumber, "3.5"},
                                                         {TokenKind::kEmoji, "\xF0\x9F\x98\x8D"}};
  ASSERT_EQ(t.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(t[i].kind, want[i].first) << i << " " << t[i].text;
    EXPECT_EQ(t[i].text, want[i].second) << i;
  }
}

TEST(TokenizerTest, ContractionsAndBareDomains) {
  auto t = Toks("don't go to carecast.org/jobs!");
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].text, "don't");
  EXPECT_EQ(t[3].kind, TokenKind::kUrl);
  EXPECT_EQ(t[3].text, "carecast.org/jobs");
  EXPECT_EQ(t[4].text, "!");
}

TEST(TokenizerTest, CapsFlags) {
  NormalizedText n;
  ASSERT_TRUE(Normalize("The ER was AWFUL", 100, n).ok());
  std::vector<Token> tokens;
  Tokenize(n, {}, tokens);
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_TRUE(tokens[0].capitalized);
  EXPECT_FALSE(tokens[0].all_caps);
  EXPECT_TRUE(tokens[1].all_caps);
  EXPECT_TRUE(tokens[3].all_caps);
  EXPECT_FALSE(tokens[2].capitalized);
}

TEST(TokenizerTest, EmojiRunsAreSeparateTokens) {
  auto t = Toks(
      "\xF0\x9F\x98\xA1\xF0\x9F\x98\xA1\xF0\x9F\x98\xA1\xE2\x9D\xA4\xEF\xB8\x8F");  // 😡😡😡❤️
  ASSERT_EQ(t.size(), 4u);
  for (const Tok& x : t) EXPECT_EQ(x.kind, TokenKind::kEmoji);
}

}  // namespace
}  // namespace carecast::common::text
