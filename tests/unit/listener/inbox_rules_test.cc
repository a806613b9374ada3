// Topic routes, SLA targets and business calendars as read from the
// environment, and the routing of a mention to a spoke.
#include "services/listener/inbox_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace carecast::listener {
namespace {

using ::testing::HasSubstr;

v1::Mention WithTopics(std::string account, std::vector<std::string> topics) {
  v1::Mention m;
  m.set_account(std::move(account));
  for (std::string& t : topics) m.mutable_classification()->add_topics(std::move(t));
  return m;
}

TEST(TopicRoutesTest, ParsesEntriesInOrder) {
  absl::StatusOr<std::vector<TopicRoute>> routes =
      ParseTopicRoutes(" topic:billing=spokes/north ,topic:patient_experience=spokes/south,, ");
  ASSERT_TRUE(routes.ok()) << routes.status();
  ASSERT_EQ(routes->size(), 2u);
  EXPECT_EQ((*routes)[0].topic, "billing");
  EXPECT_EQ((*routes)[0].spoke, "spokes/north");
  EXPECT_EQ((*routes)[1].topic, "patient_experience");
  EXPECT_TRUE(ParseTopicRoutes("")->empty());
}

TEST(TopicRoutesTest, BadEntriesAreNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"billing=spokes/north", "\"billing=spokes/north\" must look like topic:<topic>="},
      {"topic:billing", "must look like"},
      {"topic:=spokes/north", "the topic must be"},
      {"topic:billing/=spokes/north", "the topic must be"},
      {"topic:billing=north", "the spoke must look like spokes/<spoke>"},
      {"topic:billing=spokes/North Side", "the spoke must look like"},
  };
  for (const auto& [spec, message] : cases) {
    auto routes = ParseTopicRoutes(spec);
    EXPECT_EQ(routes.status().code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_THAT(std::string(routes.status().message()), HasSubstr(message)) << spec;
  }
}

TEST(TopicRoutesTest, TheMentionedAccountWinsThenTheFirstMatchingRoute) {
  const std::vector<TopicRoute> routes = {{"billing", "spokes/north"},
                                          {"patient_experience", "spokes/south"},
                                          {"safety/falls", "spokes/east"}};
  EXPECT_EQ(
      RouteSpoke(WithTopics("spokes/west/accounts/main", {"patient_experience/billing"}), routes),
      "spokes/west");
  // "billing" ends the topic; it comes first.
  EXPECT_EQ(RouteSpoke(WithTopics("", {"patient_experience/billing"}), routes), "spokes/north");
  // "patient_experience" is the topic's family.
  EXPECT_EQ(RouteSpoke(WithTopics("", {"patient_experience/parking"}), routes), "spokes/south");
  EXPECT_EQ(RouteSpoke(WithTopics("", {"safety/falls"}), routes), "spokes/east");
  // No partial words: "falls" alone is not "safety/falls", "bill" is not "billing".
  EXPECT_EQ(RouteSpoke(WithTopics("", {"falls", "x/bill"}), routes), "");
  EXPECT_EQ(RouteSpoke(WithTopics("", {}), routes), "");
}

TEST(SlaTargetsTest, OverridesOnlyTheNamedPriorities) {
  SlaTargets targets;
  ASSERT_TRUE(ParseSlaTargets("urgent=1h, low=5bd", targets).ok());
  EXPECT_EQ(targets.For(v1::PRIORITY_URGENT).amount, absl::Hours(1));
  EXPECT_EQ(targets.For(v1::PRIORITY_LOW).days, 5);
  EXPECT_EQ(targets.For(v1::PRIORITY_HIGH).amount, absl::Hours(4));
  EXPECT_EQ(targets.For(v1::PRIORITY_HIGH).clock, SlaClock::kBusinessHours);
  EXPECT_EQ(targets.For(v1::PRIORITY_UNSPECIFIED).days, 1);  // as normal
  EXPECT_THAT(std::string(ParseSlaTargets("critical=1h", targets).message()),
              HasSubstr("the priority must be one of"));
  EXPECT_THAT(std::string(ParseSlaTargets("high", targets).message()),
              HasSubstr("must look like <priority>=<target>"));
  EXPECT_THAT(std::string(ParseSlaTargets("high=4 hours", targets).message()),
              HasSubstr("\"high=4 hours\": \"4 hours\" must be a duration"));
}

TEST(BusinessCalendarTest, SpokesOverrideTheOrganisation) {
  absl::StatusOr<BusinessCalendar> calendar = ParseBusinessCalendar(
      "default=Europe/London Mon-Fri 09:00-17:00; spokes/north=America/Chicago Mon-Fri "
      "08:00-17:00;");
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  EXPECT_EQ(calendar->For("").zone_name, "Europe/London");
  EXPECT_EQ(calendar->For("spokes/south").zone_name, "Europe/London");
  EXPECT_EQ(calendar->For("spokes/north").zone_name, "America/Chicago");
  EXPECT_EQ(ParseBusinessCalendar("")->organisation.zone_name, "UTC");
}

TEST(BusinessCalendarTest, BadEntriesAreNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"north=UTC Mon-Fri 08:00-17:00", "must look like spokes/<spoke>="},
      {"spokes/north", "must look like spokes/<spoke>="},
      {"spokes/north=UTC Mon-Fri 08:00-17:00; spokes/north=UTC Sat 08:00-17:00",
       "spokes/north is given more than once"},
      {"spokes/north=UTC Mon-Fri 08-17", "spokes/north: \"08\" is not a time"},
  };
  for (const auto& [spec, message] : cases) {
    auto calendar = ParseBusinessCalendar(spec);
    EXPECT_EQ(calendar.status().code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_THAT(std::string(calendar.status().message()), HasSubstr(message)) << spec;
  }
}

}  // namespace
}  // namespace carecast::listener
