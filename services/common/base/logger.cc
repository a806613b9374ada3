#include "services/common/base/logger.h"

#include <cinttypes>
#include <cmath>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"

#include "services/common/base/utf8.h"

namespace carecast::common {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == LogLevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7f)
            out += absl::StrFormat("\\u%04x", c);
          else
            out.push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out.push_back('"');
}

JsonLogger::JsonLogger(std::string service, LogLevel min_level, const Clock& clock, FILE* out)
    : service_(std::move(service)), min_level_(min_level), clock_(clock), out_(out) {}

std::string JsonLogger::Format(LogLevel level, std::string_view message,
                               const LogFields& fields) const {
  std::string line = "{\"time\":";
  AppendJsonString(line,
                   absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", clock_.Now(), absl::UTCTimeZone()));
  line += ",\"level\":";
  AppendJsonString(line, LogLevelName(level));
  line += ",\"service\":";
  AppendJsonString(line, service_);
  line += ",\"msg\":";
  AppendJsonString(line, message);
  for (const auto& [key, value] : fields) {
    line.push_back(',');
    AppendJsonString(line, key);
    line.push_back(':');
    if (const auto* s = std::get_if<std::string>(&value)) {
      AppendJsonString(line, *s);
    } else if (const auto* i = std::get_if<int64_t>(&value)) {
      line += std::to_string(*i);
    } else if (const auto* d = std::get_if<double>(&value)) {
      line += std::isfinite(*d) ? absl::StrFormat("%.6g", *d) : std::string("null");
    } else {
      line += std::get<bool>(value) ? "true" : "false";
    }
  }
  line.push_back('}');
  return line;
}

void JsonLogger::Log(LogLevel level, std::string_view message, const LogFields& fields) {
  if (level < min_level_) return;
  std::string line = Format(level, message, fields);
  line.push_back('\n');
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace carecast::common
