#include "services/listener/source_factory.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "services/listener/sources/bluesky_jetstream_source.h"
#include "services/listener/sources/mastodon_notifications_source.h"
#include "services/listener/sources/x_recent_search_source.h"

namespace carecast::listener {

absl::StatusOr<std::unique_ptr<MentionSource>> MakeMentionSource(const SourceSpec& spec,
                                                                 std::string token,
                                                                 common::HttpClient& http,
                                                                 const common::Clock& clock) {
  if (spec.kind == kMastodonNotificationsKind) {
    return std::make_unique<MastodonNotificationsSource>(
        MastodonNotificationsSettings{.name = spec.name,
                                      .base_url = spec.url,
                                      .token = std::move(token),
                                      .account = spec.account},
        http, clock);
  }
  if (spec.kind == kXRecentSearchKind) {
    return std::make_unique<XRecentSearchSource>(XRecentSearchSettings{.name = spec.name,
                                                                       .base_url = spec.url,
                                                                       .token = std::move(token),
                                                                       .account = spec.account,
                                                                       .query = spec.query},
                                                 http, clock);
  }
  if (spec.kind == kBlueskyJetstreamKind) {
    BlueskyJetstreamSourceOptions options;
    options.name = spec.name;
    options.url = spec.url;
    options.watched_dids = spec.watch_dids;
    options.account = spec.account;
    absl::StatusOr<std::unique_ptr<BlueskyJetstreamSource>> source =
        BlueskyJetstreamSource::Create(std::move(options));
    if (!source.ok()) return source.status();
    return std::unique_ptr<MentionSource>(*std::move(source));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown mention source kind \"", spec.kind, "\""));
}

}  // namespace carecast::listener
