// Reads one text per line on stdin and prints its TextAnalysis as one JSON line.
// Usage: text_cli [--outgoing]   (a debugging aid; never run it on real PHI logs)
#include <cstring>
#include <iostream>
#include <string>

#include <google/protobuf/util/json_util.h>

#include "services/common/text/text_analyzer.h"

int main(int argc, char** argv) {
  using carecast::common::text::AnalyzeOptions;
  using carecast::common::text::TextAnalyzer;
  AnalyzeOptions options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--outgoing") == 0) options.outgoing = true;
  }
  auto analyzer = TextAnalyzer::Create(carecast::common::text::DefaultTextConfig());
  if (!analyzer.ok()) {
    std::cerr << analyzer.status() << "\n";
    return 1;
  }
  std::string line;
  google::protobuf::util::JsonPrintOptions json;
  while (std::getline(std::cin, line)) {
    auto r = (*analyzer)->Analyze(line, options);
    if (!r.ok()) {
      std::cout << "{\"error\":\"" << r.status().message() << "\"}\n";
      continue;
    }
    std::string out;
    (void)google::protobuf::util::MessageToJsonString(*r, &out, json);
    std::cout << out << "\n";
  }
  return 0;
}
