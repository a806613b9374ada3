#include "services/publisher/channels/credentials.h"

namespace carecast::publisher {

std::string Credential::Field(std::string_view name) const {
  auto it = fields.find(std::string(name));
  return it == fields.end() ? std::string() : it->second;
}

}  // namespace carecast::publisher
