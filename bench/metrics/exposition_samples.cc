#include "bench/metrics/exposition_samples.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

namespace carecast::bench {
namespace {

bool ParseValue(std::string_view text, double& value) {
  if (text == "Nan") {
    value = std::numeric_limits<double>::quiet_NaN();
  } else if (text == "+Inf") {
    value = std::numeric_limits<double>::infinity();
  } else if (text == "-Inf") {
    value = -std::numeric_limits<double>::infinity();
  } else {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size();
  }
  return true;
}

// `name{a="x",b="y"} value`; false when the line is not of that shape.
bool ParseSample(std::string_view line, TextFamily::Sample& sample) {
  size_t at = line.find_first_of("{ ");
  if (at == std::string_view::npos) return false;
  sample.name = std::string(line.substr(0, at));
  if (line[at] == '{') {
    ++at;
    while (at < line.size() && line[at] != '}') {
      const size_t eq = line.find("=\"", at);
      if (eq == std::string_view::npos) return false;
      std::string name(line.substr(at, eq - at));
      std::string value;
      at = eq + 2;
      for (; at < line.size() && line[at] != '"'; ++at) {
        if (line[at] == '\\' && at + 1 < line.size()) {
          ++at;
          value += line[at] == 'n' ? '\n' : line[at];
        } else {
          value += line[at];
        }
      }
      if (at >= line.size()) return false;
      ++at;  // the closing quote
      if (at < line.size() && line[at] == ',') ++at;
      sample.labels.emplace_back(std::move(name), std::move(value));
    }
    if (at >= line.size()) return false;
    ++at;  // the closing brace
  }
  if (at >= line.size() || line[at] != ' ') return false;
  return ParseValue(line.substr(at + 1), sample.value);
}

}  // namespace

std::vector<TextFamily> ParseExposition(std::string_view text) {
  std::vector<TextFamily> families;
  auto family_named = [&](std::string_view name) -> TextFamily& {
    if (families.empty() || families.back().name != name) {
      families.push_back({});
      families.back().name = std::string(name);
    }
    return families.back();
  };
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) continue;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      std::string_view rest = line.substr(7);
      const size_t space = rest.find(' ');
      if (space == std::string_view::npos) break;
      TextFamily& family = family_named(rest.substr(0, space));
      (line[2] == 'H' ? family.help : family.type) = std::string(rest.substr(space + 1));
      continue;
    }
    TextFamily::Sample sample;
    if (families.empty() || !ParseSample(line, sample)) break;
    families.back().samples.push_back(std::move(sample));
  }
  return families;
}

std::vector<std::pair<std::string, double>> SampleKeys(const std::vector<TextFamily>& families) {
  std::vector<std::pair<std::string, double>> keys;
  for (const TextFamily& family : families) {
    if (family.type != "counter" && family.type != "gauge") continue;
    for (const TextFamily::Sample& sample : family.samples) {
      std::string key = family.name + "{";
      for (const auto& [name, value] : sample.labels) absl::StrAppend(&key, name, "=", value, ",");
      key += "}";
      keys.emplace_back(std::move(key), sample.value);
    }
  }
  return keys;
}

int64_t MirrorIntoRegistry(const std::vector<TextFamily>& families,
                           prometheus::Registry& registry) {
  int64_t made = 0;
  for (const TextFamily& family : families) {
    const bool counter = family.type == "counter";
    if (!counter && family.type != "gauge") continue;
    auto* counters =
        counter ? &prometheus::BuildCounter().Name(family.name).Help(family.help).Register(registry)
                : nullptr;
    auto* gauges =
        counter ? nullptr
                : &prometheus::BuildGauge().Name(family.name).Help(family.help).Register(registry);
    for (const TextFamily::Sample& sample : family.samples) {
      const prometheus::Labels labels(sample.labels.begin(), sample.labels.end());
      if (counter) {
        counters->Add(labels).Increment(sample.value);
      } else {
        gauges->Add(labels).Set(sample.value);
      }
      ++made;
    }
  }
  return made;
}

}  // namespace carecast::bench
