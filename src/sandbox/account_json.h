#pragma once
// The account's objects as the API shows them: fields in the documents' order (api-notes.md's
// table), then the --extra-field fields. Money as "1314.20", times as ISO 8601 UTC with
// microseconds and Z, dates as "YYYY-MM-DD", booleans as JSON booleans, references as ids.
#include <string>
#include <string_view>

#include "sandbox/account.h"

namespace gigasync::sandbox {

struct RenderContext {
  const Account& account;
  const StringPool& strings;
  std::string_view origin;  // "http://host:port", for a payrun's app and pdf links
};

void append_employee(std::string& out, const Employee& e, const RenderContext& ctx);
void append_payout(std::string& out, const Payout& p, const RenderContext& ctx);
void append_payrun(std::string& out, const Payrun& p, const RenderContext& ctx);
void append_invoice(std::string& out, const Invoice& i, const RenderContext& ctx);
void append_webhook(std::string& out, const Webhook& w, const RenderContext& ctx);

// The same, as a string.
template <class T>
std::string object_json(void (*append)(std::string&, const T&, const RenderContext&), const T& object,
                        const RenderContext& ctx) {
  std::string out;
  append(out, object, ctx);
  return out;
}

// Every live object of a table as a JSON array, in creation order.
template <class T>
std::string table_json(const Table<T>& table, void (*append)(std::string&, const T&, const RenderContext&),
                       const RenderContext& ctx) {
  std::string out = "[";
  table.for_each([&](Serial, const T& object) {
    if (out.size() > 1) out += ',';
    append(out, object, ctx);
  });
  return out + "]";
}

}  // namespace gigasync::sandbox
