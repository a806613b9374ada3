// Tracked keywords replaced at run time: the configured list until one is set;
// a set list is stored, audited, announced and in force at once on this
// replica, on another replica from the event, and on a replica that starts
// later; the real engine then matches the new words; bad lists and spoke
// callers change nothing.
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/text/text_config.h"
#include "services/listener/engine_classifier.h"
#include "services/listener/text_engine_holder.h"
#include "tests/unit/listener/listener_fixture.h"

namespace carecast::listener {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

std::vector<std::string> Keywords(const v1::TrackedKeywordsSet& set) {
  return {set.keywords().begin(), set.keywords().end()};
}

class TrackedKeywordsTest : public ListenerFixture {
 protected:
  const common::SpokeScope kHub = common::SpokeScope::Hub();
};

TEST_F(TrackedKeywordsTest, ASetListIsInForceOnEveryReplicaWithoutARestart) {
  std::unique_ptr<TextEngineHolder> engine_a = Engines();
  std::unique_ptr<TextEngineHolder> engine_b = Engines();
  EngineClassifier classify_a(*engine_a);
  EngineClassifier classify_b(*engine_b);
  std::unique_ptr<Listener> a = Replica(*engine_a, classify_a);
  std::unique_ptr<Listener> b = Replica(*engine_b, classify_b);

  // Nothing set yet: the configured list.
  auto configured = a->GetTrackedKeywords();
  ASSERT_TRUE(configured.ok());
  EXPECT_THAT(Keywords(*configured), ElementsAre("St Marys", "#FluShot"));
  EXPECT_EQ(configured->actor(), "");
  const std::string text = "The new Lakeside Clinic on 5th street was quick and friendly";
  EXPECT_THAT(classify_a.Classify(text).keywords(), IsEmpty());

  auto set = a->SetTrackedKeywords({" Lakeside Clinic ", "#FluShot", "Lakeside Clinic"}, "k1",
                                   Strategist(), kHub);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT(Keywords(*set), ElementsAre("Lakeside Clinic", "#FluShot"));
  EXPECT_EQ(set->actor(), "sam");
  // In force here at once.
  EXPECT_THAT(classify_a.Classify(text).keywords(), Contains("Lakeside Clinic"));
  EXPECT_THAT(classify_b.Classify(text).keywords(), IsEmpty());

  // Announced and audited once.
  const std::vector<common::Event> events = Events("carecast.listening.>");
  ASSERT_EQ(events.size(), 1u);
  int audits = 0;
  for (const common::Event& e : Events("carecast.audit.>")) {
    v1::AuditRecorded recorded;
    ASSERT_TRUE(common::DecodeEvent(e, &recorded).ok());
    if (recorded.entry().resource() != "listeningSettings/keywords") continue;
    ++audits;
    EXPECT_EQ(recorded.entry().action(), "listening.keywords_set");
    EXPECT_EQ(recorded.entry().actor(), "sam");
    EXPECT_EQ(recorded.entry().request_id(), "k1");
  }
  EXPECT_EQ(audits, 1);

  // The other replica takes it from the event.
  EXPECT_EQ(b->OnKeywordsEvent(events[0]), common::Disposition::kAck);
  EXPECT_THAT(classify_b.Classify(text).keywords(), Contains("Lakeside Clinic"));

  // A retry changes nothing; a newer list wins over a late, repeated event.
  ASSERT_TRUE(
      a->SetTrackedKeywords({"Lakeside Clinic", "#FluShot"}, "k1", Strategist(), kHub).ok());
  EXPECT_EQ(Events("carecast.listening.>").size(), 1u);
  ASSERT_TRUE(a->SetTrackedKeywords({"Harbor Hospital"}, "k2", Strategist(), kHub).ok());
  EXPECT_EQ(b->OnKeywordsEvent(events[0]), common::Disposition::kAck);
  EXPECT_THAT(classify_b.Classify(text).keywords(), Not(Contains("Lakeside Clinic")));
  EXPECT_THAT(classify_b.Classify("Harbor Hospital has parking now").keywords(),
              Contains("Harbor Hospital"));

  // A replica that starts later puts the stored list in force.
  std::unique_ptr<TextEngineHolder> engine_c = Engines();
  EngineClassifier classify_c(*engine_c);
  std::unique_ptr<Listener> c = Replica(*engine_c, classify_c);
  ASSERT_TRUE(c->Start().ok());
  EXPECT_THAT(classify_c.Classify("Harbor Hospital has parking now").keywords(),
              Contains("Harbor Hospital"));
  c->Stop();
}

TEST_F(TrackedKeywordsTest, BadListsAndSpokeCallersChangeNothing) {
  std::vector<std::vector<std::string>> sink_calls;
  auto listener = Listener::Create(options_, {.buckets = kv_,
                                              .bus = bus_,
                                              .index = index_,
                                              .classifier = classifier_,
                                              .metrics = metrics_,
                                              .clock = clock_,
                                              .logger = logger_,
                                              .keyword_sink = [&](std::vector<std::string> k) {
                                                sink_calls.push_back(std::move(k));
                                                return absl::OkStatus();
                                              }});
  ASSERT_TRUE(listener.ok());
  const std::vector<std::vector<std::string>> bad = {
      {"ok", ""},      {"   "},      {std::string(101, 'a')},
      {"line\nbreak"}, {"\xff\xfe"}, std::vector<std::string>(501, "x"),
  };
  for (const auto& list : bad) {
    EXPECT_EQ((*listener)->SetTrackedKeywords(list, "", Strategist(), kHub).status().code(),
              absl::StatusCode::kInvalidArgument)
        << list.size();
  }
  // The list is the whole system's: a spoke's strategist may not replace it.
  EXPECT_EQ((*listener)
                ->SetTrackedKeywords({"St Marys"}, "", Strategist({"st-marys"}),
                                     common::SpokeScope::Only({"spokes/st-marys"}))
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(sink_calls, IsEmpty());
  EXPECT_EQ(KeyCount("carecast_listening"), 0u);
  EXPECT_THAT(Events("carecast.listening.>"), IsEmpty());
  // An empty list is a list: nothing tracked.
  auto cleared = (*listener)->SetTrackedKeywords({}, "", Strategist(), kHub);
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  ASSERT_EQ(sink_calls.size(), 1u);
  EXPECT_THAT(sink_calls[0], IsEmpty());
}

}  // namespace
}  // namespace carecast::listener
