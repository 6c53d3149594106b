#pragma once
// Integration rows to and from SQLite statements, shared by the files of store/.
#include <SQLiteCpp/SQLiteCpp.h>

#include <optional>
#include <string>

#include "gigasync/integration.h"

namespace gigasync::store {

// The columns of `integrations` and `integration_base`, in the API's order.
inline constexpr const char* kColumns =
    "id, name, type, logo, metadata, email, recipient, address_line_1, address_line_2, zip_code, city";

inline std::optional<std::string> text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

// A row selected as kColumns (columns 0..10).
inline Integration row_to_integration(SQLite::Statement& q) {
  Integration o;
  o.id = q.getColumn(0).getString();
  o.name = text(q.getColumn(1));
  o.type = q.getColumn(2).getInt64();
  o.logo = text(q.getColumn(3));
  o.metadata = text(q.getColumn(4));
  o.email = text(q.getColumn(5));
  o.recipient = text(q.getColumn(6));
  o.address_line_1 = text(q.getColumn(7));
  o.address_line_2 = text(q.getColumn(8));
  o.zip_code = text(q.getColumn(9));
  o.city = text(q.getColumn(10));
  return o;
}

inline void bind_text(SQLite::Statement& q, int i, const std::optional<std::string>& v) {
  if (v) q.bind(i, *v); else q.bind(i);
}

}  // namespace gigasync::store
