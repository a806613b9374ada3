// Reading and compare-and-set writing of posts in the carecast_posts bucket
// (key = post id, value = serialized carecast.v1.Post), the checks a post must
// pass before it may go out, and the timing rules of dispatch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <google/protobuf/timestamp.pb.h>

#include "carecast/v1/resources.pb.h"

#include "services/common/bus/key_value_store.h"
#include "services/common/store/entity_store.h"
#include "services/publisher/channels/channel.h"

namespace carecast::publisher {

// How dispatch is paced; the same values for every replica.
struct DispatchPolicy {
  absl::Duration claim_lease = absl::Seconds(60);
  int max_attempts = 5;
  absl::Duration retry_backoff = absl::Seconds(2);
  absl::Duration max_retry_backoff = absl::Minutes(5);

  // Wait after the `attempt`-th claim failed retryably: backoff * 2^(attempt-1), capped.
  absl::Duration Backoff(int attempt) const;
};

// A post, the KV revision it was read at (the compare-and-set fence) and what
// its record still owes the bus (carried into the next write).
struct PostRecord {
  carecast::v1::Post post;
  uint64_t revision = 0;
  std::vector<carecast::v1::OutboxItem> unsent;
};

// "posts/abc" -> "abc"; empty when `name` is not a post name.
std::string PostIdFromName(std::string_view name);
// "contents/abc" -> "abc"; empty when `name` is not a content name.
std::string ContentIdFromName(std::string_view name);
// "<post id>.v<content version>": names one post version at the channel.
std::string IdempotencyKey(const carecast::v1::Post& post);

// The channel request for the claimed `post`: its text, thread parent, media
// and what earlier attempts saved (channel_progress). `deadline`: when the
// claim's lease (less a margin) runs out.
PublishRequest RequestFor(const carecast::v1::Post& post, absl::Time deadline);

absl::Time ToTime(const google::protobuf::Timestamp& ts);
void SetTime(absl::Time t, google::protobuf::Timestamp* ts);

// NOT_FOUND when absent, DATA_LOSS when the value is not a Post, else the store's error.
absl::StatusOr<PostRecord> ReadPost(common::EntityStore& posts, std::string_view id);
// The post in an entry of the posts bucket already read (e.g. by a scan);
// DATA_LOSS when it does not parse.
absl::StatusOr<PostRecord> PostFromEntry(common::KvEntry entry);
absl::StatusOr<PostRecord> ReadPost(common::KeyValueStore& posts, std::string_view id);
// Writes `post` under its id with `changes` (one durable unit, see
// entity_store.h) if the entry is still at base.revision (ABORTED otherwise);
// returns the record as written.
absl::StatusOr<PostRecord> WritePost(common::EntityStore& posts, const carecast::v1::Post& post,
                                     const PostRecord& base,
                                     const std::vector<common::Change>& changes = {});

// OK when the post's content is still APPROVED at the version and hash the post
// was scheduled from and, for content featuring a patient, the patient's
// authorization is in force at `now` and covers the post's network.
// FAILED_PRECONDITION with the reason when not (the post must never go out;
// RefusalLabel names which check refused); other errors mean "cannot tell now".
// A responder's reply (post.reply set) has no content: its reply's approval
// (the listener's guard and approval) stands for it, so it is OK without a
// lookup; one that names content as well is malformed: FAILED_PRECONDITION.
absl::Status CheckContentApproved(common::EntityStore& contents, const carecast::v1::Post& post,
                                  absl::Time now);
// The metric label of a refusal from CheckContentApproved: "consent" or
// "content_changed".
std::string_view RefusalLabel(const absl::Status& refusal);

// When the dispatcher should next look at `post`: a scheduled post at its publish
// time (or later while backing off after a retryable failure), a claimed post when
// its lease runs out; nullopt for a post that needs nothing more.
std::optional<absl::Time> NextLookTime(const carecast::v1::Post& post,
                                       const DispatchPolicy& policy);

// Due-index scores are Unix seconds with microsecond precision.
double ScoreOf(absl::Time t);
absl::Time TimeOfScore(double score);

}  // namespace carecast::publisher
