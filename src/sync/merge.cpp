#include "sync/merge.h"

namespace gigasync {

MergeResult three_way(const Integration& base, const Integration& local, const Integration& remote) {
  MergeResult out;
  out.merged = local;
  out.merged.set("type", remote.get("type"));
  for (auto field : mutable_fields()) {
    auto b = base.get(field), l = local.get(field), r = remote.get(field);
    if (r == b || r == l) continue;  // no remote change, or both sides agree
    if (l == b) {
      out.merged.set(field, r);
      out.remote_fields.emplace_back(field);
    } else {
      out.conflicts.push_back(FieldConflict{std::string(field), b, l, r});
    }
  }
  return out;
}

std::vector<std::string> diff_fields(const Integration& a, const Integration& b) {
  std::vector<std::string> out;
  for (auto field : integration_fields())
    if (a.get(field) != b.get(field)) out.emplace_back(field);
  return out;
}

}  // namespace gigasync
