// The topic taxonomy replaced at run time: the built-in taxonomy until one is
// set; a set taxonomy is stored, audited, announced and in force at once on
// this replica (a rebuilt engine that keeps the tracked keywords), on another
// replica from the event, and on a replica that starts later; a late event
// never brings an older taxonomy back; bad taxonomies and spoke callers change
// nothing.
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/text/text_config.h"
#include "services/listener/engine_classifier.h"
#include "services/listener/taxonomy_tsv.h"
#include "services/listener/text_engine_holder.h"
#include "tests/unit/listener/listener_fixture.h"

namespace carecast::listener {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;

TopicDefinitions BuiltIn() {
  return ParseTaxonomyTsv(common::text::EmbeddedDataFile("taxonomy.tsv"));
}

TopicDefinitions With(TopicDefinitions topics, std::string id, std::vector<std::string> phrases) {
  v1::TopicDefinition& topic = *topics.Add();
  topic.set_topic(std::move(id));
  for (std::string& p : phrases) topic.add_phrases(std::move(p));
  return topics;
}

std::vector<std::string> Topics(const v1::Classification& c) {
  return {c.topics().begin(), c.topics().end()};
}

class TopicTaxonomyTest : public ListenerFixture {
 protected:
  const common::SpokeScope kHub = common::SpokeScope::Hub();
  const std::string kText = "Is the St Marys flu clinic open on Saturday?";
};

TEST_F(TopicTaxonomyTest, ASetTaxonomyIsInForceOnEveryReplicaWithoutARestart) {
  std::unique_ptr<TextEngineHolder> engines_a = Engines();
  std::unique_ptr<TextEngineHolder> engines_b = Engines();
  EngineClassifier classify_a(*engines_a);
  EngineClassifier classify_b(*engines_b);
  std::unique_ptr<Listener> a = Replica(*engines_a, classify_a);
  std::unique_ptr<Listener> b = Replica(*engines_b, classify_b);

  // Nothing set yet: the built-in taxonomy, as compiled in.
  auto built_in = a->GetTopicTaxonomy();
  ASSERT_TRUE(built_in.ok()) << built_in.status();
  EXPECT_EQ(built_in->actor(), "");
  EXPECT_FALSE(built_in->has_update_time());
  ASSERT_EQ(built_in->topics_size(), BuiltIn().size());
  EXPECT_EQ(built_in->topics(0).topic(), "service_line/emergency");
  EXPECT_THAT(built_in->topics(0).phrases(), Contains("emergency room"));
  EXPECT_THAT(Topics(classify_a.Classify(kText)), Not(Contains("flu_clinic")));

  // What an administrator does: take the taxonomy in force, add a topic, set it.
  auto set = a->SetTopicTaxonomy(With(built_in->topics(), "flu_clinic", {"flu clinic", "flu jab"}),
                                 "t1", Strategist(), kHub);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->topics_size(), built_in->topics_size() + 1);
  EXPECT_EQ(set->actor(), "sam");
  EXPECT_TRUE(set->has_update_time());
  // In force here at once, with the tracked keywords still matched.
  const v1::Classification here = classify_a.Classify(kText);
  EXPECT_THAT(Topics(here), Contains("flu_clinic"));
  EXPECT_THAT(here.keywords(), Contains("St Marys"));
  EXPECT_THAT(Topics(classify_b.Classify(kText)), Not(Contains("flu_clinic")));
  auto got = b->GetTopicTaxonomy();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->actor(), "sam");
  EXPECT_EQ(got->topics_size(), set->topics_size());

  // Announced and audited once.
  const std::vector<common::Event> events = Events("carecast.listening.>");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].subject, "carecast.listening.taxonomy_set");
  int audits = 0;
  for (const common::Event& e : Events("carecast.audit.>")) {
    v1::AuditRecorded recorded;
    ASSERT_TRUE(common::DecodeEvent(e, &recorded).ok());
    if (recorded.entry().resource() != "listeningSettings/taxonomy") continue;
    ++audits;
    EXPECT_EQ(recorded.entry().action(), "listening.taxonomy_set");
    EXPECT_EQ(recorded.entry().actor(), "sam");
    EXPECT_EQ(recorded.entry().request_id(), "t1");
  }
  EXPECT_EQ(audits, 1);

  // The other replica takes it from the event.
  EXPECT_EQ(b->OnTaxonomyEvent(events[0]), common::Disposition::kAck);
  EXPECT_THAT(Topics(classify_b.Classify(kText)), Contains("flu_clinic"));
  EXPECT_THAT(classify_b.Classify(kText).keywords(), Contains("St Marys"));

  // A retry changes nothing; a newer taxonomy wins over a late, repeated event.
  ASSERT_TRUE(a->SetTopicTaxonomy(set->topics(), "t1", Strategist(), kHub).ok());
  EXPECT_EQ(Events("carecast.listening.>").size(), 1u);
  ASSERT_TRUE(
      a->SetTopicTaxonomy(With(BuiltIn(), "stroke_unit", {"stroke unit"}), "t2", Strategist(), kHub)
          .ok());
  EXPECT_EQ(b->OnTaxonomyEvent(events[0]), common::Disposition::kAck);
  EXPECT_THAT(Topics(classify_b.Classify(kText)), Not(Contains("flu_clinic")));
  EXPECT_THAT(Topics(classify_b.Classify("The stroke unit saved my dad")), Contains("stroke_unit"));

  // A replica that starts later puts the stored taxonomy in force.
  std::unique_ptr<TextEngineHolder> engines_c = Engines();
  EngineClassifier classify_c(*engines_c);
  std::unique_ptr<Listener> c = Replica(*engines_c, classify_c);
  ASSERT_TRUE(c->Start().ok());
  EXPECT_THAT(Topics(classify_c.Classify("The stroke unit saved my dad")), Contains("stroke_unit"));
  c->Stop();
}

TEST_F(TopicTaxonomyTest, BadTaxonomiesAndSpokeCallersChangeNothing) {
  std::vector<std::string> sink_calls;
  auto listener = Listener::Create(options_, {.buckets = kv_,
                                              .bus = bus_,
                                              .index = index_,
                                              .classifier = classifier_,
                                              .metrics = metrics_,
                                              .clock = clock_,
                                              .logger = logger_,
                                              .taxonomy_sink = [&](std::string taxonomy) {
                                                sink_calls.push_back(std::move(taxonomy));
                                                return absl::OkStatus();
                                              }});
  ASSERT_TRUE(listener.ok());
  TopicDefinitions too_many;
  for (int i = 0; i < 201; ++i) too_many = With(too_many, "t" + std::to_string(i), {"x"});
  const std::vector<TopicDefinitions> bad = {
      {},                                                                   // no topics
      With(With({}, "flu_clinic", {"flu clinic"}), "flu_clinic", {"jab"}),  // duplicate id
      With({}, "Flu Clinic", {"flu clinic"}),                               // bad id
      With({}, "flu-clinic", {"flu clinic"}),
      With({}, "flu//clinic", {"flu clinic"}),
      With({}, std::string(41, 'a'), {"flu clinic"}),
      With({}, "flu_clinic", {}),                                           // no phrases
      With({}, "flu_clinic", {"flu clinic", ""}),                           // an empty phrase
      With({}, "flu_clinic", {"flu\tclinic"}),                              // a TAB
      With({}, "flu_clinic", {"flu clinic|flu jab"}),                       // the separator
      With({}, "flu_clinic", {"flu\nclinic"}),                              // a control character
      With({}, "flu_clinic", {"\xff\xfe"}),                                 // not UTF-8
      With({}, "flu_clinic", {std::string(101, 'a')}),                      // too long
      With({}, "flu_clinic", {"\u200b\u200b"}),                             // nothing to match
      With({}, "flu_clinic", std::vector<std::string>(201, "flu clinic")),  // too many phrases
      too_many,
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_EQ((*listener)->SetTopicTaxonomy(bad[i], "", Strategist(), kHub).status().code(),
              absl::StatusCode::kInvalidArgument)
        << i;
  }
  // The taxonomy is the whole system's: a spoke's strategist may not replace it.
  EXPECT_EQ(
      (*listener)
          ->SetTopicTaxonomy(With({}, "flu_clinic", {"flu clinic"}), "", Strategist({"st-marys"}),
                             common::SpokeScope::Only({"spokes/st-marys"}))
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(sink_calls, IsEmpty());
  EXPECT_EQ(KeyCount("carecast_listening"), 0u);
  EXPECT_THAT(Events("carecast.listening.>"), IsEmpty());
  EXPECT_THAT(Events("carecast.audit.>"), IsEmpty());

  // A good one reaches the sink in the engine's form, phrases trimmed.
  auto set = (*listener)->SetTopicTaxonomy(With({}, "flu_clinic", {" flu clinic ", "flu jab"}), "",
                                           Strategist(), kHub);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(sink_calls.size(), 1u);
  EXPECT_EQ(sink_calls[0], "flu_clinic\tflu clinic|flu jab\n");
}

TEST(TaxonomyTsvTest, TheBuiltInTaxonomyPassesTheChecksAndRoundTrips) {
  const TopicDefinitions built_in = BuiltIn();
  ASSERT_GT(built_in.size(), 20);
  auto normalised = NormalisedTopics(built_in);
  ASSERT_TRUE(normalised.ok()) << normalised.status();
  const std::string tsv = TaxonomyTsv(*normalised);
  const TopicDefinitions again = ParseTaxonomyTsv(tsv);
  ASSERT_EQ(again.size(), built_in.size());
  for (int i = 0; i < again.size(); ++i) {
    EXPECT_EQ(again[i].topic(), built_in[i].topic());
    EXPECT_THAT(again[i].phrases(), ::testing::ElementsAreArray(built_in[i].phrases()));
  }
  EXPECT_TRUE(CheckTaxonomyCompiles(tsv).ok());
}

}  // namespace
}  // namespace carecast::listener
