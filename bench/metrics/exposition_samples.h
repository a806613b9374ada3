// Reads back the Prometheus text the metrics service serves (only what
// common::ScrapeText writes: no timestamps, label values escaped as the text
// format says), so the bench can check the series against the generator's counts
// and copy them into a stock prometheus-cpp registry for the anchor.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/registry.h>

namespace carecast::bench {

struct TextFamily {
  std::string name;
  std::string help;
  std::string type;  // "counter", "gauge", "histogram", ...
  struct Sample {
    std::string name;  // the family name, or it with _bucket/_sum/_count
    std::vector<std::pair<std::string, std::string>> labels;  // unescaped values
    double value = 0;
  };
  std::vector<Sample> samples;
};

// The families of `text` in order; a line that does not parse ends the reading
// with what was read before it.
std::vector<TextFamily> ParseExposition(std::string_view text);

// "family{name=value,...}" -> value, for every counter and gauge sample.
std::vector<std::pair<std::string, double>> SampleKeys(const std::vector<TextFamily>& families);

// Registers every counter and gauge family of `families` in `registry` with the
// same help, labels and values; returns how many samples it made.
int64_t MirrorIntoRegistry(const std::vector<TextFamily>& families, prometheus::Registry& registry);

}  // namespace carecast::bench
