#include "services/common/lifecycle/inbox_lifecycle.h"

#include <array>
#include <optional>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace carecast::lifecycle {
namespace {

using State = v1::InboxItemState;
using Row = std::array<std::optional<State>, kAllInboxEvents.size()>;
constexpr std::nullopt_t kNo = std::nullopt;

struct Expected {
  State from;
  bool terminal;
  // One cell per event, in kAllInboxEvents order; kNo where the move is refused.
  Row to;
};

constexpr State kNew = v1::INBOX_ITEM_STATE_NEW;
constexpr State kAssigned = v1::INBOX_ITEM_STATE_ASSIGNED;
constexpr State kWaiting = v1::INBOX_ITEM_STATE_WAITING;
constexpr State kResolved = v1::INBOX_ITEM_STATE_RESOLVED;

// The whole table. Columns: open, assign, wait, resolve. The legacy OPEN and
// CLOSED rows behave exactly as NEW and RESOLVED.
const Expected kTable[] = {
    {v1::INBOX_ITEM_STATE_UNSPECIFIED, false, {kNew, kNo, kNo, kNo}},
    {v1::INBOX_ITEM_STATE_OPEN, false, {kNo, kAssigned, kNo, kResolved}},
    {v1::INBOX_ITEM_STATE_CLOSED, true, {kNo, kNo, kNo, kNo}},
    {kNew, false, {kNo, kAssigned, kNo, kResolved}},
    {kAssigned, false, {kNo, kAssigned, kWaiting, kResolved}},
    {kWaiting, false, {kNo, kAssigned, kNo, kResolved}},
    {kResolved, true, {kNo, kNo, kNo, kNo}},
};

TEST(InboxLifecycleTest, TableCoversEveryStateOnce) {
  std::set<int> seen;
  for (const Expected& row : kTable) EXPECT_TRUE(seen.insert(row.from).second) << row.from;
  const auto* descriptor = v1::InboxItemState_descriptor();
  ASSERT_EQ(seen.size(), static_cast<size_t>(descriptor->value_count()));
  for (int i = 0; i < descriptor->value_count(); ++i) {
    EXPECT_TRUE(seen.contains(descriptor->value(i)->number())) << descriptor->value(i)->name();
  }
}

TEST(InboxLifecycleTest, EveryStateAndEventHasTheExpectedResult) {
  for (const Expected& row : kTable) {
    EXPECT_EQ(IsTerminal(row.from), row.terminal) << StateName(row.from);
    for (size_t i = 0; i < kAllInboxEvents.size(); ++i) {
      const InboxEvent event = kAllInboxEvents[i];
      SCOPED_TRACE(std::string(StateName(row.from)) + " + " + std::string(EventName(event)));
      absl::StatusOr<State> next = Next(row.from, event);
      if (row.to[i].has_value()) {
        ASSERT_TRUE(next.ok()) << next.status();
        EXPECT_EQ(*next, *row.to[i]);
      } else {
        EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
      }
    }
  }
}

TEST(InboxLifecycleTest, TerminalStatesRefuseEveryEvent) {
  for (const Expected& row : kTable) {
    if (!IsTerminal(row.from)) continue;
    for (InboxEvent event : kAllInboxEvents) {
      EXPECT_EQ(Next(row.from, event).status().code(), absl::StatusCode::kFailedPrecondition);
    }
  }
}

TEST(InboxLifecycleTest, ASecondResolutionReadsAsTheListenerWroteIt) {
  for (State resolved : {kResolved, v1::INBOX_ITEM_STATE_CLOSED}) {
    EXPECT_EQ(Next(resolved, InboxEvent::kResolve, "inbox item i1").status(),
              absl::FailedPreconditionError("inbox item i1 is already resolved"));
  }
}

TEST(InboxLifecycleTest, OtherRefusalsNameTheCurrentState) {
  EXPECT_EQ(Next(v1::INBOX_ITEM_STATE_UNSPECIFIED, InboxEvent::kResolve, "inbox item i1").status(),
            absl::FailedPreconditionError(
                "inbox item i1 is UNSPECIFIED; only unresolved inbox items can be resolved"));
  // A legacy OPEN item is named by what it now is.
  EXPECT_EQ(
      Next(v1::INBOX_ITEM_STATE_OPEN, InboxEvent::kOpen).status(),
      absl::FailedPreconditionError("inbox item is NEW; only a new inbox item can be opened"));
  EXPECT_EQ(Next(kNew, InboxEvent::kWait, "inbox item i1").status(),
            absl::FailedPreconditionError(
                "inbox item i1 is NEW; only ASSIGNED inbox items can wait on the public"));
  EXPECT_EQ(Next(kResolved, InboxEvent::kAssign, "inbox item i1").status(),
            absl::FailedPreconditionError(
                "inbox item i1 is RESOLVED; only unresolved inbox items can be assigned"));
}

TEST(InboxLifecycleTest, LegacyStatesReadAsTheirWorkflowStates) {
  EXPECT_EQ(Current(v1::INBOX_ITEM_STATE_OPEN), kNew);
  EXPECT_EQ(Current(v1::INBOX_ITEM_STATE_CLOSED), kResolved);
  for (State s : {v1::INBOX_ITEM_STATE_UNSPECIFIED, kNew, kAssigned, kWaiting, kResolved}) {
    EXPECT_EQ(Current(s), s);
  }
}

TEST(InboxLifecycleTest, ValuesOutsideTheEnumRefuseEverythingAndAreNotTerminal) {
  for (State from : {v1::InboxItemState_INT_MIN_SENTINEL_DO_NOT_USE_,
                     v1::InboxItemState_INT_MAX_SENTINEL_DO_NOT_USE_, static_cast<State>(42)}) {
    EXPECT_FALSE(IsTerminal(from));
    EXPECT_EQ(StateName(from), "UNKNOWN");
    for (InboxEvent event : kAllInboxEvents) {
      EXPECT_EQ(Next(from, event).status().code(), absl::StatusCode::kFailedPrecondition);
    }
  }
}

TEST(InboxLifecycleTest, EventNamesAreDistinct) {
  std::set<std::string_view> names;
  for (InboxEvent event : kAllInboxEvents) EXPECT_TRUE(names.insert(EventName(event)).second);
}

}  // namespace
}  // namespace carecast::lifecycle
