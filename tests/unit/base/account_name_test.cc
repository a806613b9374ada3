#include "services/common/base/account_name.h"

#include <gtest/gtest.h>

namespace carecast::common {
namespace {

TEST(ParseAccountIdsTest, ReadsBothIds) {
  std::optional<AccountIds> ids = ParseAccountIds("spokes/st-marys/accounts/x-main");
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(ids->spoke, "st-marys");
  EXPECT_EQ(ids->account, "x-main");
}

TEST(ParseAccountIdsTest, RefusesEveryOtherShape) {
  for (const char* name :
       {"", "spokes/north", "spokes/north/accounts", "spokes/north/accounts/", "spokes//accounts/x",
        "spokes/north/accounts/x/extra", "spoke/north/accounts/x", "spokes/north/account/x",
        "spokes/North/accounts/x", "spokes/north/accounts/x y", "/spokes/north/accounts/x",
        "accounts/x", "spokes/north/campaigns/x"}) {
    EXPECT_FALSE(ParseAccountIds(name).has_value()) << name;
  }
}

}  // namespace
}  // namespace carecast::common
