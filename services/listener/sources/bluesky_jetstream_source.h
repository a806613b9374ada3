// Bluesky mentions from Jetstream (the JSON firehose over WebSocket): posts
// that mention one of our DIDs in a facet, or reply to a post of one of them.
// Jetstream has no search and no per-mention feed, so the source subscribes to
// every app.bsky.feed.post commit and filters here; wantedDids cannot help (it
// selects authors, and mentions come from anyone).
//
// The checkpoint is the time_us (decimal) of the last event read, kept or not
// (never earlier than the checkpoint given), so a quiet stretch of unrelated
// posts still moves it. One connection stays
// open across Fetch calls while the checkpoint given is where it stopped;
// otherwise (first call, a page not stored, a broken connection) the source
// reconnects with cursor = checkpoint minus `rewind`, because replay from a
// cursor is at-least-once and not gapless at the boundary: the duplicates it
// gives are dropped by the intake (network + external id). An empty checkpoint
// is the live tail. Never logs or returns post text in errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/http/websocket_client.h"
#include "services/listener/sources/mention_source.h"

namespace carecast::listener {

struct BlueskyJetstreamSourceOptions {
  // Keys the checkpoint (MentionSource::name).
  std::string name = "bluesky-jetstream";
  // The subscribe endpoint, ws:// or wss://, without a query:
  // "wss://jetstream2.us-east.bsky.network/subscribe".
  std::string url;
  // Our accounts' DIDs ("did:plc:..."). At least one.
  std::vector<std::string> watched_dids;
  // Optional handle of the account ("carecast.bsky.social"): a post whose text
  // holds "@<handle>" counts too, for clients that send no mention facet.
  std::string handle;
  // The CareCast account (spokes/{spoke}/accounts/{account}) set on every
  // mention; empty leaves Mention.account unset.
  std::string account;
  // How long one Fetch reads before it returns what it has.
  absl::Duration read_window = absl::Seconds(1);
  // At most this many events (kept or not) per Fetch; reaching it sets more.
  int max_batch = 500;
  // Subtracted from the checkpoint when reconnecting with a cursor.
  absl::Duration rewind = absl::Seconds(2);
  absl::Duration connect_timeout = absl::Seconds(10);
  // A connection that delivered nothing for this long is taken for dead (a
  // half-open TCP connection looks merely quiet; the real stream never is)
  // and reopened from the checkpoint. Not with an empty checkpoint: a live
  // tail has nowhere to resume from.
  absl::Duration stall_timeout = absl::Seconds(30);
  // One Jetstream event over this breaks the connection (posts are < 10 KiB).
  size_t max_message_bytes = size_t{1} << 20;
};

// Thread-compatible (MentionSource).
class BlueskyJetstreamSource final : public MentionSource {
 public:
  // INVALID_ARGUMENT for a URL that is not ws(s):// or no watched DID.
  static absl::StatusOr<std::unique_ptr<BlueskyJetstreamSource>> Create(
      BlueskyJetstreamSourceOptions options);

  const std::string& name() const override { return options_.name; }

  // Errors: UNAVAILABLE (connect failed, or the connection broke or was closed
  // before any event of this call arrived; the next call reconnects),
  // INVALID_ARGUMENT (a checkpoint that is not a time_us). When the connection
  // breaks after some events arrived, the page holds them and the next call
  // reconnects from its checkpoint.
  absl::StatusOr<SourcePage> Fetch(std::string_view checkpoint) override;

  // Messages skipped because they were not a Jetstream event (bad JSON, no
  // time_us); for tests and metrics.
  int64_t unreadable_messages() const { return unreadable_messages_; }

 private:
  explicit BlueskyJetstreamSource(BlueskyJetstreamSourceOptions options);

  absl::Status Connect(std::optional<int64_t> checkpoint_us);
  // Adds the mention `message` holds, if any, to `page`; returns its time_us
  // (nullopt when the message is unreadable).
  std::optional<int64_t> Read(std::string_view message, SourcePage& page) const;

  const BlueskyJetstreamSourceOptions options_;
  std::unique_ptr<common::WebSocketClient> connection_;
  // The checkpoint the open connection has read up to ("" = live tail, none).
  std::string position_;
  // When the open connection last delivered a message (or opened).
  absl::Time last_message_ = absl::InfinitePast();
  int64_t unreadable_messages_ = 0;
};

}  // namespace carecast::listener
