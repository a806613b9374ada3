// The source poller against a scripted source, the real intake and an
// in-memory KV: the cursor moves only after a page is stored, one replica at
// a time holds the lease, a 429 is honoured by every replica, and nothing is
// lost or doubled when a round breaks off.
#include "services/listener/source_poller.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "services/common/base/strings.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/topology.h"
#include "services/common/store/entity_store.h"
#include "services/common/store/outbox.h"
#include "services/listener/source_checkpoints.h"
#include "tests/unit/listener/listener_fixture.h"

namespace carecast::listener {
namespace {

// A network holding `total` mentions "m0".."m<total-1>", served `page_size`
// at a time; the cursor is the count read so far.
class ScriptedSource final : public MentionSource {
 public:
  ScriptedSource(std::string name, int total, int page_size)
      : name_(std::move(name)), total_(total), page_size_(page_size) {}

  const std::string& name() const override { return name_; }

  absl::StatusOr<SourcePage> Fetch(std::string_view checkpoint) override {
    ++fetches;
    if (before_fetch) std::exchange(before_fetch, nullptr)();  // runs once
    if (!next_error.ok()) return std::exchange(next_error, absl::OkStatus());
    SourcePage page;
    if (rate_limit_until > absl::InfinitePast()) {
      page.next_checkpoint = std::string(checkpoint);
      page.not_before = std::exchange(rate_limit_until, absl::InfinitePast());
      return page;
    }
    int from = 0;
    if (!checkpoint.empty() && !absl::SimpleAtoi(common::AsAbsl(checkpoint), &from)) {
      return absl::InternalError("bad cursor");
    }
    const int to = std::min(total_, from + page_size_);
    for (int i = from; i < to; ++i) {
      v1::Mention m;
      m.set_network(v1::NETWORK_MASTODON);
      m.set_external_id(absl::StrCat("m", i));
      m.set_author_handle("someone@example.org");
      m.set_text(i == invalid_at ? "" : absl::StrCat("Thanks St Marys, visit ", i));
      page.mentions.push_back(std::move(m));
    }
    page.next_checkpoint = absl::StrCat(to);
    page.more = to < total_;
    return page;
  }

  int fetches = 0;
  int invalid_at = -1;  // this mention has no text (the intake refuses it)
  absl::Status next_error;
  absl::Time rate_limit_until = absl::InfinitePast();
  std::function<void()> before_fetch;  // run by the next Fetch only

 private:
  const std::string name_;
  const int total_;
  const int page_size_;
};

class SourcePollerTest : public ListenerFixture {
 protected:
  SourcePollerTest()
      : outbox_(bus_, kv_.Bucket(std::string(common::kOutboxBucket)), clock_, logger_,
                common::NullOutboxObserver(), "test"),
        settings_(kv_.Bucket(std::string(common::buckets::kListening)),
                  std::string(common::buckets::kListening), outbox_),
        checkpoints_(settings_) {}

  // A poller on `source` as replica `holder`, storing through the listener's
  // intake, optionally through `sink` instead.
  std::unique_ptr<SourcePoller> Poller(ScriptedSource*& raw, std::string holder, int total,
                                       int page_size, MentionSink sink = nullptr) {
    auto source = std::make_unique<ScriptedSource>("mastodon-main", total, page_size);
    raw = source.get();
    if (sink == nullptr) sink = Intake();
    return std::make_unique<SourcePoller>(std::move(source),
                                          SourcePollOptions{.kind = "mastodon_notifications",
                                                            .period = absl::Seconds(30),
                                                            .holder = std::move(holder)},
                                          checkpoints_, std::move(sink), metrics_, clock_, logger_);
  }
  MentionSink Intake() {
    return [this](const v1::Mention& m) {
      return listener_->CreateMention(m, "mastodon_notifications").status();
    };
  }
  v1::MentionSourceState State() {
    auto stored = settings_.Get<v1::MentionSourceState>("source.mastodon-main");
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? stored->value : v1::MentionSourceState();
  }

  common::Outbox outbox_;
  common::EntityStore settings_;
  SourceCheckpoints checkpoints_;
};

TEST_F(SourcePollerTest, ACatchUpReadsEveryPageInOneRoundAndStoresEachMentionOnce) {
  ScriptedSource* source = nullptr;
  auto poller = Poller(source, "replica-a", 95, 10);
  SourceRoundReport report = poller->RunRound();
  EXPECT_TRUE(report.held);
  EXPECT_TRUE(report.error.ok()) << report.error;
  EXPECT_EQ(report.pages, 10);
  EXPECT_EQ(report.accepted, 95);
  EXPECT_EQ(KeyCount(std::string(common::buckets::kMentions)), 95u);
  EXPECT_EQ(Events("carecast.mention.classified").size(), 95u);
  v1::MentionSourceState state = State();
  EXPECT_EQ(state.cursor(), "95");
  EXPECT_EQ(state.accepted_count(), 95);
  EXPECT_EQ(state.kind(), "mastodon_notifications");
  EXPECT_EQ(state.name(), "mentionSources/mastodon-main");
  EXPECT_EQ(metrics_.SourceFetchCount("mastodon-main", "ok"), 10);
  EXPECT_EQ(metrics_.ReceivedCount("mastodon", "mastodon_notifications"), 95);

  // Nothing new: one fetch, the cursor stays.
  report = poller->RunRound();
  EXPECT_EQ(report.accepted, 0);
  EXPECT_EQ(State().cursor(), "95");
}

TEST_F(SourcePollerTest, AnIntakeOutageLeavesTheCursorAndTheNextRoundDoublesNothing) {
  ScriptedSource* source = nullptr;
  int calls = 0;
  MentionSink intake = Intake();
  auto poller = Poller(source, "replica-a", 30, 10, [&](const v1::Mention& m) {
    if (++calls == 15) return absl::UnavailableError("KV down");  // mid second page
    return intake(m);
  });
  SourceRoundReport report = poller->RunRound();
  EXPECT_TRUE(absl::IsUnavailable(report.error)) << report.error;
  EXPECT_EQ(State().cursor(), "10");  // the broken page is not passed
  EXPECT_NE(State().last_error(), "");
  EXPECT_EQ(metrics_.SourceFetchCount("mastodon-main", "intake_unavailable"), 1);
  EXPECT_EQ(KeyCount(std::string(common::buckets::kMentions)), 14u);

  report = poller->RunRound();
  EXPECT_TRUE(report.error.ok()) << report.error;
  EXPECT_EQ(State().cursor(), "30");
  EXPECT_EQ(State().last_error(), "");
  // Mentions 10..13 were read twice; the intake answered them as repeats.
  EXPECT_EQ(KeyCount(std::string(common::buckets::kMentions)), 30u);
  EXPECT_EQ(Events("carecast.mention.classified").size(), 30u);
}

TEST_F(SourcePollerTest, OneReplicaHoldsTheLeaseAndAnotherTakesOverWhenItLapses) {
  ScriptedSource* a_source = nullptr;
  ScriptedSource* b_source = nullptr;
  auto a = Poller(a_source, "replica-a", 20, 10);
  auto b = Poller(b_source, "replica-b", 20, 10);
  EXPECT_TRUE(a->RunRound().held);
  EXPECT_FALSE(b->RunRound().held);
  EXPECT_EQ(b_source->fetches, 0);
  EXPECT_EQ(State().lease_holder(), "replica-a");

  // Replica a dies; after its lease (three periods) b reads on from the cursor.
  clock_.Advance(absl::Seconds(91));
  SourceRoundReport report = b->RunRound();
  EXPECT_TRUE(report.held);
  EXPECT_EQ(report.accepted, 0);  // a had read everything
  EXPECT_EQ(State().lease_holder(), "replica-b");
  EXPECT_EQ(State().cursor(), "20");
  EXPECT_FALSE(a->RunRound().held);  // a is back, but b holds the lease now
}

TEST_F(SourcePollerTest, AHolderThatStalledPastItsLeaseLosesTheWriteAndNothingIsLost) {
  ScriptedSource* a_source = nullptr;
  ScriptedSource* b_source = nullptr;
  auto a = Poller(a_source, "replica-a", 10, 10);
  auto b = Poller(b_source, "replica-b", 10, 10);
  SourceRoundReport b_report;
  a_source->before_fetch = [&] {
    clock_.Advance(absl::Seconds(91));  // a stalls past its lease...
    b_report = b->RunRound();           // ...and b takes over and reads the page
  };
  SourceRoundReport a_report = a->RunRound();
  EXPECT_TRUE(b_report.held);
  EXPECT_EQ(b_report.accepted, 10);
  EXPECT_TRUE(absl::IsAborted(a_report.error)) << a_report.error;
  EXPECT_EQ(metrics_.SourceFetchCount("mastodon-main", "lease_lost"), 1);
  EXPECT_EQ(State().lease_holder(), "replica-b");
  EXPECT_EQ(State().cursor(), "10");
  EXPECT_EQ(State().accepted_count(), 10);  // a's repeats were not added
  EXPECT_EQ(KeyCount(std::string(common::buckets::kMentions)), 10u);
}

TEST_F(SourcePollerTest, ARateLimitIsHonouredByEveryReplicaUntilItsReset) {
  ScriptedSource* a_source = nullptr;
  ScriptedSource* b_source = nullptr;
  auto a = Poller(a_source, "replica-a", 5, 10);
  auto b = Poller(b_source, "replica-b", 5, 10);
  a_source->rate_limit_until = clock_.Now() + absl::Minutes(5);
  SourceRoundReport report = a->RunRound();
  EXPECT_EQ(report.accepted, 0);
  EXPECT_EQ(metrics_.SourceFetchCount("mastodon-main", "rate_limited"), 1);
  EXPECT_TRUE(State().has_not_before_time());

  clock_.Advance(absl::Minutes(2));  // a's lease ran out, the reset has not come
  EXPECT_TRUE(b->RunRound().held);
  EXPECT_EQ(b_source->fetches, 0);
  clock_.Advance(absl::Minutes(4));
  report = b->RunRound();
  EXPECT_EQ(b_source->fetches, 1);
  EXPECT_EQ(report.accepted, 5);
  EXPECT_FALSE(State().has_not_before_time());
}

TEST_F(SourcePollerTest, AnInvalidMentionIsCountedAndSkippedAndAFailureIsRecorded) {
  ScriptedSource* source = nullptr;
  auto poller = Poller(source, "replica-a", 6, 10);
  source->invalid_at = 3;
  SourceRoundReport report = poller->RunRound();
  EXPECT_EQ(report.accepted, 5);
  EXPECT_EQ(report.rejected, 1);
  EXPECT_EQ(State().cursor(), "6");
  EXPECT_EQ(State().rejected_count(), 1);

  source->next_error = absl::UnauthenticatedError("the token was refused (401)");
  report = poller->RunRound();
  EXPECT_TRUE(absl::IsUnauthenticated(report.error));
  EXPECT_EQ(metrics_.SourceFetchCount("mastodon-main", "unauthenticated"), 1);
  EXPECT_EQ(State().last_error(), "UNAUTHENTICATED: the token was refused (401)");
  EXPECT_EQ(State().cursor(), "6");
  for (const common::CapturingLogger::Line& line : logger_.lines()) {  // no mention text logged
    for (const common::LogField& field : line.fields) {
      const std::string* text = std::get_if<std::string>(&field.second);
      if (text != nullptr) {
        EXPECT_EQ(text->find("St Marys"), std::string::npos) << field.first;
      }
    }
  }
}

TEST_F(SourcePollerTest, TheListenerRunsAddedSourcesAndListsTheirState) {
  auto source = std::make_unique<ScriptedSource>("x-brand", 3, 10);
  listener_->AddSource(std::move(source), {.kind = "x_recent_search", .holder = "replica-a"});
  ASSERT_EQ(listener_->source_pollers().size(), 1u);
  EXPECT_EQ(listener_->source_pollers()[0]->RunRound().accepted, 3);
  auto sources = listener_->ListMentionSources();
  ASSERT_TRUE(sources.ok()) << sources.status();
  ASSERT_EQ(sources->size(), 1u);
  EXPECT_EQ((*sources)[0].name(), "mentionSources/x-brand");
  EXPECT_EQ((*sources)[0].cursor(), "3");
  EXPECT_EQ(metrics_.SourceFetchCount("x-brand", "refused"), 0);  // series exist from the start
}

}  // namespace
}  // namespace carecast::listener
