#include "store/rows.h"

#include "store/pull_queries.h"

namespace gigasync::store {

std::string columns(const Resource& r, std::string_view alias) {
  std::string a(alias), out;
  if (r.per_integration) out = a + "integration_id";
  for (const Field& f : r.fields) out += (out.empty() ? "" : ", ") + a + std::string(f.name);
  return out;
}

int column_count(const Resource& r) { return static_cast<int>(r.fields.size()) + (r.per_integration ? 1 : 0); }

std::string placeholders(const Resource& r) {
  std::string out;
  for (int i = 0; i < column_count(r); ++i) out += i == 0 ? "?" : ",?";
  return out;
}

std::string set_from_excluded(const Resource& r) { return set_from(r, "excluded"); }

std::string set_from(const Resource& r, std::string_view from) {
  std::string out;
  for (const Field& f : r.fields) {
    if (f.name == "id") continue;
    out += (out.empty() ? "" : ", ") + std::string(f.name) + " = " + std::string(from) + "." + std::string(f.name);
  }
  return out;
}

std::string same_key(const Resource& r, std::string_view a, std::string_view b) {
  std::string A(a), B(b);
  std::string out = A + ".id = " + B + ".id";
  if (r.per_integration) out = A + ".integration_id = " + B + ".integration_id AND " + out;
  return out;
}

int bind_record(SQLite::Statement& q, int first, const Record& o, const std::string& scope) {
  const Resource& r = o.resource();
  int i = first;
  if (r.per_integration) q.bindNoCopy(i++, scope.empty() ? o.scope : scope);
  for (std::size_t f = 0; f < r.fields.size(); ++f, ++i) {
    const Field& field = r.fields[f];
    if (field.name == "id") {
      q.bindNoCopy(i, o.id);
      continue;
    }
    const auto& v = o.at(f);
    if (!v) {
      q.bind(i);
    } else if (field.kind == Kind::integer || field.kind == Kind::boolean) {
      q.bind(i, static_cast<int64_t>(std::stoll(*v)));
    } else {
      q.bindNoCopy(i, *v);
    }
  }
  return i;
}

Record read_record(SQLite::Statement& q, int first, const Resource& r) {
  Record o(r);
  int c = first;
  if (r.per_integration) o.scope = q.getColumn(c++).getString();
  for (std::size_t f = 0; f < r.fields.size(); ++f, ++c) {
    if (r.fields[f].name == "id") {
      o.id = q.getColumn(c).getString();
      continue;
    }
    o.at(f) = text(q.getColumn(c));
  }
  return o;
}

std::string mirror_columns_sql(const Resource& r) {
  std::string out;
  if (r.per_integration) out = "integration_id TEXT NOT NULL";
  for (const Field& f : r.fields) {
    out += (out.empty() ? "" : ", ") + std::string(f.name) + " " + std::string(sql_type(f.kind));
    if (f.name == "id") out += r.per_integration ? " NOT NULL" : " PRIMARY KEY";
  }
  if (r.per_integration) out += ", PRIMARY KEY (integration_id, id)";
  return out;
}

std::string base_hash_index(const Resource& r) {
  return std::string(r.base_table) + (r.per_integration ? "_by_key_hash" : "_by_id_hash");
}

std::string base_lookup_sql(const Resource& r) {
  return "SELECT rowid, content_hash FROM main." + std::string(r.base_table) + " INDEXED BY " + base_hash_index(r) +
         (r.per_integration ? " WHERE integration_id = ? AND id = ?" : " WHERE id = ?");
}

}  // namespace gigasync::store
