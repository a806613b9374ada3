// Builds the mention source a SourceSpec (sources_config.h) describes.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

#include "services/common/base/clock.h"
#include "services/common/http/http_client.h"
#include "services/listener/sources/mention_source.h"
#include "services/listener/sources_config.h"

namespace carecast::listener {

// `token` is the content of spec.token_file (empty for Jetstream). `http` and
// `clock` must outlive the source. INVALID_ARGUMENT when the spec cannot make
// a source (the sources file was validated, so only a bad URL reaches this).
absl::StatusOr<std::unique_ptr<MentionSource>> MakeMentionSource(const SourceSpec& spec,
                                                                 std::string token,
                                                                 common::HttpClient& http,
                                                                 const common::Clock& clock);

}  // namespace carecast::listener
