#include "services/listener/sources/html_text.h"

#include <algorithm>

#include "absl/strings/ascii.h"

#include "services/common/base/strings.h"
#include "services/listener/sources/polled_source_support.h"

namespace carecast::listener {
namespace {

// "p", "/p", "br", "a", ... of a tag's inside, lower-cased.
std::string TagName(std::string_view tag) {
  const size_t start = !tag.empty() && tag[0] == '/' ? 1 : 0;
  const size_t end = std::min(tag.find_first_of(" \t\r\n/", start), tag.size());
  return absl::AsciiStrToLower(common::AsAbsl(tag.substr(0, end)));
}

}  // namespace

std::string HtmlToPlainText(std::string_view html) {
  std::string out;
  size_t i = 0;
  while (i < html.size()) {
    const size_t open = std::min(html.find('<', i), html.size());
    // Entities never span a tag, so each run of text is decoded on its own.
    out += DecodeHtmlEntities(html.substr(i, open - i));
    if (open == html.size()) break;
    const size_t close = html.find('>', open);
    if (close == std::string_view::npos) {  // not a tag: text
      out += DecodeHtmlEntities(html.substr(open));
      break;
    }
    const std::string name = TagName(html.substr(open + 1, close - open - 1));
    if (name == "br") {
      out.push_back('\n');
    } else if (name == "p" && !out.empty()) {
      out.append("\n\n");
    }
    i = close + 1;
  }
  return out;
}

}  // namespace carecast::listener
