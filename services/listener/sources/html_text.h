// Plain text of the small HTML a network sends as a post's content (Mastodon's
// sanitized status HTML): tags removed, their text kept (a link's full URL
// sits in its spans), <br> as a newline, each new paragraph after the first
// as a blank line, entities decoded (DecodeHtmlEntities). Not a general HTML
// parser: comments, scripts and attributes' text need not be understood.
#pragma once

#include <string>
#include <string_view>

namespace carecast::listener {

std::string HtmlToPlainText(std::string_view html);

}  // namespace carecast::listener
