#include "tests/support/shared_text_engine.h"

#include <cstdio>
#include <cstdlib>

namespace carecast::testing {

common::text::TextAnalyzer& SharedTextEngine() {
  static common::text::TextAnalyzer* engine = [] {
    auto built = common::text::TextAnalyzer::Create(common::text::DefaultTextConfig());
    if (!built.ok()) {
      std::fprintf(stderr, "the default text engine does not build: %s\n",
                   std::string(built.status().message()).c_str());
      std::abort();
    }
    return built->release();
  }();
  return *engine;
}

}  // namespace carecast::testing
