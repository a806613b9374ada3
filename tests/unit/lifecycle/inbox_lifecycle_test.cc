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

// The whole table. Columns: open, close.
const Expected kTable[] = {
    {v1::INBOX_ITEM_STATE_UNSPECIFIED, false, {v1::INBOX_ITEM_STATE_OPEN, kNo}},
    {v1::INBOX_ITEM_STATE_OPEN, false, {kNo, v1::INBOX_ITEM_STATE_CLOSED}},
    {v1::INBOX_ITEM_STATE_CLOSED, true, {kNo, kNo}},
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

TEST(InboxLifecycleTest, ASecondCloseReadsAsTheListenerWroteIt) {
  EXPECT_EQ(Next(v1::INBOX_ITEM_STATE_CLOSED, InboxEvent::kClose, "inbox item i1").status(),
            absl::FailedPreconditionError("inbox item i1 is already closed"));
}

TEST(InboxLifecycleTest, OtherRefusalsNameTheState) {
  EXPECT_EQ(Next(v1::INBOX_ITEM_STATE_UNSPECIFIED, InboxEvent::kClose, "inbox item i1").status(),
            absl::FailedPreconditionError(
                "inbox item i1 is UNSPECIFIED; only OPEN inbox items can be closed"));
  EXPECT_EQ(
      Next(v1::INBOX_ITEM_STATE_OPEN, InboxEvent::kOpen).status(),
      absl::FailedPreconditionError("inbox item is OPEN; only a new inbox item can be opened"));
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
