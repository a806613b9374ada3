#include "services/common/bus/subjects.h"

#include <gtest/gtest.h>

#include "services/common/bus/topology.h"

namespace carecast::common {
namespace {

TEST(SubjectMatchesTest, FollowsNatsWildcards) {
  EXPECT_TRUE(SubjectMatches("carecast.post.>", "carecast.post.published"));
  EXPECT_FALSE(SubjectMatches("carecast.post.>", "carecast.post"));
  EXPECT_TRUE(SubjectMatches("carecast.*.published", "carecast.post.published"));
  EXPECT_FALSE(SubjectMatches("carecast.*.published", "carecast.post.failed"));
  EXPECT_TRUE(SubjectMatches(">", "a"));
  EXPECT_FALSE(SubjectMatches("a.b", "a.b.c"));
}

TEST(TopologyTest, EveryEventSubjectHasExactlyOneStream) {
  TopologyOptions options;
  StreamSpec events = EventsStreamSpec(options);
  StreamSpec audit = AuditStreamSpec(options);
  for (std::string_view subject :
       {subjects::kContentApproved, subjects::kPostPublished, subjects::kPublishingHeld,
        subjects::kMentionClassified, subjects::kInboxCreated, subjects::kAlertRaised,
        subjects::kObjectiveCreated, subjects::kEngagementObserved}) {
    int owners = 0;
    for (const auto& spec : {events, audit})
      for (const auto& filter : spec.subjects) owners += SubjectMatches(filter, subject);
    EXPECT_EQ(owners, 1) << subject;
  }
  EXPECT_TRUE(audit.deny_delete);
  EXPECT_TRUE(audit.deny_purge);
  bool audit_in_events = false;
  for (const auto& filter : events.subjects)
    audit_in_events |= SubjectMatches(filter, "carecast.audit.contents.x");
  EXPECT_FALSE(audit_in_events);
}

}  // namespace
}  // namespace carecast::common
