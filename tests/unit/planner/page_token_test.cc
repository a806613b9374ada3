#include "services/planner/page_token.h"

#include <gtest/gtest.h>

namespace carecast::planner {
namespace {

TEST(PageTokenTest, RoundTripsWithinItsScope) {
  std::string token = EncodePageToken("calendar:1.0:2.0", 150);
  EXPECT_EQ(token.find("calendar"), std::string::npos);  // opaque, not plain text
  EXPECT_EQ(*DecodePageToken(token, "calendar:1.0:2.0"), 150u);
  EXPECT_EQ(*DecodePageToken("", "anything"), 0u);
}

TEST(PageTokenTest, RefusesTokensOfAnotherQueryAndGarbage) {
  std::string token = EncodePageToken("calendar:1.0:2.0", 150);
  EXPECT_EQ(DecodePageToken(token, "calendar:1.0:3.0").status().code(),
            absl::StatusCode::kInvalidArgument);
  for (const char* bad : {"!!!", "bm90IGEgdG9rZW4", "cDF8c3Bva2VzfC0x", "cDF8c3Bva2VzfA"}) {
    EXPECT_EQ(DecodePageToken(bad, "spokes").status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(DecodePageToken(std::string(5000, 'A'), "spokes").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PageTokenTest, ResolvesPageSizes) {
  EXPECT_EQ(*ResolvePageSize(0), 50u);
  EXPECT_EQ(*ResolvePageSize(7), 7u);
  EXPECT_EQ(*ResolvePageSize(100000), 500u);
  EXPECT_EQ(ResolvePageSize(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace carecast::planner
