// A Listener wired to in-memory fakes, shared by the listener unit tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "carecast/v1/events.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/common/rpc/rpc_edge.h"
#include "services/common/text/text_config.h"
#include "services/listener/listener.h"
#include "services/listener/listener_names.h"
#include "services/listener/text_engine_holder.h"
#include "tests/support/fake_event_bus.h"
#include "tests/support/fake_mention_classifier.h"
#include "tests/support/in_memory_key_value_store.h"
#include "tests/support/in_memory_sorted_index.h"

namespace carecast::listener {

class ListenerFixture : public ::testing::Test {
 protected:
  ListenerFixture() : metrics_(registry_), classifier_({"St Marys", "#FluShot"}) {
    options_.tracked_keywords = {"St Marys", "#FluShot"};
    options_.max_text_bytes = 1000;
    // Around-the-clock targets, so tests read due times without a calendar;
    // the business-hours defaults have their own tests (inbox_workflow_test.cc).
    options_.sla = {.urgent = {.clock = SlaClock::kWall, .amount = absl::Minutes(15)},
                    .high = {.clock = SlaClock::kWall, .amount = absl::Hours(1)},
                    .normal = {.clock = SlaClock::kWall, .amount = absl::Hours(4)},
                    .low = {.clock = SlaClock::kWall, .amount = absl::Hours(24)}};
    EXPECT_TRUE(common::EnsureStreams(bus_, {}).ok());
    auto listener = Listener::Create(options_, {.buckets = kv_,
                                                .bus = bus_,
                                                .index = index_,
                                                .classifier = classifier_,
                                                .metrics = metrics_,
                                                .clock = clock_,
                                                .logger = logger_});
    EXPECT_TRUE(listener.ok()) << listener.status();
    listener_ = *std::move(listener);
  }

  static v1::Mention MakeMention(std::string external_id, std::string text,
                                 v1::Network network = v1::NETWORK_X) {
    v1::Mention m;
    m.set_network(network);
    m.set_external_id(std::move(external_id));
    m.set_author_handle("@someone");
    m.set_text(std::move(text));
    return m;
  }

  // Another replica over the same stores whose text engines are `engines`
  // (the tracked keywords and the taxonomy applied to them at run time).
  std::unique_ptr<Listener> Replica(TextEngineHolder& engines,
                                    const MentionClassifier& classifier) {
    auto replica =
        Listener::Create(options_, {.buckets = kv_,
                                    .bus = bus_,
                                    .index = index_,
                                    .classifier = classifier,
                                    .metrics = metrics_,
                                    .clock = clock_,
                                    .logger = logger_,
                                    .keyword_sink =
                                        [&engines](std::vector<std::string> k) {
                                          return engines.ReplaceTrackedKeywords(std::move(k));
                                        },
                                    .taxonomy_sink =
                                        [&engines](std::string taxonomy) {
                                          return engines.ReplaceTaxonomy(std::move(taxonomy));
                                        }});
    EXPECT_TRUE(replica.ok()) << replica.status();
    return *std::move(replica);
  }
  // Real engines with the built-in data and the configured keywords.
  std::unique_ptr<TextEngineHolder> Engines() {
    auto engines =
        TextEngineHolder::Create(common::text::DefaultTextConfig(), options_.tracked_keywords);
    EXPECT_TRUE(engines.ok()) << engines.status();
    return *std::move(engines);
  }
  // sam, a strategist of `spokes` ("*": the hub).
  static common::Caller Strategist(std::vector<std::string> spokes = {"*"}) {
    common::Caller caller;
    caller.principal.subject = "sam";
    caller.principal.roles = {common::Role::kStrategist};
    caller.principal.spokes = std::move(spokes);
    caller.role = common::Role::kStrategist;
    return caller;
  }

  std::vector<common::Event> Events(const std::string& filter = "carecast.>") {
    return bus_.Published(filter);
  }
  size_t KeyCount(const std::string& bucket) { return kv_.Bucket(bucket).Keys("").value().size(); }

  common::FakeClock clock_;
  testing::FakeEventBus bus_;
  testing::InMemoryKeyValueStoreFactory kv_;
  testing::InMemorySortedIndex index_;
  prometheus::Registry registry_;
  ListenerMetrics metrics_;
  common::CapturingLogger logger_;
  ListenerOptions options_;
  testing::FakeMentionClassifier classifier_;
  std::unique_ptr<Listener> listener_;
};

}  // namespace carecast::listener
