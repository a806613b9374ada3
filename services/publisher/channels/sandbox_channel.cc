#include "services/publisher/channels/sandbox_channel.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include <nlohmann/json.hpp>

#include "services/common/base/ids.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/publisher/channels/sandbox_audience.h"

namespace carecast::publisher {
namespace {

constexpr char kFileName[] = "deliveries.jsonl";
constexpr char kCallsFileName[] = "calls.jsonl";

absl::Status ErrnoStatus(std::string_view what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat(common::AsAbsl(what), " ", path, ": ", std::strerror(errno)));
}

// Holds flock(LOCK_EX) on a descriptor for one scope.
class FileLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {
    while ((ok_ = flock(fd_, LOCK_EX) == 0) == false && errno == EINTR) {
    }
  }
  ~FileLock() {
    if (ok_) flock(fd_, LOCK_UN);
  }
  bool ok() const { return ok_; }

 private:
  int fd_;
  bool ok_ = false;
};

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot append to", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

Receipt ReceiptOf(const DeliveryRecord& r, const std::string& path) {
  return Receipt{r.external_id, absl::StrCat("file://", path, "#", r.external_id)};
}

std::string CallsPath(const std::string& dir) {
  return (std::filesystem::path(dir) / kCallsFileName).string();
}

}  // namespace

std::string SandboxCallToJsonLine(const SandboxCall& c) {
  nlohmann::json j = {
      {"idempotency_key", c.idempotency_key},
      {"post", c.post},
      {"publisher_id", c.publisher_id},
      {"time", absl::FormatTime(absl::RFC3339_full, c.time, absl::UTCTimeZone())},
      {"repeat", c.repeat},
      {"result", c.result},
  };
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<SandboxCall> SandboxCallFromJsonLine(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return absl::DataLossError("malformed call line");
  try {
    SandboxCall c;
    c.idempotency_key = j.value("idempotency_key", "");
    c.post = j.value("post", "");
    c.publisher_id = j.value("publisher_id", "");
    std::string when = j.value("time", "");
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, when, &c.time, &err))
      return absl::DataLossError("call line has a bad time");
    c.repeat = j.value("repeat", false);
    c.result = j.value("result", "");
    if (c.result.empty()) return absl::DataLossError("call line lacks its result");
    return c;
  } catch (const nlohmann::json::exception&) {
    return absl::DataLossError("call line has a field of the wrong type");
  }
}

absl::StatusOr<std::vector<SandboxCall>> ReadSandboxCalls(const std::string& dir) {
  const std::string path = CallsPath(dir);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::vector<SandboxCall>();
    return ErrnoStatus("cannot open", path);
  }
  std::string buf;
  char chunk[8192];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = ErrnoStatus("cannot read", path);
      close(fd);
      return s;
    }
    if (n == 0) break;
    buf.append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  std::vector<SandboxCall> calls;
  std::string_view rest(buf);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) break;  // a torn last line is not a call yet
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (line.empty()) continue;
    if (auto call = SandboxCallFromJsonLine(line); call.ok()) calls.push_back(*std::move(call));
  }
  return calls;
}

std::string DeliveryToJsonLine(const DeliveryRecord& r) {
  nlohmann::json j = {
      {"post", r.post},
      {"content_version", r.content_version},
      {"network", std::string(NetworkLabel(r.network))},
      {"account", r.account},
      {"external_id", r.external_id},
      {"text", r.text},
      {"deliver_time", absl::FormatTime(absl::RFC3339_full, r.deliver_time, absl::UTCTimeZone())},
      {"publisher_id", r.publisher_id},
      {"idempotency_key", r.idempotency_key},
  };
  if (!r.in_reply_to.empty()) j["in_reply_to"] = r.in_reply_to;
  // Replace invalid UTF-8 rather than throw: the record must still be written.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<DeliveryRecord> DeliveryFromJsonLine(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return absl::DataLossError("malformed delivery line");
  // nlohmann throws on type mismatches; a bad line is data loss, not a crash.
  try {
    DeliveryRecord r;
    r.post = j.value("post", "");
    r.content_version = j.value("content_version", int64_t{0});
    r.network = ParseNetworkLabel(j.value("network", ""));
    r.account = j.value("account", "");
    r.external_id = j.value("external_id", "");
    r.text = j.value("text", "");
    std::string when = j.value("deliver_time", "");
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, when, &r.deliver_time, &err))
      return absl::DataLossError("delivery line has a bad deliver_time");
    r.publisher_id = j.value("publisher_id", "");
    r.idempotency_key = j.value("idempotency_key", "");
    r.in_reply_to = j.value("in_reply_to", "");
    if (r.idempotency_key.empty() || r.external_id.empty())
      return absl::DataLossError("delivery line lacks its key or external id");
    return r;
  } catch (const nlohmann::json::exception&) {
    return absl::DataLossError("delivery line has a field of the wrong type");
  }
}

absl::StatusOr<std::unique_ptr<SandboxChannel>> SandboxChannel::Open(const std::string& dir,
                                                                     std::string publisher_id,
                                                                     const common::Clock& clock) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  std::string path = (std::filesystem::path(dir) / kFileName).string();
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  const std::string calls_path = CallsPath(dir);
  int calls_fd = open(calls_path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (calls_fd < 0) {
    absl::Status s = ErrnoStatus("cannot open", calls_path);
    close(fd);
    return s;
  }
  return std::unique_ptr<SandboxChannel>(
      new SandboxChannel(std::move(path), fd, calls_fd, std::move(publisher_id), clock));
}

SandboxChannel::SandboxChannel(std::string path, int fd, int calls_fd, std::string publisher_id,
                               const common::Clock& clock)
    : path_(std::move(path)),
      fd_(fd),
      calls_fd_(calls_fd),
      publisher_id_(std::move(publisher_id)),
      clock_(clock) {}

SandboxChannel::~SandboxChannel() {
  close(calls_fd_);
  close(fd_);
}

absl::Status SandboxChannel::RecordCallLocked(const SandboxCall& call) {
  struct stat st;
  if (fstat(calls_fd_, &st) != 0) return ErrnoStatus("cannot stat the calls record of", path_);
  std::string data;
  if (st.st_size > 0) {
    // A writer killed mid-line leaves it unterminated; end it so this call counts.
    char last = '\n';
    if (pread(calls_fd_, &last, 1, st.st_size - 1) == 1 && last != '\n') data.push_back('\n');
  }
  data += SandboxCallToJsonLine(call);
  data.push_back('\n');
  // Not synced: tests kill processes, not machines, and the page cache survives that.
  return WriteAll(calls_fd_, data, path_);
}

absl::Status SandboxChannel::CatchUpLocked() {
  struct stat st;
  if (fstat(fd_, &st) != 0) return ErrnoStatus("cannot stat", path_);
  if (st.st_size < scanned_) {
    // Truncated or replaced by hand: start over.
    records_.clear();
    by_key_.clear();
    scanned_ = 0;
  }
  if (st.st_size == scanned_) return absl::OkStatus();
  std::string buf(static_cast<size_t>(st.st_size - scanned_), '\0');
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = pread(fd_, buf.data() + got, buf.size() - got, scanned_ + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot read", path_);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  buf.resize(got);
  // Only complete lines count; a torn last line (a writer died mid-write) is left
  // for the next append to terminate.
  size_t end = buf.rfind('\n');
  if (end == std::string::npos) return absl::OkStatus();
  std::string_view rest(buf.data(), end + 1);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (line.empty()) continue;
    auto record = DeliveryFromJsonLine(line);
    if (!record.ok()) continue;
    if (by_key_.contains(record->idempotency_key)) continue;  // first one wins
    by_key_[record->idempotency_key] = records_.size();
    records_.push_back(*std::move(record));
  }
  scanned_ += static_cast<off_t>(end + 1);
  return absl::OkStatus();
}

absl::StatusOr<Receipt> SandboxChannel::Publish(const PublishRequest& request) {
  SandboxCall call;
  call.idempotency_key = request.idempotency_key;
  call.post = request.post;
  call.publisher_id = publisher_id_;
  std::lock_guard lock(mu_);
  FileLock file_lock(fd_);
  if (!file_lock.ok())
    return MakeChannelError(ChannelErrorKind::kRetryable, "cannot lock the sandbox record");
  call.time = clock_.Now();
  return PublishLocked(request, call);
}

absl::StatusOr<Receipt> SandboxChannel::PublishLocked(const PublishRequest& request,
                                                      SandboxCall& call) {
  // The call is counted (with what the sandbox decided to do) before anything is
  // delivered: a call that cannot be counted is refused as retryable, so no
  // delivery ever goes uncounted.
  auto counted = [&](std::string_view result) -> absl::Status {
    call.result = std::string(result);
    absl::Status s = RecordCallLocked(call);
    if (!s.ok()) return MakeChannelError(ChannelErrorKind::kRetryable, common::AsStd(s.message()));
    return absl::OkStatus();
  };
  if (request.idempotency_key.empty()) {
    RETURN_IF_ERROR(counted("refused"));
    return MakeChannelError(ChannelErrorKind::kPermanent, "publish request has no idempotency key");
  }
  if (absl::Status s = CatchUpLocked(); !s.ok())
    return MakeChannelError(ChannelErrorKind::kRetryable, common::AsStd(s.message()));
  if (auto it = by_key_.find(request.idempotency_key); it != by_key_.end()) {
    call.repeat = true;
    RETURN_IF_ERROR(counted("repeat"));
    return ReceiptOf(records_[it->second], path_);
  }
  const std::string_view text = request.text;
  if (absl::StrContains(common::AsAbsl(text), common::AsAbsl(kSandboxRefuseTrigger))) {
    RETURN_IF_ERROR(counted("refused"));
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            "the sandbox refuses this post (test trigger [sandbox:refuse])");
  }
  if (absl::StrContains(common::AsAbsl(text), common::AsAbsl(kSandboxUnknownTrigger))) {
    RETURN_IF_ERROR(counted("unknown"));
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown,
                            "the sandbox gave no answer (test trigger [sandbox:unknown])");
  }
  const bool lose_receipt =
      absl::StrContains(common::AsAbsl(text), common::AsAbsl(kSandboxLostReceiptTrigger));
  RETURN_IF_ERROR(counted(lose_receipt ? "lost_receipt" : "delivered"));

  DeliveryRecord record;
  record.post = request.post;
  record.content_version = request.content_version;
  record.network = request.network;
  record.account = request.account;
  record.external_id = absl::StrCat("sbx-", common::NewId().substr(0, 20));
  record.text = request.text;
  record.deliver_time = call.time;
  record.publisher_id = publisher_id_;
  record.idempotency_key = request.idempotency_key;
  record.in_reply_to = request.in_reply_to;

  struct stat st;
  if (fstat(fd_, &st) != 0)
    return MakeChannelError(ChannelErrorKind::kRetryable, "cannot stat the sandbox record");
  std::string data;
  // A torn line left by a crashed writer must not swallow this record.
  if (st.st_size > scanned_) data.push_back('\n');
  data += DeliveryToJsonLine(record);
  data.push_back('\n');
  if (absl::Status s = WriteAll(fd_, data, path_); !s.ok()) {
    // Part of the line may be on disk; whether it counts is unknown.
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown, common::AsStd(s.message()));
  }
  if (fdatasync(fd_) != 0)
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown, "cannot sync the sandbox record");
  scanned_ = st.st_size + static_cast<off_t>(data.size());
  by_key_[record.idempotency_key] = records_.size();
  records_.push_back(record);
  if (lose_receipt) {
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown,
                            "the sandbox delivered the post and lost the receipt (test trigger "
                            "[sandbox:lost-receipt])");
  }
  return ReceiptOf(record, path_);
}

absl::StatusOr<std::optional<Receipt>> SandboxChannel::FindPublished(const PublishRequest& request,
                                                                     absl::Time /*since*/) {
  std::lock_guard lock(mu_);
  FileLock file_lock(fd_);
  if (!file_lock.ok()) return absl::UnavailableError("cannot lock the sandbox record");
  if (absl::Status s = CatchUpLocked(); !s.ok()) return s;
  auto it = by_key_.find(request.idempotency_key);
  if (it == by_key_.end()) return std::optional<Receipt>();
  return std::optional<Receipt>(ReceiptOf(records_[it->second], path_));
}

absl::Status SandboxChannel::Delete(std::string_view /*account*/,
                                    std::string_view /*external_id*/) {
  return MakeChannelError(ChannelErrorKind::kPermanent,
                          "the sandbox record is append-only: it cannot delete a delivery");
}

absl::StatusOr<std::vector<RemotePost>> SandboxChannel::ListRecent(std::string_view account,
                                                                   absl::Time since, int limit) {
  std::lock_guard lock(mu_);
  {
    FileLock file_lock(fd_);
    if (!file_lock.ok()) return absl::UnavailableError("cannot lock the sandbox record");
    if (absl::Status s = CatchUpLocked(); !s.ok()) return s;
  }
  std::vector<RemotePost> out;
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    if (static_cast<int>(out.size()) >= limit) break;
    if (it->account != account || it->deliver_time < since) continue;
    Receipt receipt = ReceiptOf(*it, path_);
    out.push_back(RemotePost{receipt.external_id, receipt.url, it->text, it->deliver_time, ""});
  }
  return out;
}

absl::StatusOr<Engagement> SandboxChannel::ReadEngagement(std::string_view /*account*/,
                                                          std::string_view external_id) {
  ASSIGN_OR_RETURN(SandboxAudience audience, ReadSandboxAudience(dir()));
  if (audience.deleted.contains(external_id))
    return absl::NotFoundError("the sandbox post was deleted");
  auto it = audience.posts.find(external_id);
  if (it != audience.posts.end()) return it->second;
  return Engagement{0, 0, 0, 0, 0};  // nobody has seen it: true zeros
}

absl::StatusOr<int64_t> SandboxChannel::ReadFollowers(std::string_view account) {
  ASSIGN_OR_RETURN(SandboxAudience audience, ReadSandboxAudience(dir()));
  auto it = audience.followers.find(account);
  return it != audience.followers.end() ? it->second : 0;
}

std::string SandboxChannel::dir() const {
  return std::filesystem::path(path_).parent_path().string();
}

absl::StatusOr<std::vector<DeliveryRecord>> SandboxChannel::ListDeliveries(size_t offset,
                                                                           size_t limit) {
  std::lock_guard lock(mu_);
  {
    FileLock file_lock(fd_);
    if (!file_lock.ok()) return absl::UnavailableError("cannot lock the sandbox record");
    if (absl::Status s = CatchUpLocked(); !s.ok()) return s;
  }
  std::vector<DeliveryRecord> out;
  for (size_t i = offset; i < records_.size() && out.size() < limit; ++i)
    out.push_back(records_[i]);
  return out;
}

}  // namespace carecast::publisher
