#include "services/publisher/delivery_pages.h"

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

namespace carecast::publisher {
namespace {

class VectorLog final : public DeliveryLog {
 public:
  explicit VectorLog(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      DeliveryRecord r;
      r.post = absl::StrCat("posts/p", i);
      records_.push_back(r);
    }
  }
  absl::StatusOr<std::vector<DeliveryRecord>> ListDeliveries(size_t offset, size_t limit) override {
    std::vector<DeliveryRecord> out;
    for (size_t i = offset; i < records_.size() && out.size() < limit; ++i)
      out.push_back(records_[i]);
    return out;
  }

 private:
  std::vector<DeliveryRecord> records_;
};

TEST(DeliveryPagesTest, DefaultPageSizeIs50AndTokensWalkEveryRecordOnce) {
  VectorLog log(120);
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = ListDeliveryPage(log, 0, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& d : page->deliveries) seen.push_back(d.post);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 120u);
  EXPECT_EQ(seen.front(), "posts/p0");
  EXPECT_EQ(seen.back(), "posts/p119");
}

TEST(DeliveryPagesTest, PageSizeIsCappedAt500) {
  VectorLog log(700);
  auto page = ListDeliveryPage(log, 10'000, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->deliveries.size(), 500u);
  EXPECT_FALSE(page->next_page_token.empty());
}

TEST(DeliveryPagesTest, ExactFitHasNoNextToken) {
  VectorLog log(10);
  auto page = ListDeliveryPage(log, 10, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->deliveries.size(), 10u);
  EXPECT_TRUE(page->next_page_token.empty());
}

TEST(DeliveryPagesTest, BadInputIsInvalidArgument) {
  VectorLog log(10);
  EXPECT_EQ(ListDeliveryPage(log, -1, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ListDeliveryPage(log, 5, "garbage!").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ListDeliveryPage(log, 5, "MTA").status().code(),  // base64 of "10", no prefix
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace carecast::publisher
