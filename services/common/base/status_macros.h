// Small helpers for absl::Status plumbing; this abseil has no status macros.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CARECAST_CONCAT_INNER(a, b) a##b
#define CARECAST_CONCAT(a, b) CARECAST_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                               \
  do {                                                      \
    if (::absl::Status _st = (expr); !_st.ok()) return _st; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, MakeX());` assigns the value of an absl::StatusOr or
// returns its status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(CARECAST_CONCAT(_status_or_, __LINE__), lhs, expr)
// `lhs` is a declaration (`auto x`) and `tmp` a fresh name: neither can be
// parenthesised, which is what bugprone-macro-parentheses asks for.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)    \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
