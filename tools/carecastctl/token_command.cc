#include "tools/carecastctl/token_command.h"

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

#include "services/common/rpc/jwt_signer.h"

namespace carecast::ctl {

int RunTokenCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string key_file, roles_text, spokes_text;
  common::JwtClaims claims;
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&]() -> std::string { return i + 1 < args.size() ? args[++i] : std::string(); };
    const std::string& a = args[i];
    if (a == "--key")
      key_file = value();
    else if (a == "--sub")
      claims.subject = value();
    else if (a == "--roles")
      roles_text = value();
    else if (a == "--spokes")
      spokes_text = value();
    else if (a == "--issuer")
      claims.issuer = value();
    else if (a == "--audience")
      claims.audience = value();
    else if (a == "--ttl") {
      if (!absl::ParseDuration(value(), &claims.ttl) || claims.ttl <= absl::ZeroDuration()) {
        err << "carecastctl token: --ttl takes a positive duration like 1h\n";
        return 2;
      }
    } else {
      err << "carecastctl token: unknown option " << a << "\n";
      return 2;
    }
  }
  if (key_file.empty() || claims.subject.empty() || roles_text.empty()) {
    err << "carecastctl token: --key, --sub and --roles are required\n";
    return 2;
  }
  for (absl::string_view name : absl::StrSplit(roles_text, ',', absl::SkipEmpty())) {
    auto role = common::ParseRole(std::string_view(name.data(), name.size()));
    if (!role) {
      err << "carecastctl token: unknown role '" << name << "'\n";
      return 2;
    }
    claims.roles.push_back(*role);
  }
  for (absl::string_view spoke : absl::StrSplit(spokes_text, ',', absl::SkipEmpty()))
    claims.spokes.emplace_back(spoke);
  claims.issued_at = absl::Now();
  auto signer = common::JwtSigner::FromFile(key_file);
  if (!signer.ok()) {
    err << "carecastctl token: " << signer.status().message() << "\n";
    return 1;
  }
  auto token = signer->Sign(claims);
  if (!token.ok()) {
    err << "carecastctl token: " << token.status().message() << "\n";
    return 1;
  }
  out << *token << "\n";
  return 0;
}

}  // namespace carecast::ctl
