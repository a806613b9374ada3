#include "services/common/base/utf8.h"

#include <gtest/gtest.h>

namespace carecast::common {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_EQ(CodePointCount("caf\xc3\xa9 \xf0\x9f\x98\x80"), 6u);
}

TEST(Utf8Test, RejectsMalformedSequences) {
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
}

TEST(Utf8Test, AppendsEachLengthAndReplacesWhatIsNotACodePoint) {
  std::string out;
  for (char32_t cp : {U'A', U'\u00e9', U'\u20ac', U'\U0001F600'}) AppendUtf8(out, cp);
  EXPECT_EQ(out, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_TRUE(IsValidUtf8(out));
  EXPECT_EQ(CodePointCount(out), 4u);
  std::string bad;
  AppendUtf8(bad, static_cast<char32_t>(0xD800));    // a surrogate
  AppendUtf8(bad, static_cast<char32_t>(0x110000));  // past the last code point
  EXPECT_EQ(bad, "\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace carecast::common
