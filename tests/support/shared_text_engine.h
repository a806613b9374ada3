// One text-analysis engine per test process, built from the default
// configuration (built once: compiling its Hyperscan databases is not free).
#pragma once

#include "services/common/text/text_analyzer.h"

namespace carecast::testing {

// Aborts the test binary when the default configuration does not build.
common::text::TextAnalyzer& SharedTextEngine();

}  // namespace carecast::testing
