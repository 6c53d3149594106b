#include "support/sandbox_fixture.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdexcept>

#include "gigasync/json.h"
#include "gigasync/store.h"

namespace gigasync::test {

sandbox::Options sandbox_options(int seed, int max_page_size) {
  sandbox::Options o;
  o.port = 0;
  o.seed = seed;
  o.max_page_size = max_page_size;
  return o;
}

SandboxRun::SandboxRun(sandbox::Options o, const std::string& api_extra, const std::string& extra) : server(o) {
  auto port = server.start();
  if (!port) throw std::runtime_error("sandbox did not start: " + port.error().message);
  config = write_config(dir.path, server.base_url(), api_extra, extra, o.token);
}

SandboxRun::~SandboxRun() { server.stop(); }

RunResult SandboxRun::gigasync(std::vector<std::string> args, const Env& env) {
  Env e = env;
  for (const char* k : {"GIGAPAY_TOKEN", "GIGAPAY_BASE_URL", "GIGASYNC_DB", "GIGASYNC_CONFIG"})
    if (!e.count(k)) e[k] = "\x01";
  if (!e.count("GIGASYNC_TEST_BACKOFF_MS")) e["GIGASYNC_TEST_BACKOFF_MS"] = "20";
  args.push_back("-c");
  args.push_back(config);
  return test::run_gigasync(args, e);
}

std::map<std::string, Integration> SandboxRun::mirror() const {
  auto store = Store::open(db());
  if (!store) throw std::runtime_error(store.error().message);
  auto all = (*store)->load_all(Table::mirror);
  if (!all) throw std::runtime_error(all.error().message);
  return all.value();
}

std::map<std::string, Integration> SandboxRun::remote() const {
  std::string body = "{\"count\":0,\"next\":null,\"previous\":null,\"results\":" + server.objects_json() + "}";
  auto page = json::parse_page(body, "sandbox objects");
  if (!page) throw std::runtime_error(page.error().message);
  std::map<std::string, Integration> out;
  for (auto& o : page->results) out.emplace(o.id, o);
  return out;
}

long long SandboxRun::count(const std::string& sql) const {
  SQLite::Database db(this->db(), SQLite::OPEN_READONLY);
  return db.execAndGet(sql).getInt64();
}

std::string SandboxRun::text(const std::string& sql) const {
  SQLite::Database db(this->db(), SQLite::OPEN_READONLY);
  auto v = db.execAndGet(sql);
  return v.isNull() ? "" : v.getString();
}

void SandboxRun::exec(const std::string& sql) const {
  SQLite::Database db(this->db(), SQLite::OPEN_READWRITE);
  db.setBusyTimeout(10000);
  db.exec(sql);
}

void remote_set(sandbox::Server& server, const std::string& id, const std::string& field, const std::string& json_value) {
  rapidjson::Document all;
  all.Parse(server.objects_json().c_str());
  for (auto& o : all.GetArray()) {
    if (std::string(o["id"].GetString()) != id) continue;
    rapidjson::Document v(&all.GetAllocator());
    v.Parse(json_value.c_str());
    if (v.HasParseError()) throw std::runtime_error("bad JSON literal " + json_value);
    o[field.c_str()].CopyFrom(v, all.GetAllocator());
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    o.Accept(w);
    auto s = server.put_object(buf.GetString());
    if (!s) throw std::runtime_error(s.error().message);
    return;
  }
  throw std::runtime_error("no sandbox object " + id);
}

}  // namespace gigasync::test

namespace gigasync::test {
std::string differences(const std::map<std::string, Integration>& a, const std::map<std::string, Integration>& b) {
  std::string out;
  int shown = 0;
  auto add = [&](const std::string& line) {
    if (shown++ < 10) out += line + "\n";
  };
  for (const auto& [id, x] : a) {
    auto it = b.find(id);
    if (it == b.end()) { add("only in the first: " + id); continue; }
    for (auto f : integration_fields())
      if (x.get(f) != it->second.get(f))
        add(id + "." + std::string(f) + ": " + x.get(f).value_or("NULL") + " != " + it->second.get(f).value_or("NULL"));
  }
  for (const auto& [id, x] : b)
    if (!a.count(id)) add("only in the second: " + id);
  return out;
}
}  // namespace gigasync::test
