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
  for (const EventKind* kind : AllEventKinds()) {
    if (kind->per_resource) continue;  // the audit kind: below
    int owners = 0;
    for (const auto& spec : {events, audit})
      for (const auto& filter : spec.subjects) owners += SubjectMatches(filter, kind->subject);
    EXPECT_EQ(owners, 1) << kind->subject;
  }
  EXPECT_TRUE(audit.deny_delete);
  EXPECT_TRUE(audit.deny_purge);
  bool audit_in_events = false;
  for (const auto& filter : events.subjects)
    audit_in_events |=
        SubjectMatches(filter, ResourceSubject(events::kAuditRecorded, "contents.x"));
  EXPECT_FALSE(audit_in_events);
}

}  // namespace
}  // namespace carecast::common
