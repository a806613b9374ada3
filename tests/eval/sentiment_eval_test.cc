// Sentiment evaluation on hand-labelled healthcare mentions: accuracy and a
// confusion matrix. The bench script runs VADER on the same file to compare.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

#include "services/common/text/text_analyzer.h"

namespace carecast::common::text {
namespace {

constexpr double kAccuracyGoal = 0.85;

int LabelIndex(std::string_view l) { return l == "neg" ? 0 : l == "neu" ? 1 : 2; }

TEST(SentimentEval, AccuracyOnHealthcareMentions) {
  const char* src = std::getenv("CARECAST_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  std::ifstream in(std::string(src) + "/tests/eval/data/sentiment_healthcare.tsv");
  ASSERT_TRUE(in.good());
  auto analyzer = TextAnalyzer::Create(DefaultTextConfig());
  ASSERT_TRUE(analyzer.ok());
  int confusion[3][3] = {};
  int total = 0, correct = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    int want = LabelIndex(line.substr(0, tab));
    auto r = (*analyzer)->Analyze(line.substr(tab + 1), {});
    ASSERT_TRUE(r.ok());
    int got = r->sentiment() == carecast::v1::SENTIMENT_NEGATIVE   ? 0
              : r->sentiment() == carecast::v1::SENTIMENT_POSITIVE ? 2
                                                                   : 1;
    confusion[want][got]++;
    ++total;
    if (want == got)
      ++correct;
    else
      std::printf("WRONG want=%d got=%d score=%.2f  %s\n", want, got, r->sentiment_score(),
                  line.c_str() + tab + 1);
  }
  double accuracy = static_cast<double>(correct) / total;
  std::printf("\nconfusion (rows: gold neg/neu/pos; cols: predicted)\n");
  for (int i = 0; i < 3; ++i)
    std::printf("  %3d %3d %3d\n", confusion[i][0], confusion[i][1], confusion[i][2]);
  std::printf("accuracy %.3f on %d mentions (goal %.2f)\n", accuracy, total, kAccuracyGoal);
  EXPECT_GE(accuracy, kAccuracyGoal);
}

}  // namespace
}  // namespace carecast::common::text
