#include "services/common/lifecycle/post_lifecycle.h"

#include <array>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace carecast::lifecycle {
namespace {

using State = v1::PostState;
using Row = std::array<std::optional<State>, kAllPostEvents.size()>;
constexpr std::nullopt_t kNo = std::nullopt;

constexpr State kScheduled = v1::POST_STATE_SCHEDULED;
constexpr State kPublishing = v1::POST_STATE_PUBLISHING;
constexpr State kPublished = v1::POST_STATE_PUBLISHED;
constexpr State kCancelled = v1::POST_STATE_CANCELLED;
constexpr State kFailed = v1::POST_STATE_FAILED;
constexpr State kNeedsHuman = v1::POST_STATE_NEEDS_HUMAN;
constexpr State kAwaiting = v1::POST_STATE_AWAITING_APPROVAL;
constexpr State kNeedsReschedule = v1::POST_STATE_NEEDS_RESCHEDULE;

struct Expected {
  State from;
  bool terminal;
  // One cell per event, in kAllPostEvents order; kNo where the move is refused.
  Row to;
};

// The whole table. Columns: schedule, cancel, claim, release_claim, reschedule,
// published, failed, needs_human, confirm_published, confirm_not_published,
// schedule_awaiting, content_approved, approved_late, set_new_time.
const Expected kTable[] = {
    {v1::POST_STATE_UNSPECIFIED,
     false,
     {kScheduled, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kAwaiting, kNo, kNo, kNo}},
    {kScheduled,
     false,
     {kNo, kCancelled, kPublishing, kNo, kNo, kNo, kFailed, kNo, kNo, kNo, kNo, kNo, kNo, kNo}},
    {kPublishing,
     false,
     {kNo, kNo, kNo, kScheduled, kScheduled, kPublished, kFailed, kNeedsHuman, kNo, kNo, kNo, kNo,
      kNo, kNo}},
    {kPublished, true, {kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo}},
    {kCancelled, true, {kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo}},
    {kFailed, true, {kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo}},
    // Only a person's moves leave it; nothing the dispatcher does.
    {kNeedsHuman,
     false,
     {kNo, kCancelled, kNo, kNo, kNo, kNo, kNo, kNo, kPublished, kScheduled, kNo, kNo, kNo, kNo}},
    // Never claimable: only the content's final approval or a cancel leaves it.
    {kAwaiting,
     false,
     {kNo, kCancelled, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kScheduled, kNeedsReschedule,
      kNo}},
    {kNeedsReschedule,
     false,
     {kNo, kCancelled, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kNo, kScheduled}},
};

TEST(PostLifecycleTest, TableCoversEveryStateOnce) {
  std::set<int> seen;
  for (const Expected& row : kTable) EXPECT_TRUE(seen.insert(row.from).second) << row.from;
  const auto* descriptor = v1::PostState_descriptor();
  ASSERT_EQ(seen.size(), static_cast<size_t>(descriptor->value_count()));
  for (int i = 0; i < descriptor->value_count(); ++i) {
    EXPECT_TRUE(seen.contains(descriptor->value(i)->number())) << descriptor->value(i)->name();
  }
}

TEST(PostLifecycleTest, EveryStateAndEventHasTheExpectedResult) {
  for (const Expected& row : kTable) {
    for (size_t i = 0; i < kAllPostEvents.size(); ++i) {
      const PostEvent event = kAllPostEvents[i];
      SCOPED_TRACE(std::string(StateName(row.from)) + " + " + std::string(EventName(event)));
      absl::StatusOr<State> next = Next(row.from, event);
      if (row.to[i].has_value()) {
        ASSERT_TRUE(next.ok()) << next.status();
        EXPECT_EQ(*next, *row.to[i]);
      } else {
        ASSERT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_NE(next.status().message().find(std::string("post is ") +
                                               std::string(StateName(row.from)) + "; only"),
                  absl::string_view::npos)
            << next.status();
      }
    }
  }
}

TEST(PostLifecycleTest, TerminalStatesRefuseEveryEvent) {
  for (const Expected& row : kTable) {
    EXPECT_EQ(IsTerminal(row.from), row.terminal) << StateName(row.from);
    if (!IsTerminal(row.from)) continue;
    for (PostEvent event : kAllPostEvents) {
      EXPECT_EQ(Next(row.from, event).status().code(), absl::StatusCode::kFailedPrecondition)
          << StateName(row.from) << " + " << EventName(event);
    }
  }
}

TEST(PostLifecycleTest, CancelRefusalReadsAsThePlannerWroteIt) {
  EXPECT_EQ(Next(kPublishing, PostEvent::kCancel, "posts/p").status(),
            absl::FailedPreconditionError(
                "posts/p is PUBLISHING; only SCHEDULED, NEEDS_HUMAN, AWAITING_APPROVAL or "
                "NEEDS_RESCHEDULE posts can be cancelled"));
  EXPECT_EQ(Next(kPublished, PostEvent::kCancel, "posts/p").status(),
            absl::FailedPreconditionError(
                "posts/p is PUBLISHED; only SCHEDULED, NEEDS_HUMAN, AWAITING_APPROVAL or "
                "NEEDS_RESCHEDULE posts can be cancelled"));
}

TEST(PostLifecycleTest, NeedsHumanWaitsForAPersonAndTheDispatcherCannotMoveIt) {
  EXPECT_FALSE(IsTerminal(kNeedsHuman));
  EXPECT_EQ(*Next(kNeedsHuman, PostEvent::kConfirmPublished), kPublished);
  EXPECT_EQ(*Next(kNeedsHuman, PostEvent::kConfirmNotPublished), kScheduled);
  EXPECT_EQ(*Next(kNeedsHuman, PostEvent::kCancel), kCancelled);
  // A stale claim or a late retry must not take it back into dispatch.
  for (PostEvent event : {PostEvent::kClaim, PostEvent::kReleaseClaim, PostEvent::kReschedule,
                          PostEvent::kPublished, PostEvent::kFailed, PostEvent::kNeedsHuman}) {
    EXPECT_EQ(Next(kNeedsHuman, event).status().code(), absl::StatusCode::kFailedPrecondition)
        << EventName(event);
  }
}

TEST(PostLifecycleTest, APostAwaitingApprovalIsNeverClaimedOrPublished) {
  for (State from : {kAwaiting, kNeedsReschedule}) {
    for (PostEvent event : {PostEvent::kClaim, PostEvent::kPublished, PostEvent::kFailed,
                            PostEvent::kReschedule, PostEvent::kReleaseClaim}) {
      EXPECT_EQ(Next(from, event).status().code(), absl::StatusCode::kFailedPrecondition)
          << StateName(from) << " + " << EventName(event);
    }
  }
}

TEST(PostLifecycleTest, ConfirmRefusalsNameTheStateTheRpcsReport) {
  for (State from : {kScheduled, kPublishing, kPublished, kCancelled, kFailed}) {
    EXPECT_EQ(Next(from, PostEvent::kConfirmPublished, "posts/p").status(),
              absl::FailedPreconditionError(
                  absl::StrCat("posts/p is ", std::string(StateName(from)),
                               "; only NEEDS_HUMAN posts can be confirmed published")));
    EXPECT_EQ(Next(from, PostEvent::kConfirmNotPublished, "posts/p").status(),
              absl::FailedPreconditionError(
                  absl::StrCat("posts/p is ", std::string(StateName(from)),
                               "; only NEEDS_HUMAN posts can be confirmed not published")));
  }
}

TEST(PostLifecycleTest, ValuesOutsideTheEnumRefuseEverythingAndAreNotTerminal) {
  for (State from : {v1::PostState_INT_MIN_SENTINEL_DO_NOT_USE_,
                     v1::PostState_INT_MAX_SENTINEL_DO_NOT_USE_, static_cast<State>(42)}) {
    EXPECT_FALSE(IsTerminal(from));
    EXPECT_EQ(StateName(from), "UNKNOWN");
    for (PostEvent event : kAllPostEvents) {
      absl::StatusOr<State> next = Next(from, event);
      EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_NE(next.status().message().find("post is UNKNOWN; "), absl::string_view::npos);
    }
    EXPECT_EQ(NextOnReceipt(from).status().code(), absl::StatusCode::kFailedPrecondition);
  }
}

TEST(PostLifecycleTest, AReceiptRecordsPublishedWhateverTheRecordSaidMeanwhile) {
  for (State from : {kScheduled, kPublishing, kPublished, kCancelled, kFailed, kNeedsHuman,
                     kAwaiting, kNeedsReschedule}) {
    absl::StatusOr<State> next = NextOnReceipt(from);
    ASSERT_TRUE(next.ok()) << StateName(from) << ": " << next.status();
    EXPECT_EQ(*next, kPublished);
  }
}

TEST(PostLifecycleTest, AReceiptForARecordWithoutAStateIsRefused) {
  EXPECT_EQ(NextOnReceipt(v1::POST_STATE_UNSPECIFIED, "posts/p").status(),
            absl::FailedPreconditionError(
                "posts/p is UNSPECIFIED; only a stored post can be recorded as published"));
}

TEST(PostLifecycleTest, StateNamesComeFromTheGeneratedNames) {
  EXPECT_EQ(StateName(v1::POST_STATE_UNSPECIFIED), "UNSPECIFIED");
  EXPECT_EQ(StateName(kNeedsHuman), "NEEDS_HUMAN");
}

TEST(PostLifecycleTest, EventNamesAreDistinct) {
  std::set<std::string_view> names;
  for (PostEvent event : kAllPostEvents) EXPECT_TRUE(names.insert(EventName(event)).second);
  EXPECT_EQ(EventName(PostEvent::kConfirmPublished), "confirm_published");
  EXPECT_EQ(EventName(PostEvent::kConfirmNotPublished), "confirm_not_published");
}

}  // namespace
}  // namespace carecast::lifecycle
