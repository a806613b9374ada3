// A fixed set of words with O(1) lookup, for the engine's built-in word lists.
#pragma once

#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace carecast::common::text {

class WordSet {
 public:
  template <size_t N>
  explicit WordSet(const std::string_view (&words)[N]) {
    for (std::string_view w : words) set_.insert(absl::string_view(w.data(), w.size()));
  }
  bool contains(std::string_view w) const {
    return set_.contains(absl::string_view(w.data(), w.size()));
  }

 private:
  absl::flat_hash_set<absl::string_view> set_;
};

}  // namespace carecast::common::text
