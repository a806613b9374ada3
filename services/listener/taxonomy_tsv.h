// The topic taxonomy as the listener takes it (TopicDefinition messages) and as
// the text engine reads it ("topic<TAB>phrase|phrase" lines, taxonomy.tsv):
// the checks a taxonomy passes before it is stored, and the two conversions.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include <google/protobuf/repeated_ptr_field.h>

#include "carecast/v1/analysis.pb.h"

namespace carecast::listener {

inline constexpr size_t kMaxTopics = 200;
inline constexpr size_t kMaxTopicIdBytes = 40;
inline constexpr size_t kMaxPhrasesPerTopic = 200;
inline constexpr size_t kMaxPhraseBytes = 100;

using TopicDefinitions = google::protobuf::RepeatedPtrField<v1::TopicDefinition>;

// `topics` as it will be stored (each phrase trimmed of ASCII white space), or
// INVALID_ARGUMENT naming the first fault: 1..200 topics; ids unique,
// 1..40 bytes of lower-case segments of [a-z0-9_] joined by '/' (the built-in
// "service_line/oncology" as well as "flu_clinic"); 1..200 phrases each, of
// 1..100 bytes of UTF-8 without control characters, TAB or '|', that keep a
// letter or digit after the engine's normalisation.
absl::StatusOr<TopicDefinitions> NormalisedTopics(const TopicDefinitions& topics);

// The engine's form of valid `topics`: one "topic<TAB>a|b" line each, in order.
std::string TaxonomyTsv(const TopicDefinitions& topics);

// The topics of taxonomy.tsv text (comment and blank lines skipped); lines
// without a TAB are skipped too (the engine refuses them when built).
TopicDefinitions ParseTaxonomyTsv(std::string_view tsv);

// OK when the text engine builds with `tsv` as its taxonomy (and the rest of
// the default configuration); the engine's error otherwise. Takes as long as
// building an engine (docs/listening.md).
absl::Status CheckTaxonomyCompiles(const std::string& tsv);

}  // namespace carecast::listener
