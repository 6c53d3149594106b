#pragma once
// A test double of the API behind gigasync::Remote (include/gigasync/remote.h), without HTTP: an
// in-memory API of every described resource (integrations, and the per-integration ones such as
// payouts, kept apart by Integration-ID) that answers as the Gigapay API does:
//   GET    <path>?page=N&page_size=S  a list page {"count","next","previous","results"}, with
//                                    absolute links under base_url(), page_size capped at
//                                    max_page_size, objects in id order; 404 past the last page
//   GET    <path><id>/                the object, or 404 {"detail": "Not found."}
//   POST   <path>                     creates (the body's id, or a new one); 201
//   PATCH/PUT <path><id>/             changes the body's fields (an "id" renames); 200
//   DELETE <path><id>/                204
// A write with an Idempotency-Key is done once: the same key with the same request answers the
// stored reply again (ApiReply::replayed) without doing the work again; the same key with another
// request is answered 422 and counted (key_misuse()).
//
// Faults are scripted per call: each rule applies to the next `times` calls with `method` ("" for
// any) whose URL after base_url() starts with `target` ("" for any), e.g. "integrations/a/" or
// "integrations/?page=2". Every request is recorded (calls()).
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gigasync/remote.h"

namespace gigasync::test {

// One request the double answered, in the order they came.
struct FakeCall {
  std::string method, url, body, idempotency_key, integration_id;
  std::string target;  // the URL after base_url(): "integrations/a/", "integrations/?page=1&page_size=100"
  long status = 0;     // the status answered; 0 when an Error was returned instead
  ExitCode error = ExitCode::ok;
  bool replayed = false;
  bool applied = false;  // the request changed the API's objects
};

// How a 2XX body is spoiled so that the engine's validator refuses it.
enum class Garble {
  truncated,   // the body cut in the middle (any 2XX answer)
  wrong_type,  // the first object's first field after the id is a JSON array (GET answers)
};

class FakeRemote : public Remote {
 public:
  // `page_size`: what list_url() asks for; `max_page_size`: the most the API serves per page;
  // `attempts`: how many times call() reads a 2XX body its validator refuses (as ApiClient retries
  // it) before it returns the validator's Error.
  explicit FakeRemote(int page_size = 100, int max_page_size = 1000, int attempts = 3);

  static std::string base_url() { return "https://api.example.test/v2/"; }

  // --- The API's objects, as another client of the API would change them --------------------------
  void put(const Record& o);  // creates or replaces; o.scope is its Integration-ID (per-integration)
  bool erase(const Resource& r, const std::string& id, const std::string& scope = "");
  std::optional<Record> find(const Resource& r, const std::string& id, const std::string& scope = "") const;
  std::vector<Record> all(const Resource& r, const std::string& scope = "") const;
  // Left out of every list page (and of `count`), while GET still finds it: a page-drift miss.
  void hide_from_listing(const Resource& r, const std::string& id, const std::string& scope = "");
  long long writes_applied() const;  // writes that changed the objects (replays not counted)
  long long key_misuse() const;      // an Idempotency-Key sent again with another request

  // --- Faults --------------------------------------------------------------------------------------
  // Error(unavailable), as when the retries ran out; nothing is done.
  void fail_next(const std::string& method, const std::string& target, int times = 1);
  // Done (and stored under its key), then Error(unavailable): the answer was lost.
  void lose_answer_next(const std::string& method, const std::string& target, int times = 1);
  // Answered with `status` and `body` instead, nothing done (e.g. 400 with a DRF error body
  // {"email": ["Enter a valid email address."]}). 401, and 403 to a call naming no integration,
  // are Error(auth), as ApiClient returns them.
  void answer_next(const std::string& method, const std::string& target, long status, const std::string& body,
                   int times = 1);
  // Served with its 2XX body spoiled: each read of it counts once (call() reads it again as
  // ApiClient does, so times < attempts recovers and times >= attempts fails with Error(data)).
  void garble_next(const std::string& method, const std::string& target, Garble how, int times = 1);

  // Runs `hook` when the next call with `method` and `target` arrives, before it is answered (e.g.
  // a person's edit made while the pull reads pages). The hook runs on the caller's thread.
  void before_next(const std::string& method, const std::string& target, std::function<void()> hook);

  std::vector<FakeCall> calls() const;
  std::vector<FakeCall> calls(const std::string& method, const std::string& target = "") const;

  // --- Remote ---------------------------------------------------------------------------------------
  Result<ApiReply> call(const ApiCall& c, const Validator& validate = {}) override;
  std::string list_url(const Resource& r, std::string_view query = "") const override;
  std::string item_url(const Resource& r, const std::string& id) const override;
  std::string collection_url(const Resource& r) const override;
  Status check_origin(const std::string& url, const std::string& what) const override;

 private:
  enum class Fault { unavailable, lost_answer, answer, garble };
  struct Rule {
    Fault fault;
    std::string method, target;
    int remaining = 1;
    long status = 0;
    std::string body;
    Garble garble = Garble::truncated;
  };
  struct Hook {
    std::string method, target;
    std::function<void()> run;
  };
  struct Stored {  // an idempotent write's request and reply
    std::string method, target, body;
    ApiReply reply;
  };
  using Objects = std::map<std::string, Record>;  // by id

  void add_rule(Rule r);
  std::optional<Rule> take_rule(const std::string& method, const std::string& target, bool garble);
  Result<ApiReply> attempt(const ApiCall& c, const std::string& target);  // one request, under mu_
  // `spoil`: the (first) object served gets a field of the wrong type (Garble::wrong_type).
  ApiReply serve(const ApiCall& c, const std::string& target, bool spoil, bool& applied);
  ApiReply list(const Resource& r, const std::string& scope, const std::string& path, const std::string& query,
                bool spoil) const;
  ApiReply write(const std::string& method, const Resource& r, const std::string& scope, const std::string& id,
                 const std::string& body, bool& applied);
  Objects& objects(const Resource& r, const std::string& scope) { return objects_[{std::string(r.name), scope}]; }
  const Objects* objects_of(const Resource& r, const std::string& scope) const;

  int page_size_, max_page_size_, attempts_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Objects> objects_;  // (resource name, scope) -> objects
  std::set<std::string> hidden_;                                     // name '\n' scope '\n' id
  std::vector<Rule> rules_;
  std::vector<Hook> hooks_;
  std::map<std::string, Stored> keys_;  // Idempotency-Key -> what it did
  std::vector<FakeCall> calls_;
  long long writes_ = 0, key_misuse_ = 0, created_ = 0;
};

// An object's JSON as the API sends it (every field in the API's order, then its unknown fields).
std::string object_text(const Record& o);

// A custom (type 3) integration with every required field set, metadata {}.
Record make_integration(const std::string& id, const std::string& name = "");

}  // namespace gigasync::test
