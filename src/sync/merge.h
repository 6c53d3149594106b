#pragma once
// Three-way comparison of one integration: base (last agreed), local (the mirror), remote (fresh).
#include <optional>
#include <string>
#include <vector>

#include "gigasync/integration.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(sync);

namespace gigasync {

struct FieldConflict {
  std::string field;
  std::optional<std::string> base, local, remote;
};

struct MergeResult {
  Integration merged;                      // local with the remote-only changes applied
  std::vector<std::string> remote_fields;  // fields taken from remote (changed only there)
  std::vector<FieldConflict> conflicts;    // changed on both sides to different values
};

// Field by field over the mutable fields: remote-only changes are taken, local-only changes are
// kept, equal changes converge, different changes are conflicts (merged keeps the local value).
MergeResult three_way(const Integration& base, const Integration& local, const Integration& remote);

// The fields whose values differ between a and b (all eleven considered).
std::vector<std::string> diff_fields(const Integration& a, const Integration& b);

}  // namespace gigasync
