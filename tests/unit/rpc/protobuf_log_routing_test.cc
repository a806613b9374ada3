#include "services/common/rpc/protobuf_log_routing.h"

#include <gtest/gtest.h>

#include "carecast/v1/resources.pb.h"

namespace carecast::common {
namespace {

TEST(ProtobufLogRoutingTest, ProtobufErrorsBecomeJsonLoggerLinesWithoutTheValue) {
  CapturingLogger logger;
  RouteProtobufLogsTo(logger);
  v1::Spoke spoke;
  spoke.set_display_name("PLACEHOLDER!");
  std::string bytes = spoke.SerializeAsString();
  bytes.replace(bytes.find("PLACEHOLDER!"), 12, std::string("secret \xff zzzz", 12));
  v1::Spoke parsed;
  EXPECT_FALSE(parsed.ParseFromString(bytes));
  auto lines = logger.lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().level, LogLevel::kError);
  EXPECT_EQ(lines.back().message, "protobuf");
  for (const auto& [key, value] : lines.back().fields) {
    const auto* text = std::get_if<std::string>(&value);
    if (text != nullptr) {
      EXPECT_EQ(text->find("secret"), std::string::npos) << *text;
    }
  }
}

}  // namespace
}  // namespace carecast::common
