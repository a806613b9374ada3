#include "services/publisher/channels/sandbox_audience.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

namespace carecast::publisher {
namespace {

std::string AudiencePath(const std::string& dir) {
  return (std::filesystem::path(dir) / kSandboxAudienceFileName).string();
}

int64_t Figure(const nlohmann::json& line, const char* name) {
  auto it = line.find(name);
  return it != line.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
}

absl::Status AppendLine(const std::string& dir, const nlohmann::json& line) {
  const std::string path = AudiencePath(dir);
  const std::string text = line.dump() + "\n";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  const ssize_t written = write(fd, text.data(), text.size());
  close(fd);
  if (written != static_cast<ssize_t>(text.size()))
    return absl::UnavailableError(absl::StrCat("cannot append to ", path));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SandboxAudience> ReadSandboxAudience(const std::string& dir) {
  SandboxAudience audience;
  const std::string path = AudiencePath(dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return audience;
  std::ifstream in(path);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  for (std::string text; std::getline(in, text);) {
    const nlohmann::json line = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!line.is_object()) continue;
    if (auto id = line.find("external_id"); id != line.end() && id->is_string()) {
      const std::string external_id = id->get<std::string>();
      if (line.value("deleted", false)) {
        audience.deleted.insert(external_id);
        audience.posts.erase(external_id);
        continue;
      }
      audience.deleted.erase(external_id);
      audience.posts[external_id] = Engagement{.likes = Figure(line, "likes"),
                                               .shares = Figure(line, "shares"),
                                               .replies = Figure(line, "replies"),
                                               .impressions = Figure(line, "impressions"),
                                               .clicks = Figure(line, "clicks")};
    } else if (auto account = line.find("account"); account != line.end() && account->is_string()) {
      const int64_t followers = Figure(line, "followers");
      if (followers >= 0) audience.followers[account->get<std::string>()] = followers;
    }
  }
  return audience;
}

absl::Status AppendSandboxEngagement(const std::string& dir, std::string_view external_id,
                                     const Engagement& figures) {
  nlohmann::json line = {{"external_id", std::string(external_id)}};
  auto put = [&line](const char* name, int64_t value) {
    if (value >= 0) line[name] = value;
  };
  put("impressions", figures.impressions);
  put("likes", figures.likes);
  put("shares", figures.shares);
  put("replies", figures.replies);
  put("clicks", figures.clicks);
  return AppendLine(dir, line);
}

absl::Status AppendSandboxDeleted(const std::string& dir, std::string_view external_id) {
  return AppendLine(dir, {{"external_id", std::string(external_id)}, {"deleted", true}});
}

absl::Status AppendSandboxFollowers(const std::string& dir, std::string_view account,
                                    int64_t followers) {
  return AppendLine(dir, {{"account", std::string(account)}, {"followers", followers}});
}

}  // namespace carecast::publisher
