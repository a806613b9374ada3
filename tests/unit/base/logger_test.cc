#include "services/common/base/logger.h"

#include <gtest/gtest.h>

namespace carecast::common {
namespace {

TEST(JsonLoggerTest, FormatsOneJsonObjectWithFields) {
  FakeClock clock(absl::FromUnixSeconds(0));
  JsonLogger logger("planner", LogLevel::kInfo, clock);
  std::string line = logger.Format(LogLevel::kWarn, "post claimed",
                                   {{"post", "posts/1"}, {"attempt", int64_t{2}}, {"late", true}});
  EXPECT_EQ(line, R"({"time":"1970-01-01T00:00:00.000Z","level":"warn","service":"planner",)"
                  R"("msg":"post claimed","post":"posts/1","attempt":2,"late":true})");
}

TEST(JsonLoggerTest, EscapesLineBreaksAndInvalidUtf8) {
  std::string out;
  AppendJsonString(out, "a\nb\r\"c\"\\\x01\xff\xc3\xa9");
  EXPECT_EQ(out, R"("a\nb\r\"c\"\\\u0001\ufffd)"
                 "\xc3\xa9\"");
}

TEST(JsonLoggerTest, DropsLinesBelowMinimumLevel) {
  FakeClock clock;
  char* buffer = nullptr;
  size_t size = 0;
  FILE* mem = open_memstream(&buffer, &size);
  {
    JsonLogger logger("x", LogLevel::kWarn, clock, mem);
    logger.Info("hidden");
    logger.Error("shown");
  }
  fclose(mem);
  std::string text(buffer, size);
  free(buffer);
  EXPECT_EQ(text.find("hidden"), std::string::npos);
  EXPECT_NE(text.find("shown"), std::string::npos);
}

TEST(ParseLogLevelTest, KnowsTheFourLevels) {
  LogLevel level;
  EXPECT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("verbose", &level));
}

}  // namespace
}  // namespace carecast::common
