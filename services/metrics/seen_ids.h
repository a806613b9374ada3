// The event ids the figures have applied, so a redelivered or republished event
// counts once. Exact (every id is kept whole, never a digest that could collide),
// but cheaper than a set of std::string: the ids' bytes go into 64 KiB blocks
// that are never moved, and the set holds views into them, so remembering an
// id costs no allocation of its own and the ids of a replay sit together in
// memory. A replay of a million events remembers a million ids (about 45 bytes
// each plus the set's 24-byte slots). Each slot keeps its id's hash, so growing
// the set never reads the ids again.
// Not thread-safe (ProgramFigures calls it under its lock).
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace carecast::metrics {

class SeenIds {
 public:
  SeenIds() = default;
  SeenIds(const SeenIds&) = delete;
  SeenIds& operator=(const SeenIds&) = delete;

  // True when `id` was not seen before (it is remembered from now on).
  bool Insert(std::string_view id);
  bool Contains(std::string_view id) const { return ids_.contains(id); }
  size_t size() const { return ids_.size(); }
  // Makes room for `ids` ids in all (a replay that knows its length).
  void Reserve(size_t ids) { ids_.reserve(ids); }

 private:
  static constexpr size_t kBlockBytes = size_t{64} * 1024;

  // An id kept in a block, with its hash.
  struct Entry {
    const char* data;
    size_t size;
    size_t hash;
    std::string_view view() const { return {data, size}; }
  };
  struct EntryHash {
    using is_transparent = void;
    size_t operator()(const Entry& e) const { return e.hash; }
    size_t operator()(std::string_view id) const;
  };
  struct EntryEq {
    using is_transparent = void;
    bool operator()(const Entry& a, const Entry& b) const { return a.view() == b.view(); }
    bool operator()(const Entry& a, std::string_view b) const { return a.view() == b; }
    bool operator()(std::string_view a, const Entry& b) const { return a == b.view(); }
  };

  // A copy of `id` that lives as long as this object.
  std::string_view Keep(std::string_view id);

  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_used_ = 0;                          // bytes used in blocks_.back()
  std::vector<std::unique_ptr<char[]>> long_ids_;  // ids over a quarter block
  absl::flat_hash_set<Entry, EntryHash, EntryEq> ids_;
};

}  // namespace carecast::metrics
