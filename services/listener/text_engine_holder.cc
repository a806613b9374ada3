#include "services/listener/text_engine_holder.h"

#include <utility>

namespace carecast::listener {

absl::StatusOr<std::unique_ptr<TextEngineHolder>> TextEngineHolder::Create(
    common::text::TextConfig config, std::vector<std::string> keywords) {
  absl::StatusOr<std::unique_ptr<common::text::TextAnalyzer>> engine =
      common::text::TextAnalyzer::Create(config);
  if (!engine.ok()) return engine.status();
  if (absl::Status s = (*engine)->ReplaceTrackedKeywords(keywords); !s.ok()) return s;
  return std::make_unique<TextEngineHolder>(
      std::shared_ptr<common::text::TextAnalyzer>(*std::move(engine)), std::move(config),
      std::move(keywords));
}

TextEngineHolder::TextEngineHolder(std::shared_ptr<common::text::TextAnalyzer> engine,
                                   common::text::TextConfig config,
                                   std::vector<std::string> keywords)
    : config_(std::move(config)), keywords_(std::move(keywords)), engine_(std::move(engine)) {}

std::shared_ptr<const common::text::TextAnalyzer> TextEngineHolder::Current() const {
  std::lock_guard lock(engine_mu_);
  return engine_;
}

absl::Status TextEngineHolder::ReplaceTrackedKeywords(std::vector<std::string> keywords) {
  std::lock_guard replace(replace_mu_);
  std::shared_ptr<common::text::TextAnalyzer> engine;
  {
    std::lock_guard lock(engine_mu_);
    engine = engine_;
  }
  // The engine swaps its keyword set atomically; calls in flight finish with the old one.
  if (absl::Status s = engine->ReplaceTrackedKeywords(keywords); !s.ok()) return s;
  keywords_ = std::move(keywords);
  return absl::OkStatus();
}

absl::Status TextEngineHolder::ReplaceTaxonomy(std::string taxonomy) {
  std::lock_guard replace(replace_mu_);
  common::text::TextConfig config = config_;
  config.taxonomy = std::move(taxonomy);
  absl::StatusOr<std::unique_ptr<common::text::TextAnalyzer>> built =
      common::text::TextAnalyzer::Create(config);
  if (!built.ok()) return built.status();
  if (absl::Status s = (*built)->ReplaceTrackedKeywords(keywords_); !s.ok()) return s;
  std::shared_ptr<common::text::TextAnalyzer> next = *std::move(built);
  config_ = std::move(config);
  {
    std::lock_guard lock(engine_mu_);
    engine_.swap(next);
  }
  // `next` now holds the old engine; it is freed here or by the last call using it.
  return absl::OkStatus();
}

}  // namespace carecast::listener
