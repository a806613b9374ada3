// A network's mentions of the organisation, read in pages from a checkpoint.
// Each source (Mastodon notifications, X recent search, Bluesky Jetstream)
// turns the network's own format into v1::Mention; the SourcePoller
// (source_poller.h) stores the checkpoint only after every mention of a page
// was accepted, so a restart neither loses a mention nor (with the intake's
// dedupe on network and external id) duplicates one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::listener {

struct SourcePage {
  // In the order the network published them (oldest first). Each has network,
  // external_id, author_handle, text and create_time; account when the source
  // knows which CareCast account was addressed.
  std::vector<v1::Mention> mentions;
  // Where the next Fetch continues; stored once `mentions` are all accepted.
  // Opaque to the poller. Equal to the checkpoint passed in when nothing moved.
  std::string next_checkpoint;
  // Another page is ready now: the poller fetches again without waiting.
  bool more = false;
  // The network asked to wait (a 429 and its reset header, or its documented
  // pacing): the poller does not call Fetch again before this time.
  absl::Time not_before = absl::InfinitePast();
};

// Implementations are thread-compatible: the poller calls one source from one
// thread at a time.
class MentionSource {
 public:
  virtual ~MentionSource() = default;

  // The configured name ("mastodon-main"); keys the checkpoint. Stable.
  virtual const std::string& name() const = 0;

  // Reads the next page after `checkpoint`. An empty checkpoint starts at the
  // newest page the network offers (never the whole history). Errors:
  // UNAVAILABLE (transport, 5xx: try again next period), UNAUTHENTICATED
  // (the token was refused or expired), FAILED_PRECONDITION (the network
  // refused the request as configured, e.g. a bad query; 4xx), INTERNAL (an
  // answer that does not parse). A 429 is not an error: an empty page with
  // not_before set and the checkpoint unchanged. Messages never hold tokens or
  // mention text.
  virtual absl::StatusOr<SourcePage> Fetch(std::string_view checkpoint) = 0;
};

}  // namespace carecast::listener
