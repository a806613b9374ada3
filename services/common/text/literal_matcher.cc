#include "services/common/text/literal_matcher.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include <hs/hs.h>

#include "services/common/base/strings.h"
#include "services/common/text/normalizer.h"

namespace carecast::common::text {
namespace {

struct ScanContext {
  std::string_view text;
  const std::vector<uint32_t>* lengths;
  const std::vector<std::vector<uint32_t>>* ids;
  std::vector<LiteralMatcher::Hit>* out;
  size_t max_hits;
  bool truncated;
};

bool IsWordByte(std::string_view s, size_t pos) { return IsWordAt(s, pos); }

int OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
            unsigned int /*flags*/, void* ctx_ptr) {
  auto* ctx = static_cast<ScanContext*>(ctx_ptr);
  size_t len = (*ctx->lengths)[id];
  size_t end = static_cast<size_t>(to);
  size_t begin = end - len;
  std::string_view t = ctx->text;
  // Word boundaries: a literal that starts (ends) with a word character must not
  // be preceded (followed) by one.
  if (IsWordByte(t, begin) && IsWordBefore(t, begin)) return 0;
  if (IsWordBefore(t, end) && IsWordByte(t, end)) return 0;
  for (uint32_t caller_id : (*ctx->ids)[id]) {
    if (ctx->out->size() >= ctx->max_hits) {
      ctx->truncated = true;
      return 1;
    }
    ctx->out->push_back({caller_id, static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
  }
  return 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LiteralMatcher>> LiteralMatcher::Create(
    const std::vector<std::string>& literals) {
  std::unique_ptr<LiteralMatcher> m(new LiteralMatcher());
  m->literal_count_ = literals.size();
  absl::flat_hash_map<std::string, uint32_t> unique;
  std::vector<const std::string*> exprs;
  for (uint32_t i = 0; i < literals.size(); ++i) {
    const std::string& lit = literals[i];
    if (lit.empty()) continue;
    auto [it, inserted] = unique.try_emplace(lit, static_cast<uint32_t>(exprs.size()));
    if (inserted) {
      exprs.push_back(&lit);
      m->lengths_.push_back(static_cast<uint32_t>(lit.size()));
      m->ids_.emplace_back();
    }
    m->ids_[it->second].push_back(i);
  }
  if (exprs.empty()) return m;
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  std::vector<unsigned> flags(exprs.size(), 0);
  std::vector<unsigned> hs_ids;
  for (uint32_t i = 0; i < exprs.size(); ++i) {
    ptrs.push_back(exprs[i]->data());
    lens.push_back(exprs[i]->size());
    hs_ids.push_back(i);
  }
  hs_compile_error_t* err = nullptr;
  hs_error_t rc = hs_compile_lit_multi(ptrs.data(), flags.data(), hs_ids.data(), lens.data(),
                                       static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK, nullptr,
                                       &m->db_, &err);
  if (rc != HS_SUCCESS) {
    std::string msg = err != nullptr && err->message != nullptr ? err->message : "unknown error";
    int expr = err != nullptr ? err->expression : -1;
    hs_free_compile_error(err);
    return absl::InvalidArgumentError(
        absl::StrCat("cannot compile phrase list: ", msg,
                     expr >= 0 ? absl::StrCat(" (phrase ", expr, ")") : ""));
  }
  if (hs_alloc_scratch(m->db_, &m->prototype_) != HS_SUCCESS) {
    return absl::ResourceExhaustedError("cannot allocate Hyperscan scratch");
  }
  return m;
}

LiteralMatcher::~LiteralMatcher() {
  for (hs_scratch* s : pool_) hs_free_scratch(s);
  if (prototype_ != nullptr) hs_free_scratch(prototype_);
  if (db_ != nullptr) hs_free_database(db_);
}

hs_scratch* LiteralMatcher::Acquire() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pool_.empty()) {
      hs_scratch* s = pool_.back();
      pool_.pop_back();
      return s;
    }
  }
  hs_scratch* s = nullptr;
  if (hs_clone_scratch(prototype_, &s) != HS_SUCCESS) return nullptr;
  return s;
}

void LiteralMatcher::Release(hs_scratch* s) const {
  std::lock_guard<std::mutex> lock(mu_);
  pool_.push_back(s);
}

bool LiteralMatcher::Scan(std::string_view text, std::vector<Hit>& out, size_t max_hits) const {
  if (db_ == nullptr || text.empty()) return true;
  hs_scratch* scratch = Acquire();
  if (scratch == nullptr) return false;
  ScanContext ctx{text, &lengths_, &ids_, &out, max_hits, false};
  hs_scan(db_, text.data(), static_cast<unsigned>(text.size()), 0, scratch, OnMatch, &ctx);
  Release(scratch);
  return !ctx.truncated;
}

size_t LiteralMatcher::database_bytes() const {
  size_t size = 0;
  if (db_ != nullptr) hs_database_size(db_, &size);
  return size;
}

}  // namespace carecast::common::text
