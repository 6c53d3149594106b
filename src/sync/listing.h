#pragma once
// One listing: a resource's list endpoint read page by page, under one integration, with one
// query. The full list of a resource proves deletions; filtered lists (windows, the unsettled set)
// only bring objects in.
#include <optional>
#include <string>

#include "gigasync/resource.h"
#include "gigasync/timestamp.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(sync);

namespace gigasync {

struct Listing {
  const Resource* resource = &integrations_resource();
  std::string scope;     // the Integration-ID it is read under ("" for integrations)
  std::string query;     // the list's filters ("" for the full list)
  bool complete = true;  // the full list: an id missing from a clean pass is a deletion to prove
  // A newest-first list (Resource::newest_first_query): stop reading after the first page that
  // holds an object created before this time (the rest is older still).
  std::optional<UnixMicros> stop_before;

  // "payouts of integration 1234 (created_at_after=...)", for messages.
  std::string describe() const {
    std::string out(resource->name);
    if (!scope.empty()) out += " of integration " + scope;
    if (!query.empty()) out += " (" + query + ")";
    return out;
  }
};

}  // namespace gigasync
