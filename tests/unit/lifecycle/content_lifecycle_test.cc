#include "services/common/lifecycle/content_lifecycle.h"

#include <array>
#include <optional>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace carecast::lifecycle {
namespace {

using State = v1::ContentState;
using Row = std::array<std::optional<State>, kAllContentEvents.size()>;
constexpr std::nullopt_t kNo = std::nullopt;

struct Expected {
  State from;
  // One cell per event, in kAllContentEvents order; kNo where the move is refused.
  Row to;
};

// The whole table. Columns: create, edit, submit, approve, reject.
const Expected kTable[] = {
    {v1::CONTENT_STATE_UNSPECIFIED, {v1::CONTENT_STATE_DRAFT, kNo, kNo, kNo, kNo}},
    {v1::CONTENT_STATE_DRAFT,
     {kNo, v1::CONTENT_STATE_DRAFT, v1::CONTENT_STATE_IN_REVIEW, kNo, kNo}},
    {v1::CONTENT_STATE_IN_REVIEW,
     {kNo, v1::CONTENT_STATE_DRAFT, kNo, v1::CONTENT_STATE_APPROVED, v1::CONTENT_STATE_REJECTED}},
    {v1::CONTENT_STATE_APPROVED, {kNo, v1::CONTENT_STATE_DRAFT, kNo, kNo, kNo}},
    {v1::CONTENT_STATE_REJECTED,
     {kNo, v1::CONTENT_STATE_DRAFT, v1::CONTENT_STATE_IN_REVIEW, kNo, kNo}},
};

TEST(ContentLifecycleTest, TableCoversEveryStateOnce) {
  std::set<int> seen;
  for (const Expected& row : kTable) EXPECT_TRUE(seen.insert(row.from).second) << row.from;
  const auto* descriptor = v1::ContentState_descriptor();
  ASSERT_EQ(seen.size(), static_cast<size_t>(descriptor->value_count()));
  for (int i = 0; i < descriptor->value_count(); ++i) {
    EXPECT_TRUE(seen.contains(descriptor->value(i)->number())) << descriptor->value(i)->name();
  }
}

TEST(ContentLifecycleTest, EveryStateAndEventHasTheExpectedResult) {
  for (const Expected& row : kTable) {
    for (size_t i = 0; i < kAllContentEvents.size(); ++i) {
      const ContentEvent event = kAllContentEvents[i];
      SCOPED_TRACE(std::string(StateName(row.from)) + " + " + std::string(EventName(event)));
      absl::StatusOr<State> next = Next(row.from, event);
      if (row.to[i].has_value()) {
        ASSERT_TRUE(next.ok()) << next.status();
        EXPECT_EQ(*next, *row.to[i]);
      } else {
        ASSERT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_NE(next.status().message().find(std::string("content is ") +
                                               std::string(StateName(row.from)) + "; only"),
                  absl::string_view::npos)
            << next.status();
      }
    }
  }
}

TEST(ContentLifecycleTest, RefusalsReadAsThePlannerWroteThem) {
  EXPECT_EQ(Next(v1::CONTENT_STATE_APPROVED, ContentEvent::kApprove, "contents/a").status(),
            absl::FailedPreconditionError(
                "contents/a is APPROVED; only IN_REVIEW content can be approved"));
  EXPECT_EQ(
      Next(v1::CONTENT_STATE_DRAFT, ContentEvent::kReject, "contents/a").status(),
      absl::FailedPreconditionError("contents/a is DRAFT; only IN_REVIEW content can be rejected"));
  EXPECT_EQ(Next(v1::CONTENT_STATE_IN_REVIEW, ContentEvent::kSubmit, "contents/a").status(),
            absl::FailedPreconditionError(
                "contents/a is IN_REVIEW; only DRAFT or REJECTED content can be submitted"));
}

TEST(ContentLifecycleTest, ValuesOutsideTheEnumRefuseEverything) {
  for (State from : {v1::ContentState_INT_MIN_SENTINEL_DO_NOT_USE_,
                     v1::ContentState_INT_MAX_SENTINEL_DO_NOT_USE_, static_cast<State>(42)}) {
    for (ContentEvent event : kAllContentEvents) {
      absl::StatusOr<State> next = Next(from, event);
      EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_NE(next.status().message().find("content is UNKNOWN; "), absl::string_view::npos);
    }
  }
}

TEST(ContentLifecycleTest, StateNamesComeFromTheGeneratedNames) {
  EXPECT_EQ(StateName(v1::CONTENT_STATE_UNSPECIFIED), "UNSPECIFIED");
  EXPECT_EQ(StateName(v1::CONTENT_STATE_IN_REVIEW), "IN_REVIEW");
  EXPECT_EQ(StateName(static_cast<State>(42)), "UNKNOWN");
}

TEST(ContentLifecycleTest, EventNamesAreDistinct) {
  std::set<std::string_view> names;
  for (ContentEvent event : kAllContentEvents) EXPECT_TRUE(names.insert(EventName(event)).second);
}

v1::Content ApprovedContent() {
  v1::Content content;
  content.set_name("contents/a");
  content.set_state(v1::CONTENT_STATE_APPROVED);
  content.set_version(3);
  content.set_content_hash("h3");
  content.mutable_approval()->set_reviewer("reviewer");
  content.mutable_approval()->set_version(3);
  content.mutable_approval()->set_content_hash("h3");
  return content;
}

TEST(ContentLifecycleTest, ApprovedAtItsOwnVersionAndHash) {
  EXPECT_TRUE(IsApprovedAt(ApprovedContent(), 3, "h3"));
}

TEST(ContentLifecycleTest, NotApprovedAtAnotherVersionOrHash) {
  const v1::Content content = ApprovedContent();
  EXPECT_FALSE(IsApprovedAt(content, 2, "h3"));
  EXPECT_FALSE(IsApprovedAt(content, 4, "h3"));
  EXPECT_FALSE(IsApprovedAt(content, 3, "h2"));
}

TEST(ContentLifecycleTest, NotApprovedUnlessTheStateIsApproved) {
  for (State state : {v1::CONTENT_STATE_UNSPECIFIED, v1::CONTENT_STATE_DRAFT,
                      v1::CONTENT_STATE_IN_REVIEW, v1::CONTENT_STATE_REJECTED}) {
    v1::Content content = ApprovedContent();
    content.set_state(state);
    EXPECT_FALSE(IsApprovedAt(content, 3, "h3")) << StateName(state);
  }
}

TEST(ContentLifecycleTest, AnApprovalOfAnotherVersionOrHashDoesNotCount) {
  v1::Content stale_version = ApprovedContent();
  stale_version.mutable_approval()->set_version(2);
  EXPECT_FALSE(IsApprovedAt(stale_version, 3, "h3"));

  v1::Content stale_hash = ApprovedContent();
  stale_hash.mutable_approval()->set_content_hash("h2");
  EXPECT_FALSE(IsApprovedAt(stale_hash, 3, "h3"));

  v1::Content no_approval = ApprovedContent();
  no_approval.clear_approval();
  EXPECT_FALSE(IsApprovedAt(no_approval, 3, "h3"));
}

TEST(ContentLifecycleTest, EditedAfterApprovalIsNotApprovedAtEitherVersion) {
  // What the planner's UpdateContent leaves when a caller forgets to clear the
  // approval: the content moved to version 4, the approval stayed at 3.
  v1::Content content = ApprovedContent();
  content.set_version(4);
  content.set_content_hash("h4");
  EXPECT_FALSE(IsApprovedAt(content, 3, "h3"));
  EXPECT_FALSE(IsApprovedAt(content, 4, "h4"));
}

TEST(ContentLifecycleTest, AnEmptyRecordIsNeverApproved) {
  v1::Content content;
  content.set_state(v1::CONTENT_STATE_APPROVED);
  EXPECT_FALSE(IsApprovedAt(content, 0, ""));
}

}  // namespace
}  // namespace carecast::lifecycle
