// Structured logging: one JSON object per line. Callers must never pass PHI or
// secrets as fields; message text is a fixed sentence, variable parts go in fields.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "services/common/base/clock.h"

namespace carecast::common {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

std::string_view LogLevelName(LogLevel level);
// Parses "debug", "info", "warn" or "error"; false when unknown.
bool ParseLogLevel(std::string_view text, LogLevel* level);

using LogValue = std::variant<std::string, int64_t, double, bool>;
using LogField = std::pair<std::string, LogValue>;
using LogFields = std::vector<LogField>;

// Sink for log lines. Implementations are thread-safe.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, std::string_view message, const LogFields& fields) = 0;

  void Debug(std::string_view m, const LogFields& f = {}) { Log(LogLevel::kDebug, m, f); }
  void Info(std::string_view m, const LogFields& f = {}) { Log(LogLevel::kInfo, m, f); }
  void Warn(std::string_view m, const LogFields& f = {}) { Log(LogLevel::kWarn, m, f); }
  void Error(std::string_view m, const LogFields& f = {}) { Log(LogLevel::kError, m, f); }
};

// Appends `s` to `out` as a JSON string literal (quotes included), escaping
// control characters (so CR/LF cannot forge log lines) and replacing invalid
// UTF-8 with U+FFFD.
void AppendJsonString(std::string& out, std::string_view s);

// Writes `{"time":...,"level":...,"service":...,"msg":...,<fields>}` lines to a
// FILE (stdout by default), dropping lines below `min_level`.
class JsonLogger final : public Logger {
 public:
  JsonLogger(std::string service, LogLevel min_level, const Clock& clock, FILE* out = stdout);
  void Log(LogLevel level, std::string_view message, const LogFields& fields) override;

  // Formats one line without the trailing newline (exposed for tests).
  std::string Format(LogLevel level, std::string_view message, const LogFields& fields) const;

 private:
  const std::string service_;
  const LogLevel min_level_;
  const Clock& clock_;
  FILE* const out_;
  std::mutex mu_;
};

// Keeps every line in memory, for tests.
class CapturingLogger final : public Logger {
 public:
  struct Line {
    LogLevel level;
    std::string message;
    LogFields fields;
  };
  void Log(LogLevel level, std::string_view message, const LogFields& fields) override {
    std::lock_guard lock(mu_);
    lines_.push_back({level, std::string(message), fields});
  }
  std::vector<Line> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Line> lines_;
};

}  // namespace carecast::common
