#include "services/listener/page_token.h"

#include "absl/strings/escaping.h"
#include <gtest/gtest.h>

namespace carecast::listener {
namespace {

TEST(PageTokenTest, RoundTrips) {
  PageCursor cursor{v1::INBOX_ITEM_STATE_CLOSED, -1234567890123, "abc123"};
  absl::StatusOr<PageCursor> back =
      DecodePageToken(EncodePageToken(cursor), v1::INBOX_ITEM_STATE_CLOSED);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->score, cursor.score);
  EXPECT_EQ(back->id, cursor.id);
  EXPECT_EQ(back->state, v1::INBOX_ITEM_STATE_CLOSED);
}

TEST(PageTokenTest, RejectsForeignOrTamperedTokens) {
  const std::string good = EncodePageToken({v1::INBOX_ITEM_STATE_OPEN, 5, "abc"});
  for (const std::string& bad :
       {std::string("garbage!"), std::string("Zm9v"), good + "x", std::string(300, 'A'),
        absl::WebSafeBase64Escape("i1|1|5|NOT VALID"), absl::WebSafeBase64Escape("i1|1|x|abc"),
        absl::WebSafeBase64Escape("i9|1|5|abc"), absl::WebSafeBase64Escape("i1|1|5|abc|d")}) {
    EXPECT_EQ(DecodePageToken(bad, v1::INBOX_ITEM_STATE_OPEN).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(DecodePageToken(good, v1::INBOX_ITEM_STATE_CLOSED).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(DecodePageToken(good, v1::INBOX_ITEM_STATE_OPEN).ok());
}

}  // namespace
}  // namespace carecast::listener
