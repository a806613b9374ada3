// A TextEngineHolder over the test process's shared engine
// (tests/support/shared_text_engine.h), for classifiers that never replace the
// taxonomy. Tests that do build their own holders.
#pragma once

#include <memory>

#include "services/common/text/text_config.h"
#include "services/listener/text_engine_holder.h"
#include "tests/support/shared_text_engine.h"

namespace carecast::listener {

inline TextEngineHolder& SharedEngineHolder() {
  // Non-owning (aliasing constructor): the shared engine lives as long as the process.
  static auto* holder =
      new TextEngineHolder(std::shared_ptr<common::text::TextAnalyzer>(
                               std::shared_ptr<void>(), &testing::SharedTextEngine()),
                           common::text::DefaultTextConfig(), {});
  return *holder;
}

}  // namespace carecast::listener
