// The request a route handler sees and the response it returns (HttpServer).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace carecast::common {

struct HttpRequest {
  std::string method;
  // The path, percent-decoded, without the query.
  std::string path;
  // The body after transfer and content decoding (a gzip body arrives inflated).
  std::string body;
  std::string content_type;
  // Value of the Authorization header, if any.
  std::string authorization;
  // The query parameters (the first value of each) and If-None-Match.
  std::map<std::string, std::string> query;
  std::string if_none_match;
  // Every header, the name in lower case (the first value when repeated).
  // Content-Encoding is removed once the body has been decoded.
  std::map<std::string, std::string> headers;

  // The header `lower_case_name`, or empty.
  std::string Header(const std::string& lower_case_name) const {
    auto it = headers.find(lower_case_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra response headers (ETag, Cache-Control, ...).
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error": reason}, the body of every error answer (fixed ASCII reasons only).
inline std::string HttpErrorJson(std::string_view reason) {
  std::string out = "{\"error\":\"";
  out.append(reason);
  out += "\"}";
  return out;
}

// An error answer with that body. A 401 names `bearer_realm` in
// WWW-Authenticate when one is given.
inline HttpResponse HttpErrorResponse(int status, std::string_view reason,
                                      std::string_view bearer_realm = {}) {
  HttpResponse response{status, "application/json", HttpErrorJson(reason), {}};
  if (status == 401 && !bearer_realm.empty()) {
    response.headers.emplace_back("WWW-Authenticate",
                                  std::string("Bearer realm=\"").append(bearer_realm) + "\"");
  }
  return response;
}

}  // namespace carecast::common
