#include "services/planner/resource_names.h"

#include <gtest/gtest.h>

namespace carecast::planner {
namespace {

TEST(ResourceNamesTest, ParsesWellFormedNames) {
  EXPECT_EQ(*ParseContentName("name", "contents/abc-1"), "abc-1");
  EXPECT_EQ(*ParsePostName("name", "posts/p1"), "p1");
  EXPECT_EQ(*ParseSpokeName("parent", "spokes/st-marys"), "st-marys");
  EXPECT_EQ(*ParseObjectiveName("name", "objectives/o"), "o");
  AccountName a = *ParseAccountName("account", "spokes/s1/accounts/a1");
  EXPECT_EQ(a.spoke, "s1");
  EXPECT_EQ(a.account, "a1");
  EXPECT_EQ(*ParseAudienceName("name", "audiences/parents"), "parents");
  EXPECT_EQ(*ParseCampaignName("name", "campaigns/flu-2027"), "flu-2027");
  EXPECT_EQ(AudienceName("parents"), "audiences/parents");
  EXPECT_EQ(CampaignName("flu-2027"), "campaigns/flu-2027");
  EXPECT_EQ(CampaignKey("flu-2027"), "campaigns.flu-2027");
  EXPECT_EQ(AudienceKey("parents"), "audiences.parents");
}

TEST(ResourceNamesTest, RefusesMalformedCampaignAndAudienceNames) {
  for (const char* bad : {"", "campaigns", "campaigns/", "campaigns/Flu", "campaign/flu",
                          "audiences/flu", "campaigns/flu/pillars/p"}) {
    EXPECT_EQ(ParseCampaignName("campaign", bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(ParseAudienceName("audience", "campaigns/flu").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status s = ParseCampaignName("content.campaign", "flu").status();
  EXPECT_NE(s.message().find("content.campaign must look like campaigns/{campaign}"),
            std::string::npos)
      << s;
}

TEST(ResourceNamesTest, RefusesMalformedNames) {
  for (const char* bad :
       {"", "contents", "contents/", "contents/ABC", "contents/a/b", "/contents/a", "contents/a/",
        "content/a", "posts/a", "contents/-a", "contents/a.b", "contents/a b", "contents/\xC3"}) {
    absl::StatusOr<std::string> id = ParseContentName("name", bad);
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ParseAccountName("account", "spokes/s1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAccountName("account", "spokes/s1/users/a").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status s = ParseContentName("content.name", "nope").status();
  EXPECT_NE(s.message().find("content.name must look like contents/{content}"), std::string::npos)
      << s;
}

TEST(ResourceNamesTest, MapsResourcesToAuditSubjects) {
  EXPECT_EQ(*AuditSubjectForResource("contents/c1"), "carecast.audit.contents.c1");
  EXPECT_EQ(*AuditSubjectForResource("spokes/s/accounts/a"), "carecast.audit.spokes.s.accounts.a");
  EXPECT_EQ(*AuditSubjectForResource("publishing"), "carecast.audit.control.publishing");
  EXPECT_EQ(*AuditSubjectForResource("campaigns/flu"), "carecast.audit.campaigns.flu");
  EXPECT_EQ(*AuditSubjectForResource("audiences/parents"), "carecast.audit.audiences.parents");
  EXPECT_EQ(AuditSubjectForResource("contents/*").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AuditSubjectForResource("things/x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AuditSubjectForResource("contents/>").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace carecast::planner
