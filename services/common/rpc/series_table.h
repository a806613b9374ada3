// Counter and gauge families whose Prometheus text costs little to write, for a
// service that holds many series (the metrics service: per objective, network
// and spoke). Each series' name and labels are rendered once, when the series
// is made; a scrape appends that prefix and the current value. Stock
// prometheus::Registry::Collect instead builds a ClientMetric with its label
// vector for every series on every scrape: 65 to 75 ms of CPU for 100,000
// series on the reference machine, more than a scrape's whole budget
// (bench/metrics/README.md).
//
// The text is the Prometheus text format (0.0.4), line for line what
// prometheus::TextSerializer writes for the same families (families in the
// order they were added, series in the order they were made; a family with no
// series is left out, as prometheus-cpp does).
//
// Thread-safety: Series::Set/Increment/Decrement are lock-free atomics. Making a
// series takes its family's lock, which AppendText also holds while it writes
// that family, so a scrape never sees half a series. Families are added before
// the table is shared (AddCounter/AddGauge are not thread-safe against
// AppendText). Series and families live as long as the table.
//
// Errors: an invalid metric or label name, a reserved label ("__" prefix), or a
// family name used twice throws std::invalid_argument, as prometheus-cpp's
// builders do: these are programming errors found at start-up, never input.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace carecast::common {

// Label name -> value; values may be any text (escaped when rendered).
using SeriesLabels = std::map<std::string, std::string, std::less<>>;

enum class SeriesKind { kCounter, kGauge };

// One series: a value behind a rendered "name{labels} " prefix.
// Made by SeriesFamily::Add only.
class Series {
 public:
  Series(std::string prefix, SeriesKind kind) : prefix_(std::move(prefix)), kind_(kind) {}
  Series(const Series&) = delete;
  Series& operator=(const Series&) = delete;

  // Sets the value. For a counter the caller keeps it from going down (a
  // counter that mirrors a total counted elsewhere).
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  // Adds `by`; a counter ignores a negative or NaN `by`, as prometheus-cpp does.
  void Increment(double by = 1);
  // Gauges only; a counter ignores it.
  void Decrement(double by = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

  // "name{labels} ", the sample line up to its value.
  const std::string& prefix() const { return prefix_; }

 private:
  const std::string prefix_;
  const SeriesKind kind_;
  std::atomic<double> value_{0};
};

class SeriesFamily {
 public:
  SeriesFamily(std::string name, std::string help, SeriesKind kind);
  SeriesFamily(const SeriesFamily&) = delete;
  SeriesFamily& operator=(const SeriesFamily&) = delete;

  // The series with these labels, made (at 0) on first use. The reference stays
  // valid for the family's life. Throws std::invalid_argument on a bad label name.
  Series& Add(const SeriesLabels& labels);

  const std::string& name() const { return name_; }
  SeriesKind kind() const { return kind_; }
  // Series made so far.
  size_t size() const;

  // Appends the family's HELP, TYPE and sample lines (nothing when it has no series).
  void AppendText(std::string& out) const;

 private:
  const std::string name_;
  const std::string help_;
  const SeriesKind kind_;

  mutable std::mutex mu_;
  std::deque<Series> series_;                            // guarded by mu_
  absl::flat_hash_map<std::string, Series*> by_prefix_;  // guarded by mu_
};

class SeriesTable {
 public:
  SeriesTable() = default;
  SeriesTable(const SeriesTable&) = delete;
  SeriesTable& operator=(const SeriesTable&) = delete;

  SeriesFamily& AddCounter(std::string name, std::string help);
  SeriesFamily& AddGauge(std::string name, std::string help);

  // Appends every family's text, in the order they were added.
  void AppendText(std::string& out) const;
  // Series in all families (to size the text before writing it).
  size_t series_count() const;

 private:
  SeriesFamily& Add(std::string name, std::string help, SeriesKind kind);

  std::vector<std::unique_ptr<SeriesFamily>> families_;
};

}  // namespace carecast::common
