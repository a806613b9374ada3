#include "services/listener/sources/bluesky_jetstream_source.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "services/common/base/strings.h"

namespace carecast::listener {
namespace {

using json = nlohmann::json;
using common::AsAbsl;

constexpr std::string_view kPostCollection = "app.bsky.feed.post";
constexpr std::string_view kMentionFeature = "app.bsky.richtext.facet#mention";

const json& Field(const json& object, std::string_view name) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(std::string(name));
  return it == object.end() ? kNull : *it;
}

std::string StringField(const json& object, std::string_view name) {
  const json& value = Field(object, name);
  return value.is_string() ? value.get<std::string>() : std::string();
}

bool Watched(const std::vector<std::string>& dids, std::string_view did) {
  return !did.empty() && std::find(dids.begin(), dids.end(), did) != dids.end();
}

// The repo (authority) of an at:// URI: "at://did:plc:x/app.bsky.feed.post/y" → "did:plc:x".
std::string_view UriAuthority(std::string_view uri) {
  if (!uri.starts_with("at://")) return {};
  std::string_view rest = uri.substr(5);
  return rest.substr(0, rest.find('/'));
}

bool MentionsInFacets(const json& record, const std::vector<std::string>& dids) {
  const json& facets = Field(record, "facets");
  if (!facets.is_array()) return false;
  for (const json& facet : facets) {
    const json& features = Field(facet, "features");
    if (!features.is_array()) continue;
    for (const json& feature : features) {
      if (StringField(feature, "$type") == kMentionFeature &&
          Watched(dids, StringField(feature, "did"))) {
        return true;
      }
    }
  }
  return false;
}

bool HandleChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-'; }

// "@handle" as a whole word (a trailing '.' ends a sentence, not the handle).
bool MentionsHandle(std::string_view text, std::string_view handle) {
  if (handle.empty()) return false;
  const std::string lower_text = absl::AsciiStrToLower(AsAbsl(text));
  const std::string needle = absl::StrCat("@", absl::AsciiStrToLower(AsAbsl(handle)));
  for (size_t at = lower_text.find(needle); at != std::string::npos;
       at = lower_text.find(needle, at + 1)) {
    size_t end = at + needle.size();
    bool starts_word = at == 0 || !HandleChar(lower_text[at - 1]);
    bool ends_word =
        end == lower_text.size() ||
        !(HandleChar(lower_text[end]) || (lower_text[end] == '.' && end + 1 < lower_text.size() &&
                                          HandleChar(lower_text[end + 1])));
    if (starts_word && ends_word) return true;
  }
  return false;
}

void SetTime(absl::Time time, google::protobuf::Timestamp* out) {
  const absl::Duration since_epoch = time - absl::UnixEpoch();
  const int64_t seconds = absl::ToInt64Seconds(since_epoch);
  out->set_seconds(seconds);
  out->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(seconds))));
}

}  // namespace

absl::StatusOr<std::unique_ptr<BlueskyJetstreamSource>> BlueskyJetstreamSource::Create(
    BlueskyJetstreamSourceOptions options) {
  if (!options.url.starts_with("ws://") && !options.url.starts_with("wss://")) {
    return absl::InvalidArgumentError("bluesky jetstream: url must be ws:// or wss://");
  }
  if (options.url.find('?') != std::string::npos) {
    return absl::InvalidArgumentError("bluesky jetstream: url must not carry a query");
  }
  if (options.watched_dids.empty()) {
    return absl::InvalidArgumentError("bluesky jetstream: no watched DID");
  }
  for (const std::string& did : options.watched_dids) {
    if (!did.starts_with("did:")) {
      return absl::InvalidArgumentError(absl::StrCat("bluesky jetstream: not a DID: ", did));
    }
  }
  options.max_batch = std::max(options.max_batch, 1);
  return std::unique_ptr<BlueskyJetstreamSource>(new BlueskyJetstreamSource(std::move(options)));
}

BlueskyJetstreamSource::BlueskyJetstreamSource(BlueskyJetstreamSourceOptions options)
    : options_(std::move(options)) {}

absl::Status BlueskyJetstreamSource::Connect(std::optional<int64_t> checkpoint_us) {
  connection_.reset();
  std::string url = absl::StrCat(options_.url, "?wantedCollections=", AsAbsl(kPostCollection));
  if (checkpoint_us) {
    const int64_t cursor =
        std::max<int64_t>(0, *checkpoint_us - absl::ToInt64Microseconds(options_.rewind));
    absl::StrAppend(&url, "&cursor=", cursor);
  }
  common::WebSocketOptions socket_options;
  socket_options.connect_timeout = options_.connect_timeout;
  socket_options.max_message_bytes = options_.max_message_bytes;
  socket_options.headers = {{"User-Agent", "carecast-listener"}};
  absl::StatusOr<std::unique_ptr<common::WebSocketClient>> connected =
      common::WebSocketClient::Connect(url, socket_options);
  if (!connected.ok()) {
    return absl::UnavailableError(
        absl::StrCat("bluesky jetstream: ", connected.status().message()));
  }
  connection_ = *std::move(connected);
  last_message_ = absl::Now();
  return absl::OkStatus();
}

std::optional<int64_t> BlueskyJetstreamSource::Read(std::string_view message,
                                                    SourcePage& page) const {
  json event = json::parse(message, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded() || !Field(event, "time_us").is_number_integer()) return std::nullopt;
  const int64_t time_us = Field(event, "time_us").get<int64_t>();
  if (StringField(event, "kind") != "commit") return time_us;
  const json& commit = Field(event, "commit");
  if (StringField(commit, "operation") != "create" ||
      StringField(commit, "collection") != kPostCollection) {
    return time_us;
  }
  const std::string author = StringField(event, "did");
  const std::string rkey = StringField(commit, "rkey");
  if (author.empty() || rkey.empty() || Watched(options_.watched_dids, author)) return time_us;
  const json& record = Field(commit, "record");
  const std::string text = StringField(record, "text");
  const std::string parent_uri = StringField(Field(Field(record, "reply"), "parent"), "uri");
  const bool addressed = MentionsInFacets(record, options_.watched_dids) ||
                         Watched(options_.watched_dids, UriAuthority(parent_uri)) ||
                         MentionsHandle(text, options_.handle);
  if (!addressed) return time_us;

  v1::Mention& mention = page.mentions.emplace_back();
  mention.set_network(v1::NETWORK_BLUESKY);
  // The form BlueskyChannel takes as in_reply_to: it reads the parent's cid
  // and thread root itself (com.atproto.repo.getRecord).
  mention.set_external_id(absl::StrCat("at://", author, "/", AsAbsl(kPostCollection), "/", rkey));
  // Jetstream carries no handles; the DID is the stable author id.
  mention.set_author_handle(author);
  mention.set_text(text);
  absl::Time created;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, StringField(record, "createdAt"), &created, &error)) {
    created = absl::FromUnixMicros(time_us);
  }
  SetTime(created, mention.mutable_create_time());
  if (!options_.account.empty()) mention.set_account(options_.account);
  return time_us;
}

absl::StatusOr<SourcePage> BlueskyJetstreamSource::Fetch(std::string_view checkpoint) {
  std::optional<int64_t> checkpoint_us;
  if (!checkpoint.empty()) {
    int64_t value = 0;
    if (!absl::SimpleAtoi(AsAbsl(checkpoint), &value) || value < 0) {
      return absl::InvalidArgumentError("bluesky jetstream: the checkpoint is not a time_us");
    }
    checkpoint_us = value;
  }
  const bool stalled = !checkpoint.empty() && absl::Now() - last_message_ > options_.stall_timeout;
  if (!connection_ || !connection_->open() || position_ != checkpoint || stalled) {
    if (absl::Status connected = Connect(checkpoint_us); !connected.ok()) return connected;
    position_ = std::string(checkpoint);
  }

  SourcePage page;
  page.next_checkpoint = std::string(checkpoint);
  int read = 0;
  const absl::Time deadline = absl::Now() + options_.read_window;
  while (read < options_.max_batch) {
    absl::StatusOr<std::optional<std::string>> message =
        connection_->Receive(std::max(deadline - absl::Now(), absl::ZeroDuration()));
    if (!message.ok()) {
      connection_.reset();
      if (read == 0) {
        return absl::UnavailableError(
            absl::StrCat("bluesky jetstream: ", message.status().message()));
      }
      break;
    }
    if (!message->has_value()) break;
    ++read;
    last_message_ = absl::Now();
    std::optional<int64_t> time_us = Read(**message, page);
    if (!time_us) {
      ++unreadable_messages_;
      continue;
    }
    // A rewound replay starts before the checkpoint: never move it back.
    if (!checkpoint_us || *time_us > *checkpoint_us) {
      checkpoint_us = time_us;
      page.next_checkpoint = absl::StrCat(*time_us);
    }
  }
  page.more = read >= options_.max_batch;
  position_ = page.next_checkpoint;
  return page;
}

}  // namespace carecast::listener
