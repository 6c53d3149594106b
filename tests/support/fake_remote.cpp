#include "support/fake_remote.h"

#include <algorithm>

#include "gigasync/json.h"

namespace gigasync::test {
namespace {

bool is_2xx(long status) { return status >= 200 && status < 300; }

ApiReply reply(long status, std::string body) { return ApiReply{status, std::move(body), false}; }
ApiReply not_found() { return reply(404, R"({"detail":"Not found."})"); }
ApiReply field_error(std::string_view field, std::string_view message) {
  return reply(400, "{" + json::quote(field) + ":[" + json::quote(message) + "]}");
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The first object's first field after the id as a JSON array, which no field but a list accepts.
std::string object_text(const Record& o, bool spoil) {
  std::string out = "{";
  bool spoiled = false;
  for (auto f : field_names(o.resource())) {
    std::string member = json::object_body(o, {f});  // {"f":value}
    member = member.substr(1, member.size() - 2);
    if (spoil && !spoiled && f != "id") {
      member = json::quote(f) + ":[]";
      spoiled = true;
    }
    out += (out.size() > 1 ? "," : "") + member;
  }
  return json::with_unknown_fields(out + "}", o.extra);
}

}  // namespace

std::string object_text(const Record& o) { return object_text(o, false); }

Record make_integration(const std::string& id, const std::string& name) {
  Record o(integrations_resource());
  o.id = id;
  o.set("name", name.empty() ? "Integration " + id : name);
  o.set("type", "3");
  o.set("logo", std::nullopt);
  o.set("metadata", "{}");
  o.set("email", "billing-" + id + "@example.se");
  o.set("recipient", "Recipient " + id);
  o.set("address_line_1", "Storgatan 1");
  o.set("address_line_2", std::nullopt);
  o.set("zip_code", "111 22");
  o.set("city", "Stockholm");
  return o;
}

FakeRemote::FakeRemote(int page_size, int max_page_size, int attempts)
    : page_size_(page_size), max_page_size_(max_page_size), attempts_(std::max(1, attempts)) {}

// --- The API's objects ---------------------------------------------------------------------------

void FakeRemote::put(const Record& o) {
  std::lock_guard lock(mu_);
  objects(o.resource(), o.scope)[o.id] = o;
}

bool FakeRemote::erase(const Resource& r, const std::string& id, const std::string& scope) {
  std::lock_guard lock(mu_);
  return objects(r, scope).erase(id) > 0;
}

const FakeRemote::Objects* FakeRemote::objects_of(const Resource& r, const std::string& scope) const {
  auto it = objects_.find({std::string(r.name), scope});
  return it == objects_.end() ? nullptr : &it->second;
}

std::optional<Record> FakeRemote::find(const Resource& r, const std::string& id, const std::string& scope) const {
  std::lock_guard lock(mu_);
  const Objects* objs = objects_of(r, scope);
  if (!objs || !objs->count(id)) return std::nullopt;
  return objs->at(id);
}

std::vector<Record> FakeRemote::all(const Resource& r, const std::string& scope) const {
  std::lock_guard lock(mu_);
  std::vector<Record> out;
  if (const Objects* objs = objects_of(r, scope))
    for (const auto& [id, o] : *objs) out.push_back(o);
  return out;
}

void FakeRemote::hide_from_listing(const Resource& r, const std::string& id, const std::string& scope) {
  std::lock_guard lock(mu_);
  hidden_.insert(std::string(r.name) + '\n' + scope + '\n' + id);
}

long long FakeRemote::writes_applied() const {
  std::lock_guard lock(mu_);
  return writes_;
}

long long FakeRemote::key_misuse() const {
  std::lock_guard lock(mu_);
  return key_misuse_;
}

// --- Faults --------------------------------------------------------------------------------------

void FakeRemote::add_rule(Rule r) {
  std::lock_guard lock(mu_);
  rules_.push_back(std::move(r));
}

void FakeRemote::fail_next(const std::string& method, const std::string& target, int times) {
  add_rule(Rule{Fault::unavailable, method, target, times, 0, "", Garble::truncated});
}

void FakeRemote::lose_answer_next(const std::string& method, const std::string& target, int times) {
  add_rule(Rule{Fault::lost_answer, method, target, times, 0, "", Garble::truncated});
}

void FakeRemote::answer_next(const std::string& method, const std::string& target, long status,
                             const std::string& body, int times) {
  add_rule(Rule{Fault::answer, method, target, times, status, body, Garble::truncated});
}

void FakeRemote::garble_next(const std::string& method, const std::string& target, Garble how, int times) {
  add_rule(Rule{Fault::garble, method, target, times, 0, "", how});
}

void FakeRemote::before_next(const std::string& method, const std::string& target, std::function<void()> hook) {
  std::lock_guard lock(mu_);
  hooks_.push_back(Hook{method, target, std::move(hook)});
}

std::optional<FakeRemote::Rule> FakeRemote::take_rule(const std::string& method, const std::string& target,
                                                      bool garble) {
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if ((it->fault == Fault::garble) != garble) continue;
    if (!it->method.empty() && it->method != method) continue;
    if (!target.starts_with(it->target)) continue;
    Rule taken = *it;
    if (--it->remaining <= 0) rules_.erase(it);
    return taken;
  }
  return std::nullopt;
}

std::vector<FakeCall> FakeRemote::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

std::vector<FakeCall> FakeRemote::calls(const std::string& method, const std::string& target) const {
  std::vector<FakeCall> out;
  for (auto& c : calls())
    if ((method.empty() || c.method == method) && c.target.starts_with(target)) out.push_back(std::move(c));
  return out;
}

// --- Remote --------------------------------------------------------------------------------------

std::string FakeRemote::collection_url(const Resource& r) const { return base_url() + std::string(r.path); }

std::string FakeRemote::list_url(const Resource& r, std::string_view query) const {
  return collection_url(r) + "?" + (query.empty() ? "" : std::string(query) + "&") +
         "page=1&page_size=" + std::to_string(page_size_);
}

std::string FakeRemote::item_url(const Resource& r, const std::string& id) const {
  return collection_url(r) + url_encode_segment(id) + "/";
}

Status FakeRemote::check_origin(const std::string& url, const std::string& what) const {
  const std::string origin = base_url().substr(0, base_url().find('/', std::string("https://").size()) + 1);
  if (url.starts_with(origin)) return ok_status();
  return make_error(ExitCode::data, what + ": refused to follow a link to " + url +
                                        ", which is not the configured API origin");
}

Result<ApiReply> FakeRemote::call(const ApiCall& c, const Validator& validate) {
  if (auto s = check_origin(c.url, c.method + " " + c.url); !s) return s.error();
  const std::string target = c.url.starts_with(base_url()) ? c.url.substr(base_url().size()) : c.url;
  std::function<void()> hook;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(hooks_.begin(), hooks_.end(), [&](const Hook& h) {
      return (h.method.empty() || h.method == c.method) && target.starts_with(h.target);
    });
    if (it != hooks_.end()) {
      hook = std::move(it->run);
      hooks_.erase(it);
    }
  }
  if (hook) hook();  // outside mu_: it may take as long as it likes
  std::optional<Error> refused;
  for (int i = 0; i < attempts_; ++i) {
    auto answer = attempt(c, target);
    if (!answer || !validate || !is_2xx(answer->status)) return answer;
    auto valid = validate(answer->body);  // outside mu_: the engine's validator may take its own locks
    if (valid) return answer;
    refused = valid.error();
  }
  return make_error(ExitCode::data, refused->message + " (after " + std::to_string(attempts_) + " attempts)");
}

Result<ApiReply> FakeRemote::attempt(const ApiCall& c, const std::string& target) {
  std::lock_guard lock(mu_);
  FakeCall rec{c.method, c.url, c.body, c.idempotency_key, c.integration_id, target};
  auto done = [&](Result<ApiReply> r) {
    if (r) {
      rec.status = r->status;
      rec.replayed = r->replayed;
    } else {
      rec.error = r.error().code;
    }
    calls_.push_back(rec);
    return r;
  };
  const std::string what = c.method + " " + target;
  auto rule = take_rule(c.method, target, false);
  if (rule && rule->fault == Fault::unavailable)
    return done(make_error(ExitCode::unavailable, what + ": HTTP 503 (gave up after the retries)"));
  if (rule && rule->fault == Fault::answer) {
    if (rule->status == 401 || (rule->status == 403 && c.integration_id.empty()))
      return done(make_error(ExitCode::auth, what + ": the API refused the token (HTTP " + std::to_string(rule->status) +
                                                 ": " + json::describe_error_body(rule->body) + ")"));
    return done(reply(rule->status, rule->body));
  }
  auto garble = take_rule(c.method, target, true);
  ApiReply answer;
  auto stored = c.idempotency_key.empty() ? keys_.end() : keys_.find(c.idempotency_key);
  if (stored != keys_.end()) {
    const Stored& s = stored->second;
    if (s.method == c.method && s.target == target && s.body == c.body) {
      answer = s.reply;
      answer.replayed = true;
    } else {
      key_misuse_++;
      answer = reply(422, R"({"detail":"This Idempotency-Key was used with another request."})");
    }
  } else {
    bool applied = false;
    answer = serve(c, target, garble && garble->garble == Garble::wrong_type, applied);
    rec.applied = applied;
    if (applied) writes_++;
    if (!c.idempotency_key.empty() && is_2xx(answer.status))
      keys_[c.idempotency_key] = Stored{c.method, target, c.body, answer};
  }
  if (rule && rule->fault == Fault::lost_answer)
    return done(make_error(ExitCode::unavailable, what + ": the connection was lost before the answer (gave up "
                                                         "after the retries)"));
  if (garble && garble->garble == Garble::truncated && is_2xx(answer.status))
    answer.body = answer.body.substr(0, answer.body.size() / 2);
  return done(answer);
}

ApiReply FakeRemote::serve(const ApiCall& c, const std::string& target, bool spoil, bool& applied) {
  const auto q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  for (const Resource* r : all_resources()) {
    if (!path.starts_with(r->path)) continue;
    const std::string scope = r->per_integration ? c.integration_id : "";
    const std::string rest = path.substr(r->path.size());
    if (rest.empty()) {
      if (c.method == "GET") return list(*r, scope, path, query, spoil);
      if (c.method == "POST") return write("POST", *r, scope, "", c.body, applied);
      return reply(405, R"({"detail":"Method not allowed."})");
    }
    if (rest.find('/') != rest.size() - 1) return not_found();
    const std::string id = percent_decode(rest.substr(0, rest.size() - 1));
    if (c.method == "GET") {
      const Objects* objs = objects_of(*r, scope);
      if (!objs || !objs->count(id)) return not_found();
      return reply(200, object_text(objs->at(id), spoil));
    }
    if (c.method == "PATCH" || c.method == "PUT" || c.method == "DELETE")
      return write(c.method, *r, scope, id, c.body, applied);
    return reply(405, R"({"detail":"Method not allowed."})");
  }
  return not_found();
}

ApiReply FakeRemote::list(const Resource& r, const std::string& scope, const std::string& path,
                          const std::string& query, bool spoil) const {
  std::vector<std::string> kept;  // the query's other parameters (filters), kept in the links
  long long page = 1, size = std::min(25, max_page_size_);
  for (const auto& param : split(query, '&')) {
    const auto eq = param.find('=');
    const std::string key = param.substr(0, eq), value = eq == std::string::npos ? "" : param.substr(eq + 1);
    try {
      if (key == "page") page = std::stoll(value);
      else if (key == "page_size") size = std::clamp<long long>(std::stoll(value), 1, max_page_size_);
      else kept.push_back(param);
    } catch (...) {
      return reply(404, R"({"detail":"Invalid page."})");
    }
  }
  std::vector<const Record*> listed;
  if (const Objects* objs = objects_of(r, scope))
    for (const auto& [id, o] : *objs)
      if (!hidden_.count(std::string(r.name) + '\n' + scope + '\n' + id)) listed.push_back(&o);
  const long long count = static_cast<long long>(listed.size());
  const long long pages = std::max(1LL, (count + size - 1) / size);
  if (page < 1 || page > pages) return reply(404, R"({"detail":"Invalid page."})");
  auto link = [&](long long n) {
    std::string q;
    for (const auto& p : kept) q += p + "&";
    return json::quote(base_url() + path + "?" + q + "page=" + std::to_string(n) + "&page_size=" + std::to_string(size));
  };
  std::string body = "{\"count\":" + std::to_string(count) + ",\"next\":" + (page < pages ? link(page + 1) : "null") +
                     ",\"previous\":" + (page > 1 ? link(page - 1) : "null") + ",\"results\":[";
  for (long long i = (page - 1) * size; i < std::min(count, page * size); ++i) {
    const bool first = i == (page - 1) * size;
    body += (first ? "" : ",") + object_text(*listed[static_cast<std::size_t>(i)], spoil && first);
  }
  return reply(200, body + "]}");
}

ApiReply FakeRemote::write(const std::string& method, const Resource& r, const std::string& scope,
                           const std::string& id, const std::string& body, bool& applied) {
  Objects& objs = objects(r, scope);
  if (method == "DELETE") {
    if (objs.erase(id) == 0) return not_found();
    applied = true;
    return reply(204, "");
  }
  Record o(r);
  o.scope = scope;
  if (method == "POST") {
    if (r.two_way) {  // the API's defaults for a new integration
      o.set("type", "3");
      o.set("metadata", "{}");
    }
  } else {
    auto it = objs.find(id);
    if (it == objs.end()) return not_found();
    o = it->second;
  }
  auto fields = json::apply_payload(body, o, true);
  if (!fields) return field_error("non_field_errors", fields.error().message);
  for (auto f : required_fields(r))
    if (!o.get(f) || o.get(f)->empty()) return field_error(f, "This field is required.");
  if (method == "POST" && o.id.empty()) o.id = "fake-" + std::to_string(++created_);
  if (o.id != id) {
    if (objs.count(o.id)) return field_error("id", std::string(r.singular) + " with this id already exists.");
    objs.erase(id);
  }
  objs[o.id] = o;
  applied = true;
  return reply(method == "POST" ? 201 : 200, object_text(o));
}

}  // namespace gigasync::test
