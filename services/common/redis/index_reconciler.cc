#include "services/common/redis/index_reconciler.h"

#include <set>
#include <unordered_map>
#include <utility>

#include "services/common/base/status_macros.h"

namespace carecast::common {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

class NullObserver final : public IndexRepairObserver {
 public:
  void Repaired(std::string_view, const IndexRepairCounts&) override {}
};

bool Accepts(const IndexPlacement& p, double score) {
  return score >= p.score - p.slack_below && score <= p.score + p.slack_above;
}

// A fresh read of one key: its placement, nullopt when it is not indexed (or
// gone), or `unreadable` set when its record does not parse.
absl::StatusOr<std::optional<IndexPlacement>> FreshPlacement(const IndexSource& source,
                                                             std::string_view key,
                                                             bool* unreadable) {
  *unreadable = false;
  absl::StatusOr<std::optional<IndexPlacement>> placed = source.place(key);
  if (absl::IsNotFound(placed.status())) return std::optional<IndexPlacement>();
  if (absl::IsDataLoss(placed.status())) {
    *unreadable = true;
    return std::optional<IndexPlacement>();
  }
  return placed;
}

}  // namespace

IndexRepairObserver& NullIndexRepairObserver() {
  static NullObserver* observer = new NullObserver();
  return *observer;
}

IndexRepairCounts ReconcileReport::Total() const {
  IndexRepairCounts total;
  for (const auto& [label, counts] : repairs) {
    total.added += counts.added;
    total.fixed += counts.fixed;
    total.removed += counts.removed;
  }
  return total;
}

IndexReconciler::IndexReconciler(IndexReconcilerOptions options, IndexSource source,
                                 SortedIndex& index, IndexRepairObserver& observer, Logger& logger)
    : options_(std::move(options)),
      source_(std::move(source)),
      index_(index),
      observer_(observer),
      logger_(logger) {}

absl::Status IndexReconciler::ReadExpected(
    const ReconcileScope& scope, const std::map<std::string, std::string, std::less<>>& label_of,
    ReconcileReport& report, std::unordered_map<std::string, IndexPlacement>& expected,
    std::set<std::string, std::less<>>& leave_alone) {
  auto take = [&](std::string_view key,
                  absl::StatusOr<std::optional<IndexPlacement>> placed) -> absl::Status {
    ++report.keys_scanned;
    if (absl::IsNotFound(placed.status())) return absl::OkStatus();
    if (absl::IsDataLoss(placed.status())) {
      ++report.unreadable;
      leave_alone.emplace(key);
      return absl::OkStatus();
    }
    if (!placed.ok()) return placed.status();
    if (!placed->has_value()) return absl::OkStatus();
    IndexPlacement& placement = **placed;
    if (!label_of.contains(placement.index)) {
      return absl::InternalError("index source placed a key in an index it does not reconcile");
    }
    if (placement.score > scope.max_score) {
      leave_alone.emplace(key);
      return absl::OkStatus();
    }
    expected.emplace(std::string(key), std::move(placement));
    return absl::OkStatus();
  };
  if (source_.scan) {
    RETURN_IF_ERROR(source_.scan(take));
  } else {
    ASSIGN_OR_RETURN(std::vector<std::string> keys, source_.keys());
    for (const std::string& key : keys) RETURN_IF_ERROR(take(key, source_.place(key)));
  }
  return absl::OkStatus();
}

absl::StatusOr<ReconcileReport> IndexReconciler::Reconcile(const ReconcileScope& scope) {
  const size_t batch = std::max<size_t>(options_.batch_size, 1);
  ReconcileReport report;
  std::map<std::string, std::string, std::less<>> label_of;
  for (const ReconciledIndex& idx : options_.indexes) {
    label_of[idx.name] = idx.label;
    report.repairs[idx.label] = {};
  }

  // What KV says, read first: a member indexed after this point is younger than
  // the read and is checked again before anything removes it.
  std::unordered_map<std::string, IndexPlacement> expected;
  std::set<std::string, std::less<>> leave_alone;  // unreadable, or beyond the scope
  RETURN_IF_ERROR(ReadExpected(scope, label_of, report, expected, leave_alone));

  // What Redis holds, compared member by member.
  std::set<std::string, std::less<>> present;                  // keys found where KV places them
  std::vector<std::pair<std::string, std::string>> to_fix;     // (index, member)
  std::vector<std::pair<std::string, std::string>> to_remove;  // (index, member)
  for (const ReconciledIndex& idx : options_.indexes) {
    size_t offset = 0;
    while (true) {
      ASSIGN_OR_RETURN(std::vector<ScoredMember> members,
                       index_.RangeByScore(idx.name, -kInf, kInf, offset, batch));
      offset += members.size();
      report.members_scanned += static_cast<int64_t>(members.size());
      for (const ScoredMember& m : members) {
        auto it = expected.find(m.member);
        if (it != expected.end() && it->second.index == idx.name) {
          present.insert(m.member);
          if (!Accepts(it->second, m.score)) to_fix.emplace_back(idx.name, m.member);
        } else if (!leave_alone.contains(m.member) && scope.remove) {
          to_remove.emplace_back(idx.name, m.member);
        }
      }
      if (members.size() < batch) break;
    }
  }

  // Writes, grouped per index into batches of Add.
  std::map<std::string, std::vector<ScoredMember>> pending;
  auto flush = [&](const std::string& index_name) -> absl::Status {
    std::vector<ScoredMember>& members = pending[index_name];
    if (members.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(index_.Add(index_name, members));
    members.clear();
    return absl::OkStatus();
  };
  auto stage = [&](const std::string& index_name, ScoredMember member) -> absl::Status {
    pending[index_name].push_back(std::move(member));
    if (pending[index_name].size() >= batch) return flush(index_name);
    return absl::OkStatus();
  };

  absl::Status error;
  for (const auto& [key, placement] : expected) {
    if (present.contains(key)) continue;
    error = stage(placement.index, {key, placement.score});
    if (!error.ok()) break;
    ++report.repairs[label_of[placement.index]].added;
  }
  // Fixes and removals go by a fresh read, so a write that raced this pass wins.
  for (const auto& [index_name, key] : to_fix) {
    if (!error.ok()) break;
    bool unreadable = false;
    absl::StatusOr<std::optional<IndexPlacement>> fresh = FreshPlacement(source_, key, &unreadable);
    if (!fresh.ok()) {
      error = fresh.status();
      break;
    }
    if (!*fresh || (*fresh)->index != index_name) continue;  // moved on; the next pass sees it
    error = stage(index_name, {key, (*fresh)->score});
    if (error.ok()) ++report.repairs[label_of[index_name]].fixed;
  }
  for (const auto& [index_name, member] : to_remove) {
    if (!error.ok()) break;
    bool unreadable = false;
    absl::StatusOr<std::optional<IndexPlacement>> fresh =
        FreshPlacement(source_, member, &unreadable);
    if (!fresh.ok()) {
      error = fresh.status();
      break;
    }
    if (unreadable || (*fresh && (*fresh)->index == index_name)) continue;  // written meanwhile
    error = index_.Remove(index_name, member);
    if (error.ok()) ++report.repairs[label_of[index_name]].removed;
  }
  for (const ReconciledIndex& idx : options_.indexes) {
    if (!error.ok()) break;
    error = flush(idx.name);
  }

  // Counted repairs staged but never flushed did not happen; recount is not worth
  // it: the error aborts the pass, and the next pass repairs (and counts) them.
  const IndexRepairCounts total = report.Total();
  if (total.total() > 0 && error.ok()) {
    LogFields fields = {{"pass", std::string(scope.pass)},
                        {"added", total.added},
                        {"fixed", total.fixed},
                        {"removed", total.removed},
                        {"keys_scanned", report.keys_scanned},
                        {"members_scanned", report.members_scanned}};
    std::string labels;
    for (const auto& [label, counts] : report.repairs) {
      if (counts.total() == 0) continue;
      observer_.Repaired(label, counts);
      if (!labels.empty()) labels += ",";
      labels += label;
    }
    fields.emplace_back("index", labels);
    logger_.Warn("index reconciled with KV: repairs made", fields);
  }
  if (!error.ok()) {
    logger_.Warn("index reconciliation incomplete; the next pass retries",
                 {{"pass", std::string(scope.pass)}, {"error", std::string(error.message())}});
    return error;
  }
  return report;
}

}  // namespace carecast::common
