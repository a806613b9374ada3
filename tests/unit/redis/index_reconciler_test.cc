#include "services/common/redis/index_reconciler.h"

#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/base/logger.h"
#include "services/common/redis/index_repair_metrics.h"
#include "tests/support/in_memory_sorted_index.h"
#include "tests/support/metric_values.h"

namespace carecast::common {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::string_view kOpen = "open";
constexpr std::string_view kClosed = "closed";

// KV as the test sees it: key -> (index, score); "!" as index means unreadable,
// "" means present but not indexed.
class FakeSource {
 public:
  std::map<std::string, std::pair<std::string, double>> records;
  int reads = 0;

  IndexSource Source() {
    return {.keys = [this]() -> absl::StatusOr<std::vector<std::string>> {
              if (!fail_keys.ok()) return fail_keys;
              std::vector<std::string> keys;
              for (const auto& [k, v] : records) keys.push_back(k);
              return keys;
            },
            .place = [this](std::string_view key) -> absl::StatusOr<std::optional<IndexPlacement>> {
              ++reads;
              auto it = records.find(std::string(key));
              if (it == records.end()) return absl::NotFoundError("gone");
              if (it->second.first == "!") return absl::DataLossError("garbled");
              if (it->second.first.empty()) return std::optional<IndexPlacement>();
              return std::optional<IndexPlacement>(
                  IndexPlacement{.index = it->second.first, .score = it->second.second});
            }};
  }
  absl::Status fail_keys;
};

class IndexReconcilerTest : public ::testing::Test {
 protected:
  IndexReconciler Make(size_t batch = 500,
                       IndexRepairObserver& observer = NullIndexRepairObserver()) {
    return IndexReconciler(
        {.indexes = {{std::string(kOpen), "test_open"}, {std::string(kClosed), "test_closed"}},
         .batch_size = batch},
        kv_.Source(), index_, observer, logger_);
  }
  std::map<std::string, double> Members(std::string_view index) {
    std::map<std::string, double> out;
    absl::StatusOr<std::vector<ScoredMember>> members =
        index_.RangeByScore(index, -kInf, kInf, 0, 100000);
    if (!members.ok()) {
      ADD_FAILURE() << members.status();
      return out;
    }
    for (const ScoredMember& m : *members) out[m.member] = m.score;
    return out;
  }

  int RepairLines() const {
    int n = 0;
    for (const auto& line : logger_.lines())
      if (line.message == "index reconciled with KV: repairs made") ++n;
    return n;
  }

  FakeSource kv_;
  testing::InMemorySortedIndex index_;
  CapturingLogger logger_;
};

TEST_F(IndexReconcilerTest, AddsMissingFixesWrongScoresAndRemovesWhatKvDoesNotHave) {
  kv_.records = {{"a", {"open", 1}}, {"b", {"open", 2}}, {"c", {"closed", -3}}, {"d", {"", 0}}};
  ASSERT_TRUE(index_.Add(kOpen, {{"b", 20}, {"ghost", 5}, {"d", 4}, {"c", -3}}).ok());

  IndexReconciler reconciler = Make();
  absl::StatusOr<ReconcileReport> report = reconciler.Reconcile();
  ASSERT_TRUE(report.ok()) << report.status();

  EXPECT_EQ(Members(kOpen), (std::map<std::string, double>{{"a", 1}, {"b", 2}}));
  EXPECT_EQ(Members(kClosed), (std::map<std::string, double>{{"c", -3}}));
  const IndexRepairCounts& open = report->repairs.at("test_open");
  EXPECT_EQ(open.added, 1);    // a
  EXPECT_EQ(open.fixed, 1);    // b
  EXPECT_EQ(open.removed, 3);  // ghost (gone), d (not indexed), c (belongs in closed)
  EXPECT_EQ(report->repairs.at("test_closed").added, 1);
  EXPECT_EQ(report->keys_scanned, 4);
  EXPECT_EQ(RepairLines(), 1);

  // A second pass finds nothing to do and says nothing.
  report = reconciler.Reconcile();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->Total().total(), 0);
  EXPECT_EQ(RepairLines(), 1);
}

TEST_F(IndexReconcilerTest, AStreamingSourceIsUsedInsteadOfKeysAndReads) {
  kv_.records = {{"a", {"open", 1}}, {"b", {"open", 2}}, {"bad", {"!", 0}}, {"d", {"", 0}}};
  ASSERT_TRUE(index_.Add(kOpen, {{"b", 20}, {"bad", 7}, {"ghost", 5}}).ok());
  IndexSource source = kv_.Source();
  source.keys = []() -> absl::StatusOr<std::vector<std::string>> {
    return absl::InternalError("a pass with a scan must not list keys");
  };
  int scans = 0;
  source.scan = [this, &scans, place = source.place](const IndexSource::Visit& visit) {
    ++scans;
    for (const auto& [key, record] : kv_.records) {
      // The scan has the value already: the same answer as place, no read counted.
      --kv_.reads;
      if (absl::Status s = visit(key, place(key)); !s.ok()) return s;
    }
    return visit("vanished", absl::NotFoundError("deleted while scanned"));
  };
  IndexReconciler reconciler(
      {.indexes = {{std::string(kOpen), "test_open"}, {std::string(kClosed), "test_closed"}}},
      source, index_, NullIndexRepairObserver(), logger_);
  kv_.reads = 0;
  absl::StatusOr<ReconcileReport> report = reconciler.Reconcile();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(scans, 1);
  EXPECT_EQ(Members(kOpen), (std::map<std::string, double>{{"a", 1}, {"b", 2}, {"bad", 7}}));
  EXPECT_EQ(report->keys_scanned, 5);
  EXPECT_EQ(report->unreadable, 1);  // left as it is
  const IndexRepairCounts& open = report->repairs.at("test_open");
  EXPECT_EQ(open.added, 1);
  EXPECT_EQ(open.fixed, 1);
  EXPECT_EQ(open.removed, 1);  // ghost
  // Only the fix and the removal were read again, fresh, before they were applied.
  EXPECT_EQ(kv_.reads, 2);

  // An error of the scan aborts the pass and changes nothing.
  source.scan = [](const IndexSource::Visit&) { return absl::UnavailableError("KV down"); };
  IndexReconciler failing({.indexes = {{std::string(kOpen), "test_open"}}}, source, index_,
                          NullIndexRepairObserver(), logger_);
  ASSERT_TRUE(index_.Add(kOpen, {{"ghost2", 9}}).ok());
  EXPECT_EQ(failing.Reconcile().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Members(kOpen).count("ghost2"), 1u);
}

TEST_F(IndexReconcilerTest, HealsALostSetRegardlessOfItsMarker) {
  for (int i = 0; i < 1234; ++i) kv_.records[absl::StrCat("k", i)] = {"open", i};
  ASSERT_TRUE(index_.SetMarker("built").ok());  // the marker survives, the set does not
  absl::StatusOr<ReconcileReport> report = Make(/*batch=*/100).Reconcile();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->repairs.at("test_open").added, 1234);
  EXPECT_EQ(Members(kOpen).size(), 1234u);
}

TEST_F(IndexReconcilerTest, ReadsAndRepairsInBatchesLargerThanOne) {
  for (int i = 0; i < 250; ++i) kv_.records[absl::StrCat("k", i)] = {"open", i};
  std::vector<ScoredMember> stale;
  stale.reserve(350);
  for (int i = 0; i < 250; ++i) stale.push_back({absl::StrCat("stale", i), 1.0 * i});
  for (int i = 0; i < 100; ++i) stale.push_back({absl::StrCat("k", i), 1000.0 + i});  // wrong
  ASSERT_TRUE(index_.Add(kOpen, stale).ok());
  absl::StatusOr<ReconcileReport> report = Make(/*batch=*/7).Reconcile();
  ASSERT_TRUE(report.ok());
  const IndexRepairCounts& open = report->repairs.at("test_open");
  EXPECT_EQ(open.added, 150);
  EXPECT_EQ(open.fixed, 100);
  EXPECT_EQ(open.removed, 250);
  EXPECT_EQ(report->members_scanned, 350);
  std::map<std::string, double> members = Members(kOpen);
  ASSERT_EQ(members.size(), 250u);
  for (int i = 0; i < 250; ++i) EXPECT_EQ(members[absl::StrCat("k", i)], i);
}

TEST_F(IndexReconcilerTest, AnUnreadableRecordIsNeitherAddedNorRemoved) {
  kv_.records = {{"bad", {"!", 0}}, {"bad2", {"!", 0}}};
  ASSERT_TRUE(index_.Add(kOpen, {{"bad", 7}}).ok());
  absl::StatusOr<ReconcileReport> report = Make().Reconcile();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->unreadable, 2);
  EXPECT_EQ(Members(kOpen), (std::map<std::string, double>{{"bad", 7}}));
}

TEST_F(IndexReconcilerTest, SlackLeavesAcceptableScoresAlone) {
  IndexReconciler reconciler(
      {.indexes = {{"due", "due"}}},
      {.keys = []() -> absl::StatusOr<std::vector<std::string>> {
         return std::vector<std::string>{"early", "late", "ok"};
       },
       .place = [](std::string_view) -> absl::StatusOr<std::optional<IndexPlacement>> {
         return std::optional<IndexPlacement>(
             IndexPlacement{.index = "due", .score = 100, .slack_below = kInf, .slack_above = 5});
       }},
      index_, NullIndexRepairObserver(), logger_);
  ASSERT_TRUE(index_.Add("due", {{"early", 1}, {"late", 200}, {"ok", 104}}).ok());
  absl::StatusOr<ReconcileReport> report = reconciler.Reconcile();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->repairs.at("due").fixed, 1);
  EXPECT_EQ(Members("due"),
            (std::map<std::string, double>{{"early", 1}, {"late", 100}, {"ok", 104}}));
}

TEST_F(IndexReconcilerTest, AScopedPassOnlyAddsWithinItsHorizonAndRemovesNothing) {
  kv_.records = {{"soon", {"open", 10}}, {"later", {"open", 1000}}, {"wrong", {"open", 20}}};
  ASSERT_TRUE(index_.Add(kOpen, {{"ghost", 1}, {"wrong", 5000}}).ok());
  absl::StatusOr<ReconcileReport> report =
      Make().Reconcile({.max_score = 100, .remove = false, .pass = "due_sweep"});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Members(kOpen),
            (std::map<std::string, double>{{"ghost", 1}, {"soon", 10}, {"wrong", 20}}));
  EXPECT_EQ(report->repairs.at("test_open").added, 1);
  EXPECT_EQ(report->repairs.at("test_open").fixed, 1);
  EXPECT_EQ(report->repairs.at("test_open").removed, 0);
}

TEST_F(IndexReconcilerTest, ARemovalIsCheckedAgainstAFreshRead) {
  // The member appears in KV after the key listing (a writer that indexes first).
  bool listed = false;
  IndexReconciler reconciler(
      {.indexes = {{std::string(kOpen), "test_open"}}},
      {.keys = [&]() -> absl::StatusOr<std::vector<std::string>> {
         listed = true;
         return std::vector<std::string>{};
       },
       .place = [&](std::string_view) -> absl::StatusOr<std::optional<IndexPlacement>> {
         if (!listed) return absl::NotFoundError("not yet");
         return std::optional<IndexPlacement>(
             IndexPlacement{.index = std::string(kOpen), .score = 3});
       }},
      index_, NullIndexRepairObserver(), logger_);
  ASSERT_TRUE(index_.Add(kOpen, {{"new", 3}}).ok());
  absl::StatusOr<ReconcileReport> report = reconciler.Reconcile();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->Total().total(), 0);
  EXPECT_EQ(Members(kOpen).size(), 1u);
}

TEST_F(IndexReconcilerTest, ErrorsOfKvOrRedisAbortThePass) {
  kv_.fail_keys = absl::UnavailableError("nats down");
  EXPECT_TRUE(absl::IsUnavailable(Make().Reconcile().status()));
  kv_.fail_keys = absl::OkStatus();
  kv_.records = {{"a", {"open", 1}}};
  index_.FailAll(absl::UnavailableError("redis down"));
  EXPECT_TRUE(absl::IsUnavailable(Make().Reconcile().status()));
  index_.FailAll(absl::OkStatus());
  EXPECT_TRUE(Make().Reconcile().ok());
  EXPECT_EQ(Members(kOpen).size(), 1u);
}

TEST_F(IndexReconcilerTest, RepairsAreCountedInThePreinitialisedMetric) {
  prometheus::Registry registry;
  IndexRepairMetrics metrics(registry, {"test_open", "test_closed"});
  for (std::string_view kind : {"added", "fixed", "removed"}) {
    EXPECT_EQ(
        carecast::testing::SeriesValue(registry, "carecast_index_repairs_total",
                                       {{"index", "test_closed"}, {"kind", std::string(kind)}}),
        0.0);
  }
  kv_.records = {{"a", {"open", 1}}, {"b", {"open", 2}}};
  ASSERT_TRUE(index_.Add(kOpen, {{"ghost", 1}}).ok());
  ASSERT_TRUE(Make(500, metrics).Reconcile().ok());
  EXPECT_EQ(carecast::testing::SeriesValue(registry, "carecast_index_repairs_total",
                                           {{"index", "test_open"}, {"kind", "added"}}),
            2.0);
  EXPECT_EQ(carecast::testing::SeriesValue(registry, "carecast_index_repairs_total",
                                           {{"index", "test_open"}, {"kind", "removed"}}),
            1.0);
}

}  // namespace
}  // namespace carecast::common
