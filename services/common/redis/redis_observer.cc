#include "services/common/redis/redis_observer.h"

#include "absl/strings/ascii.h"

namespace carecast::common {
namespace {

// Real command names are short letters (with a '_' in a few module commands).
constexpr size_t kMaxOpLength = 24;

std::string OpOf(const std::vector<std::string>& command) {
  if (command.empty() || command.front().empty() || command.front().size() > kMaxOpLength) {
    return "OTHER";
  }
  std::string op = command.front();
  for (char& c : op) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c)) && c != '_') return "OTHER";
    c = absl::ascii_toupper(static_cast<unsigned char>(c));
  }
  return op;
}

}  // namespace

std::string RedisOpLabel(const std::vector<std::vector<std::string>>& commands) {
  if (commands.empty()) return "OTHER";
  std::string op = OpOf(commands.front());
  for (size_t i = 1; i < commands.size(); ++i) {
    if (OpOf(commands[i]) != op) return "PIPELINE";
  }
  return op;
}

}  // namespace carecast::common
