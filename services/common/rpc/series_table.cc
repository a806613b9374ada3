#include "services/common/rpc/series_table.h"

#include <cmath>
#include <stdexcept>
#include <utility>

#include "services/common/rpc/metrics_text.h"

namespace carecast::common {
namespace {

bool NameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool NameChar(char c) { return NameStart(c) || (c >= '0' && c <= '9'); }

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool ValidMetricName(std::string_view name) {
  if (name.empty() || !(NameStart(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!NameChar(c) && c != ':') return false;
  }
  return true;
}

// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved for Prometheus).
bool ValidLabelName(std::string_view name) {
  if (name.empty() || !NameStart(name[0]) || name.starts_with("__")) return false;
  for (char c : name) {
    if (!NameChar(c)) return false;
  }
  return true;
}

std::string Prefix(std::string_view name, const SeriesLabels& labels) {
  std::string prefix(name);
  char separator = '{';
  for (const auto& [label, value] : labels) {
    if (!ValidLabelName(label)) {
      throw std::invalid_argument("series label name \"" + label + "\" is not valid");
    }
    prefix += separator;
    separator = ',';
    prefix += label;
    prefix += "=\"";
    AppendMetricLabelValue(prefix, value);
    prefix += '"';
  }
  if (!labels.empty()) prefix += '}';
  prefix += ' ';
  return prefix;
}

}  // namespace

void Series::Increment(double by) {
  if (kind_ == SeriesKind::kCounter && !(by >= 0)) return;
  value_.fetch_add(by, std::memory_order_relaxed);
}

void Series::Decrement(double by) {
  if (kind_ == SeriesKind::kCounter) return;
  value_.fetch_sub(by, std::memory_order_relaxed);
}

SeriesFamily::SeriesFamily(std::string name, std::string help, SeriesKind kind)
    : name_(std::move(name)), help_(std::move(help)), kind_(kind) {
  if (!ValidMetricName(name_)) {
    throw std::invalid_argument("metric name \"" + name_ + "\" is not valid");
  }
}

Series& SeriesFamily::Add(const SeriesLabels& labels) {
  std::string prefix = Prefix(name_, labels);
  std::lock_guard lock(mu_);
  if (auto it = by_prefix_.find(prefix); it != by_prefix_.end()) return *it->second;
  Series& series = series_.emplace_back(prefix, kind_);
  by_prefix_.emplace(std::move(prefix), &series);
  return series;
}

size_t SeriesFamily::size() const {
  std::lock_guard lock(mu_);
  return series_.size();
}

void SeriesFamily::AppendText(std::string& out) const {
  std::lock_guard lock(mu_);
  if (series_.empty()) return;
  if (!help_.empty()) {
    out += "# HELP ";
    out += name_;
    out += ' ';
    out += help_;
    out += '\n';
  }
  out += "# TYPE ";
  out += name_;
  out += kind_ == SeriesKind::kCounter ? " counter\n" : " gauge\n";
  for (const Series& series : series_) {
    out += series.prefix();
    AppendMetricValue(out, series.Value());
    out += '\n';
  }
}

SeriesFamily& SeriesTable::AddCounter(std::string name, std::string help) {
  return Add(std::move(name), std::move(help), SeriesKind::kCounter);
}

SeriesFamily& SeriesTable::AddGauge(std::string name, std::string help) {
  return Add(std::move(name), std::move(help), SeriesKind::kGauge);
}

SeriesFamily& SeriesTable::Add(std::string name, std::string help, SeriesKind kind) {
  for (const auto& family : families_) {
    if (family->name() == name) {
      throw std::invalid_argument("metric family \"" + name + "\" is added twice");
    }
  }
  return *families_.emplace_back(
      std::make_unique<SeriesFamily>(std::move(name), std::move(help), kind));
}

void SeriesTable::AppendText(std::string& out) const {
  for (const auto& family : families_) family->AppendText(out);
}

size_t SeriesTable::series_count() const {
  size_t count = 0;
  for (const auto& family : families_) count += family->size();
  return count;
}

}  // namespace carecast::common
