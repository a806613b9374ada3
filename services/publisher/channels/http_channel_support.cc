#include "services/publisher/channels/http_channel_support.h"

#include <cctype>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"

namespace carecast::publisher {
namespace {

// Drops links, tags and entities, collapses whitespace, trims.
std::string Canonical(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  auto starts = [&](std::string_view prefix) { return text.substr(i, prefix.size()) == prefix; };
  bool space = false;
  while (i < text.size()) {
    char c = text[i];
    if (c == '<') {  // a tag: skip to '>'; <br> and </p> count as whitespace
      size_t end = text.find('>', i);
      if (end == std::string_view::npos) break;
      i = end + 1;
      space = true;
      continue;
    }
    if (c == '&') {  // an entity: one character of its own
      size_t end = text.find(';', i);
      if (end != std::string_view::npos && end - i <= 8) {
        std::string_view entity = text.substr(i, end - i + 1);
        char decoded = entity == "&amp;"                           ? '&'
                       : entity == "&lt;"                          ? '<'
                       : entity == "&gt;"                          ? '>'
                       : entity == "&quot;"                        ? '"'
                       : (entity == "&#39;" || entity == "&apos;") ? '\''
                       : entity == "&nbsp;"                        ? ' '
                                                                   : '\0';
        if (decoded != '\0') {
          if (decoded == ' ') {
            space = true;
          } else {
            if (space && !out.empty()) out.push_back(' ');
            space = false;
            out.push_back(decoded);
          }
          i = end + 1;
          continue;
        }
      }
    }
    if (starts("http://") || starts("https://")) {  // a link: dropped
      while (i < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[i])) &&
             text[i] != '<')
        ++i;
      space = true;
      continue;
    }
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      space = true;
      ++i;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
    ++i;
  }
  return out;
}

}  // namespace

absl::Status TransportFailure(const absl::Status& transport, CallKind kind,
                              std::string_view network) {
  std::string message = absl::StrCat(common::AsAbsl(network), ": ", transport.message());
  if (absl::IsUnavailable(transport) || absl::IsInvalidArgument(transport) ||
      kind == CallKind::kRead) {
    return MakeChannelError(absl::IsInvalidArgument(transport) ? ChannelErrorKind::kPermanent
                                                               : ChannelErrorKind::kRetryable,
                            message);
  }
  return MakeChannelError(ChannelErrorKind::kOutcomeUnknown, message, absl::ZeroDuration(),
                          /*may_be_in_flight=*/true);
}

absl::Status HttpAnswerFailure(int status, std::string_view detail, CallKind kind,
                               std::string_view network, absl::Duration retry_after) {
  std::string message = absl::StrCat(common::AsAbsl(network), " answered HTTP ", status,
                                     detail.empty() ? "" : ": ", common::AsAbsl(detail));
  if (status == 401) return MakeChannelError(ChannelErrorKind::kAuthExpired, message);
  if (status == 429) {
    return MakeChannelError(ChannelErrorKind::kRateLimited, message,
                            retry_after > absl::ZeroDuration() ? retry_after : absl::Minutes(1));
  }
  if (status == 408 || status >= 500) {
    return MakeChannelError(kind == CallKind::kCreate ? ChannelErrorKind::kOutcomeUnknown
                                                      : ChannelErrorKind::kRetryable,
                            message);
  }
  return MakeChannelError(ChannelErrorKind::kPermanent, message);
}

absl::Status CredentialFailure(std::string_view network, const absl::Status& status,
                               std::string_view account) {
  if (status.ok()) return status;
  const absl::string_view net = common::AsAbsl(network);
  const absl::string_view who = common::AsAbsl(account);
  if (absl::IsNotFound(status)) {
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            absl::StrCat(net, ": no credentials for ", who,
                                         "; reconnect the account (", status.message(), ")"));
  }
  // Only a refusal (of the token, or of its refresh) disconnects the account.
  if (absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status)) {
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            absl::StrCat(net, ": the credentials of ", who,
                                         " were refused and cannot be renewed; reconnect the "
                                         "account: ",
                                         status.message()));
  }
  // A transient failure leaves the account connected: the call is tried later.
  return MakeChannelError(ChannelErrorKind::kRetryable,
                          absl::StrCat(net, ": the credentials of ", who,
                                       " are unavailable for now: ", status.message()));
}

std::optional<absl::Duration> ParseRetryAfter(std::string_view value, absl::Time now) {
  value = common::AsStd(absl::StripAsciiWhitespace(common::AsAbsl(value)));
  if (value.empty()) return std::nullopt;
  if (std::optional<int64_t> seconds = ParseInt(value)) {
    if (*seconds < 0) return std::nullopt;
    return absl::Seconds(*seconds);
  }
  absl::Time when;
  std::string err;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(value), &when, &err))
    return when > now ? when - now : absl::ZeroDuration();
  return std::nullopt;
}

std::optional<absl::Time> ParseUnixSeconds(std::string_view value) {
  std::optional<int64_t> seconds = ParseInt(value);
  if (!seconds || *seconds < 0) return std::nullopt;
  return absl::FromUnixSeconds(*seconds);
}

std::optional<absl::Time> ParseIsoTime(std::string_view value) {
  absl::Time when;
  std::string err;
  std::string trimmed(absl::StripAsciiWhitespace(common::AsAbsl(value)));
  if (absl::ParseTime(absl::RFC3339_full, trimmed, &when, &err)) return when;
  // "+0000" offsets (Facebook) rather than "+00:00".
  if (absl::ParseTime("%Y-%m-%dT%H:%M:%E*S%z", trimmed, &when, &err)) return when;
  return std::nullopt;
}

std::optional<int64_t> ParseInt(std::string_view value) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(common::AsAbsl(value)), &n)) return std::nullopt;
  return n;
}

absl::Duration CallTimeout(absl::Duration per_call, absl::Time deadline, absl::Time now) {
  if (deadline == absl::InfiniteFuture()) return per_call;
  return std::min(per_call, deadline - now);
}

bool SameTextAsSent(std::string_view sent, std::string_view listed) {
  return Canonical(sent) == Canonical(listed);
}

std::string UrlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::Status CheckMediaRefs(const std::vector<MediaRef>& media, int max_images,
                            std::string_view network) {
  if (static_cast<int64_t>(media.size()) > max_images) {
    return MakeChannelError(
        ChannelErrorKind::kPermanent,
        absl::StrCat(common::AsAbsl(network), " takes at most ", max_images,
                     " images per post; this one has ", media.size(), "; not sent"));
  }
  for (size_t i = 0; i < media.size(); ++i) {
    std::string_view alt = media[i].alt_text;
    if (absl::StripAsciiWhitespace(common::AsAbsl(alt)).empty() || !common::IsValidUtf8(alt)) {
      return MakeChannelError(ChannelErrorKind::kPermanent,
                              absl::StrCat(common::AsAbsl(network), ": image ", i + 1,
                                           " has no alt text (required); not sent"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<FetchedMedia> FetchMedia(common::HttpClient& http, const common::Clock& clock,
                                        const MediaRef& media, size_t index,
                                        std::string_view network, absl::Duration per_call,
                                        absl::Time deadline, int64_t max_bytes) {
  std::string what = absl::StrCat(common::AsAbsl(network), ": image ", index + 1);
  common::HttpCall call;
  call.url = media.url;
  call.timeout = CallTimeout(per_call, deadline, clock.Now());
  if (call.timeout <= absl::ZeroDuration()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            absl::StrCat(what, ": the deadline passed before it was fetched"));
  }
  absl::StatusOr<common::HttpReply> reply = http.Send(call);
  if (!reply.ok()) return TransportFailure(reply.status(), CallKind::kRead, what);
  if (reply->status != 200) {
    bool transient = reply->status == 408 || reply->status == 429 || reply->status >= 500;
    return MakeChannelError(transient ? ChannelErrorKind::kRetryable : ChannelErrorKind::kPermanent,
                            absl::StrCat(what, " could not be fetched: HTTP ", reply->status));
  }
  if (reply->body.empty()) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat(what, " could not be fetched: the answer is empty"));
  }
  if (max_bytes > 0 && static_cast<int64_t>(reply->body.size()) > max_bytes) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat(what, " has ", reply->body.size(),
                                         " bytes; the network takes at most ", max_bytes));
  }
  FetchedMedia fetched;
  fetched.mime_type = media.mime_type.empty() ? reply->Header("content-type") : media.mime_type;
  fetched.bytes = std::move(reply->body);
  return fetched;
}

std::string MediaFileName(std::string_view mime_type, size_t index) {
  std::string_view extension = mime_type == "image/jpeg"   ? ".jpg"
                               : mime_type == "image/png"  ? ".png"
                               : mime_type == "image/gif"  ? ".gif"
                               : mime_type == "image/webp" ? ".webp"
                                                           : "";
  return absl::StrCat("image-", index + 1, common::AsAbsl(extension));
}

FormBody MultipartForm(const std::vector<FormPart>& parts) {
  std::string boundary;
  for (int n = 0; boundary.empty(); ++n) {
    std::string candidate = absl::StrCat("CareCastFormBoundary", n, "x7Qv");
    bool clash = false;
    for (const FormPart& part : parts) {
      clash = clash || absl::StrContains(part.data, candidate) ||
              absl::StrContains(part.name, candidate) ||
              absl::StrContains(part.filename, candidate);
    }
    if (!clash) boundary = std::move(candidate);
  }
  FormBody form;
  form.content_type = absl::StrCat("multipart/form-data; boundary=", boundary);
  for (const FormPart& part : parts) {
    absl::StrAppend(&form.body, "--", boundary, "\r\n", "Content-Disposition: form-data; name=\"",
                    part.name, "\"");
    if (!part.filename.empty()) {
      absl::StrAppend(&form.body, "; filename=\"", part.filename, "\"\r\nContent-Type: ",
                      part.content_type.empty() ? "application/octet-stream" : part.content_type);
    }
    absl::StrAppend(&form.body, "\r\n\r\n", part.data, "\r\n");
  }
  absl::StrAppend(&form.body, "--", boundary, "--\r\n");
  return form;
}

}  // namespace carecast::publisher
