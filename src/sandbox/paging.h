#pragma once
// Query strings and page-number pagination, the way Django REST Framework's
// PageNumberPagination does it.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gigasync::sandbox {

// Percent-decoding ('+' as space) and percent-encoding of everything but unreserved characters.
std::string url_decode(std::string_view s);
std::string url_encode(std::string_view s);

struct QueryParam {
  std::string key;    // raw, still percent-encoded
  std::string value;  // raw, still percent-encoded
};
std::vector<QueryParam> parse_query(std::string_view raw);
// The decoded value of the first `key`, or nullopt.
std::optional<std::string> query_value(const std::vector<QueryParam>& q, std::string_view key);

// page_size: a positive integer capped at max_size; anything else means the default
// (25, itself capped at max_size).
int page_size(const std::vector<QueryParam>& q, int max_size);

// The page the client asked for: "last" or a number >= 1. nullopt = "Invalid page.".
// Pages past the end are left to the caller (it knows the count).
std::optional<std::size_t> page_number(const std::vector<QueryParam>& q, std::size_t page_count);

// `base` ("http://host:port/v2/integrations/") with the query `q` whose `page` is replaced by
// `page`; page 1 drops the parameter (DRF's previous link). Parameters sorted by key.
std::string page_link(const std::string& base, std::vector<QueryParam> q, std::size_t page);

}  // namespace gigasync::sandbox
