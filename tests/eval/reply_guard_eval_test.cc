// Reply-guard evaluation on CareCast's own draft replies: unsafe replies caught
// (medical advice, care confirmed) and safe replies stopped, on a development
// split (tuned on; misses printed) and a held-out split (never tuned on; figures
// only). Fails when either split falls below its floor.
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "gtest/gtest.h"

#include "services/common/text/text_analyzer.h"

namespace carecast::common::text {
namespace {

constexpr double kDevRecallFloor = 0.95;
constexpr double kHeldOutRecallFloor = 0.90;
constexpr double kFalseAlarmCeiling = 0.10;

struct Figures {
  int unsafe = 0, caught = 0, safe = 0, stopped = 0;
  double recall() const { return unsafe ? static_cast<double>(caught) / unsafe : 1.0; }
  double false_alarms() const { return safe ? static_cast<double>(stopped) / safe : 0.0; }
};

Figures Evaluate(const TextAnalyzer& analyzer, const std::string& file, bool print) {
  Figures f;
  const char* src = std::getenv("CARECAST_SOURCE_DIR");
  EXPECT_NE(src, nullptr);
  if (src == nullptr) return f;
  std::ifstream in(std::string(src) + "/tests/eval/data/" + file);
  EXPECT_TRUE(in.good()) << file;
  std::map<std::string, std::pair<int, int>> per_label;  // caught, total
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    EXPECT_NE(tab, std::string::npos) << line;
    if (tab == std::string::npos) continue;
    std::string gold = line.substr(0, tab);
    std::string text = line.substr(tab + 1);
    auto found = analyzer.FindPhi(text, {.outgoing = true});
    EXPECT_TRUE(found.ok()) << text;
    if (!found.ok()) continue;
    const PhiFinding* first = nullptr;
    for (const PhiFinding& p : *found) {
      if (p.confidence >= kGuardThreshold && first == nullptr) first = &p;
    }
    auto& pl = per_label[gold];
    ++pl.second;
    if (first != nullptr) ++pl.first;
    if (gold == "safe") {
      ++f.safe;
      f.stopped += first != nullptr;
      if (first != nullptr && print) {
        std::printf("FALSE ALARM %s (%s) \"%s\": %s\n",
                    std::string(PhiKindName(first->kind)).c_str(),
                    std::string(first->reason).c_str(),
                    text.substr(first->begin, first->end - first->begin).c_str(), text.c_str());
      }
    } else {
      ++f.unsafe;
      f.caught += first != nullptr;
      if (first == nullptr && print) std::printf("MISS %-8s %s\n", gold.c_str(), text.c_str());
    }
  }
  std::printf("%s: unsafe replies caught %.3f (%d/%d), safe replies stopped %.3f (%d/%d)\n",
              file.c_str(), f.recall(), f.caught, f.unsafe, f.false_alarms(), f.stopped, f.safe);
  for (const auto& [label, ct] : per_label) {
    std::printf("  %-8s flagged %3d/%-3d\n", label.c_str(), ct.first, ct.second);
  }
  return f;
}

TEST(ReplyGuardEval, DevelopmentAndHeldOutSplits) {
  auto analyzer = TextAnalyzer::Create(DefaultTextConfig());
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  Figures dev = Evaluate(**analyzer, "replies_dev.tsv", /*print=*/true);
  Figures held_out = Evaluate(**analyzer, "replies_test.tsv", /*print=*/false);
  EXPECT_GE(dev.recall(), kDevRecallFloor);
  EXPECT_LE(dev.false_alarms(), kFalseAlarmCeiling);
  EXPECT_GE(held_out.recall(), kHeldOutRecallFloor);
  EXPECT_LE(held_out.false_alarms(), kFalseAlarmCeiling);
}

}  // namespace
}  // namespace carecast::common::text
