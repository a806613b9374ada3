// A reproducible stream of the events the metrics service consumes, as the bus
// delivers them (envelope plus serialized payload), and the figures that stream
// must produce, counted by the generator itself (not by ProgramFigures).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "carecast/v1/resources.pb.h"

#include "services/common/bus/event.h"

namespace carecast::bench {

struct WorkloadOptions {
  int64_t events = 1'000'000;  // about this many; the mix sets the exact count
  int spokes = 20;
  int campaigns = 12;
  int readings_per_post = 3;  // engagement readings of each published post (one more repeats)
  uint32_t seed = 13;
};

// What the figures must read once every event is applied.
struct ExpectedFigures {
  int64_t events = 0;  // every event has its own id, so each is applied once
  std::map<v1::Network, int64_t> published;
  std::map<std::pair<v1::Network, v1::PostState>, int64_t> failed;
  std::map<v1::Network, int64_t> needing_human;
  std::map<v1::Sentiment, int64_t> mentions;
  int64_t open_items = 0;
  int64_t closed_items = 0;
  // By (network, spoke id): sums of each post's latest reading, and of each
  // account's latest follower count.
  std::map<std::pair<v1::Network, std::string>, int64_t> impressions;
  std::map<std::pair<v1::Network, std::string>, int64_t> interactions;
  std::map<std::pair<v1::Network, std::string>, int64_t> clicks;
  std::map<std::pair<v1::Network, std::string>, int64_t> followers;
  // objectives/all-posts: KPI_POSTS_PUBLISHED over everything.
  int64_t all_posts_objective = 0;
  std::map<std::string, int64_t> by_kind;  // events per subject
};

struct Workload {
  std::vector<common::Event> events;  // in stream order (by event time)
  ExpectedFigures expected;
};

// Objectives first (strategists define them before the program runs), then posts
// published and failed across networks, spokes and campaigns, each published
// post's engagement readings over the following days (the last one repeated),
// mentions with their inbox items created and mostly closed, and follower
// counts read per account, interleaved by time.
Workload MakeWorkload(const WorkloadOptions& options);

}  // namespace carecast::bench
