// Threads: a post whose variant has thread parts goes out as its text (part 0)
// and then each part as a reply to the one before, on one claim. Each part's
// external id is saved in the post's channel_progress ("thread.<i>") the moment
// the network accepts it, so a retry, a takeover after a crash or a
// reconciliation after an unknown outcome continues from the first part not
// yet recorded and never sends a recorded part again. A part whose outcome is
// unknown is looked for at the network like any post (FindPublished), under its
// own idempotency key ("<post>.v<version>.p<i>"). A post without thread parts
// goes through the same functions as a thread of one, unchanged: same request,
// same key, nothing saved.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

#include "services/publisher/channels/channel.h"

namespace carecast::publisher {

// channel_progress keys: "thread.<i>" holds part i's external id; the first
// post's URL is kept beside it; "thread_sending" is the part (from 1) whose
// call was about to start, written before the call, so a takeover knows
// whether the part in doubt can be at the network at all (part 0's marker is
// the post's send_time).
inline constexpr std::string_view kThreadPartKeyPrefix = "thread.";
inline constexpr std::string_view kThreadHeadUrlKey = "thread_head_url";
inline constexpr std::string_view kThreadSendingKey = "thread_sending";
std::string ThreadPartKey(size_t part);

// Posts in the thread: 1 + the request's thread parts.
size_t ThreadLength(const PublishRequest& whole);

// How many leading parts `progress` records as accepted (0 for a post that is
// not a thread, whose single part is recorded only by its final state).
size_t ThreadPartsRecorded(const std::map<std::string, std::string>& progress, size_t length);

// True when `post` is a thread some of whose parts, not all, are on the
// network: its failure must go to a person (FAILED would hide the parts that
// are out).
bool IsPartlyPublishedThread(const carecast::v1::Post& post);

// The request for part `part` of `whole` (0: the first post, with the media;
// later parts: their text, no media, in reply to the previous part's recorded
// id, under the key "<key>.p<part>"). Thread bookkeeping is removed from the
// progress the adapter sees.
PublishRequest PartRequest(const PublishRequest& whole, size_t part);

// Sends every part not yet recorded, in order: marks each later part as being
// sent, then saves each accepted part's id through whole.save_progress before
// the next. Returns the first post's
// receipt once all are out, or the first failing part's error (a part accepted
// whose id cannot be saved is kOutcomeUnknown, not in flight: the network has
// it and FindWhole will find it).
absl::StatusOr<Receipt> PublishWhole(Channel& channel, const PublishRequest& whole);

// What reconciliation found for a claim whose outcome is unknown.
struct WholeLookup {
  enum class Found {
    kComplete,    // every part is on the network; `receipt` is the first post's
    kMoreToSend,  // the part in doubt is there (recorded now); later parts are not sent
    kAbsent,      // the part in doubt is not at the network
  };
  Found found = Found::kAbsent;
  Receipt receipt;
  // kAbsent only: whether the part in doubt was ever handed to the network
  // (false: the claim ended between two parts, so sending it cannot duplicate).
  bool doubt_was_sent = true;
};

// Looks for the first part not recorded (the one in doubt) since `since`,
// recording it through whole.save_progress when found; a later part never
// marked as being sent is kAbsent without asking the network. An error: the network
// cannot tell (or the record could not be saved).
absl::StatusOr<WholeLookup> FindWhole(Channel& channel, const PublishRequest& whole,
                                      absl::Time since);

}  // namespace carecast::publisher
