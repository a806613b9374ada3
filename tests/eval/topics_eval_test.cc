// Topic evaluation on CareCast's own labelled mentions: recall and precision
// over (mention, topic) pairs on a development split (tuned on; misses printed)
// and a held-out split (never tuned on; figures only). Fails below the floors.
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "gtest/gtest.h"

#include "services/common/text/text_analyzer.h"

namespace carecast::common::text {
namespace {

constexpr double kDevRecallFloor = 0.95;
constexpr double kDevPrecisionFloor = 0.80;
constexpr double kHeldOutRecallFloor = 0.90;
constexpr double kHeldOutPrecisionFloor = 0.70;

struct Figures {
  int gold = 0, found = 0, predicted = 0, correct = 0;
  double recall() const { return gold ? static_cast<double>(found) / gold : 1.0; }
  double precision() const { return predicted ? static_cast<double>(correct) / predicted : 1.0; }
};

std::set<std::string> SplitTopics(const std::string& s) {
  std::set<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    std::string t = s.substr(start, comma - start);
    if (!t.empty() && t != "-") out.insert(t);
    start = comma + 1;
  }
  return out;
}

Figures Evaluate(const TextAnalyzer& analyzer, const std::string& file, bool print) {
  Figures f;
  const char* src = std::getenv("CARECAST_SOURCE_DIR");
  EXPECT_NE(src, nullptr);
  if (src == nullptr) return f;
  std::ifstream in(std::string(src) + "/tests/eval/data/" + file);
  EXPECT_TRUE(in.good()) << file;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    EXPECT_NE(tab, std::string::npos) << line;
    if (tab == std::string::npos) continue;
    std::set<std::string> gold = SplitTopics(line.substr(0, tab));
    std::string text = line.substr(tab + 1);
    auto r = analyzer.Analyze(text, {});
    EXPECT_TRUE(r.ok()) << text;
    if (!r.ok()) continue;
    std::set<std::string> got;
    for (const auto& t : r->topics()) got.insert(t.topic());
    f.gold += static_cast<int>(gold.size());
    f.predicted += static_cast<int>(got.size());
    for (const std::string& g : gold) {
      bool hit = got.contains(g);
      f.found += hit;
      if (!hit && print) std::printf("MISS %-34s %s\n", g.c_str(), text.c_str());
    }
    for (const std::string& p : got) {
      bool ok = gold.contains(p);
      f.correct += ok;
      if (!ok && print) std::printf("EXTRA %-33s %s\n", p.c_str(), text.c_str());
    }
  }
  std::printf("%s: topic recall %.3f (%d/%d), precision %.3f (%d/%d)\n", file.c_str(), f.recall(),
              f.found, f.gold, f.precision(), f.correct, f.predicted);
  return f;
}

TEST(TopicsEval, DevelopmentAndHeldOutSplits) {
  auto analyzer = TextAnalyzer::Create(DefaultTextConfig());
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  Figures dev = Evaluate(**analyzer, "topics_dev.tsv", /*print=*/true);
  Figures held_out = Evaluate(**analyzer, "topics_test.tsv", /*print=*/false);
  EXPECT_GE(dev.recall(), kDevRecallFloor);
  EXPECT_GE(dev.precision(), kDevPrecisionFloor);
  EXPECT_GE(held_out.recall(), kHeldOutRecallFloor);
  EXPECT_GE(held_out.precision(), kHeldOutPrecisionFloor);
}

}  // namespace
}  // namespace carecast::common::text
