// The listener's text engine, replaceable while it serves: the tracked keywords
// swap inside the engine in force; a new topic taxonomy builds a whole new
// engine (the taxonomy shares the engine's phrase index with urgency, cues and
// PHI context), gives it the tracked keywords in force and then takes its place.
// Thread-safe: a call that took Current() keeps its engine until it lets go, so
// a classification racing a swap sees the old engine or the new one, whole.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "services/common/text/text_analyzer.h"
#include "services/common/text/text_config.h"

namespace carecast::listener {

class TextEngineHolder {
 public:
  // Builds the engine from `config` (its taxonomy is in force until
  // ReplaceTaxonomy) and tracks `keywords`; the engine's error otherwise.
  static absl::StatusOr<std::unique_ptr<TextEngineHolder>> Create(
      common::text::TextConfig config, std::vector<std::string> keywords);
  // Holds `engine`, already built from `config` with `keywords` in force
  // (tests share one engine between holders).
  TextEngineHolder(std::shared_ptr<common::text::TextAnalyzer> engine,
                   common::text::TextConfig config, std::vector<std::string> keywords);

  // The engine in force; never null.
  std::shared_ptr<const common::text::TextAnalyzer> Current() const;

  // Puts `keywords` in force in the current engine and remembers them for the
  // next one; the engine's INVALID_ARGUMENT (and no change) otherwise.
  absl::Status ReplaceTrackedKeywords(std::vector<std::string> keywords);

  // Builds an engine with `taxonomy` ("topic<TAB>phrase|phrase" lines) and the
  // remembered keywords, then swaps it in; on the engine's error the current
  // engine stays. Slow (an engine build): callers run it off the request path
  // or accept the wait.
  absl::Status ReplaceTaxonomy(std::string taxonomy);

 private:
  // std::mutex rather than absl::Mutex: Debian's abseil is not built with TSan,
  // so the sanitizer cannot see an absl::Mutex and reports false races.
  std::mutex replace_mu_;  // one replacement at a time; held across a build
  common::text::TextConfig config_ ABSL_GUARDED_BY(replace_mu_);
  std::vector<std::string> keywords_ ABSL_GUARDED_BY(replace_mu_);

  mutable std::mutex engine_mu_;  // held only to copy or swap the pointer
  std::shared_ptr<common::text::TextAnalyzer> engine_ ABSL_GUARDED_BY(engine_mu_);
};

}  // namespace carecast::listener
