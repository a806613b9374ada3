#include "services/publisher/thread_publishing.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "services/common/store/fault_points.h"

namespace carecast::publisher {
namespace {

bool IsThreadKey(std::string_view key) {
  return key.starts_with(kThreadPartKeyPrefix) || key == kThreadHeadUrlKey ||
         key == kThreadSendingKey;
}

std::string Lookup(const std::map<std::string, std::string>& progress, std::string_view key) {
  auto it = progress.find(std::string(key));
  return it == progress.end() ? std::string() : it->second;
}

// Records part `part`'s receipt in `progress` and, through save_progress, in
// the post (the first post's URL too).
absl::Status RecordPart(const PublishRequest& whole, size_t part, const Receipt& receipt,
                        std::map<std::string, std::string>& progress) {
  if (!whole.save_progress)
    return absl::FailedPreconditionError("nothing can save thread progress");
  if (part == 0) {
    if (absl::Status s = whole.save_progress(kThreadHeadUrlKey, receipt.url); !s.ok()) return s;
    progress[std::string(kThreadHeadUrlKey)] = receipt.url;
  }
  const std::string key = ThreadPartKey(part);
  if (absl::Status s = whole.save_progress(key, receipt.external_id); !s.ok()) return s;
  progress[key] = receipt.external_id;
  return absl::OkStatus();
}

Receipt HeadReceipt(const std::map<std::string, std::string>& progress) {
  return Receipt{Lookup(progress, ThreadPartKey(0)), Lookup(progress, kThreadHeadUrlKey)};
}

}  // namespace

std::string ThreadPartKey(size_t part) {
  return absl::StrCat(common::AsAbsl(kThreadPartKeyPrefix), part);
}

size_t ThreadLength(const PublishRequest& whole) { return 1 + whole.thread_parts.size(); }

size_t ThreadPartsRecorded(const std::map<std::string, std::string>& progress, size_t length) {
  if (length <= 1) return 0;
  size_t recorded = 0;
  while (recorded < length && !Lookup(progress, ThreadPartKey(recorded)).empty()) ++recorded;
  return recorded;
}

bool IsPartlyPublishedThread(const carecast::v1::Post& post) {
  if (post.thread_parts().empty()) return false;
  const std::map<std::string, std::string> progress(post.channel_progress().begin(),
                                                    post.channel_progress().end());
  const size_t length = 1 + static_cast<size_t>(post.thread_parts_size());
  const size_t recorded = ThreadPartsRecorded(progress, length);
  return recorded > 0 && recorded < length;
}

PublishRequest PartRequest(const PublishRequest& whole, size_t part) {
  PublishRequest request = whole;
  request.thread_parts.clear();
  std::erase_if(request.progress, [](const auto& entry) { return IsThreadKey(entry.first); });
  if (part == 0) return request;
  request.text = whole.thread_parts.at(part - 1);
  request.idempotency_key = absl::StrCat(whole.idempotency_key, ".p", part);
  request.in_reply_to = Lookup(whole.progress, ThreadPartKey(part - 1));
  request.media.clear();
  return request;
}

absl::StatusOr<Receipt> PublishWhole(Channel& channel, const PublishRequest& whole) {
  const size_t length = ThreadLength(whole);
  if (length == 1) return channel.Publish(whole);
  PublishRequest current = whole;  // its progress grows as parts are accepted
  for (size_t part = ThreadPartsRecorded(current.progress, length); part < length; ++part) {
    if (part > 0) {
      const absl::Status marked =
          whole.save_progress ? whole.save_progress(kThreadSendingKey, absl::StrCat(part))
                              : absl::FailedPreconditionError("nothing can save thread progress");
      if (!marked.ok()) {
        return MakeChannelError(
            ChannelErrorKind::kRetryable,
            absl::StrCat("cannot mark thread part ", part + 1, " as sending: ", marked.message()));
      }
      current.progress[std::string(kThreadSendingKey)] = absl::StrCat(part);
    }
    absl::StatusOr<Receipt> receipt = channel.Publish(PartRequest(current, part));
    if (!receipt.ok()) return receipt.status();
    common::FaultPoint("publisher:thread_part_unrecorded");
    if (absl::Status saved = RecordPart(current, part, *receipt, current.progress); !saved.ok()) {
      return MakeChannelError(
          ChannelErrorKind::kOutcomeUnknown,
          absl::StrCat("thread part ", part + 1, " of ", length,
                       " was accepted but could not be recorded: ", saved.message()));
    }
    common::FaultPoint("publisher:after_thread_part");
  }
  return HeadReceipt(current.progress);
}

absl::StatusOr<WholeLookup> FindWhole(Channel& channel, const PublishRequest& whole,
                                      absl::Time since) {
  const size_t length = ThreadLength(whole);
  std::map<std::string, std::string> progress = whole.progress;
  const size_t doubt = ThreadPartsRecorded(progress, length);
  if (length > 1 && doubt == length) {
    return WholeLookup{WholeLookup::Found::kComplete, HeadReceipt(progress)};
  }
  if (doubt > 0 && Lookup(progress, kThreadSendingKey) != absl::StrCat(doubt)) {
    return WholeLookup{WholeLookup::Found::kAbsent, {}, /*doubt_was_sent=*/false};
  }
  PublishRequest request = length == 1 ? whole : PartRequest(whole, doubt);
  absl::StatusOr<std::optional<Receipt>> found = channel.FindPublished(request, since);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return WholeLookup{WholeLookup::Found::kAbsent, {}};
  if (length == 1) return WholeLookup{WholeLookup::Found::kComplete, **found};
  if (absl::Status saved = RecordPart(whole, doubt, **found, progress); !saved.ok()) return saved;
  if (doubt + 1 < length) return WholeLookup{WholeLookup::Found::kMoreToSend, {}};
  return WholeLookup{WholeLookup::Found::kComplete, HeadReceipt(progress)};
}

}  // namespace carecast::publisher
