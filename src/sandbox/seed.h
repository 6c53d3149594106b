#pragma once
// Realistic, deterministic Swedish test data.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/record.h"

namespace gigasync::sandbox {

// Word lists (seed_words.cpp).
struct City {
  const char* name;
  const char* zip_prefix;  // first three digits of its zip codes
};
const std::vector<City>& seed_cities();
const std::vector<const char*>& seed_first_names();
const std::vector<const char*>& seed_last_names();
const std::vector<const char*>& seed_company_words();
const std::vector<const char*>& seed_trade_words();
const std::vector<const char*>& seed_streets();
const std::vector<const char*>& seed_address_line_2();
const std::vector<const char*>& seed_mail_providers();

// "Åsa Öberg" -> "asa.oberg" style ASCII: Swedish letters folded, other non-ASCII dropped,
// lower case.
std::string ascii_fold(std::string_view s);

// Generates objects and ids from one RNG (std::mt19937; the mapping to choices is our own,
// so the output is the same on every platform for a given seed).
class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}
  std::string uuid4();
  Record company();     // the type 1 web app integration ("Zerebra AB")
  Record freelancer();  // a type 2 invoice integration named after a freelancer
  Record custom();      // a type 3 custom integration for a company

  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
  bool chance(unsigned percent) { return rng_() % 100 < percent; }
  template <class T>
  const T& pick_from(const std::vector<T>& v) { return v[pick(v.size())]; }

 private:
  void fill_address(Record& r);
  std::string metadata();
  std::mt19937 rng_;
};

// Appends n objects: one type 1, n/5 type 2 and the rest type 3, shuffled after the first.
// Ids never collide with objects already in the store.
void seed_store(Store& store, Generator& gen, int n);

// A new type 3 object whose id is not in the store.
Record new_custom(const Store& store, Generator& gen);

}  // namespace gigasync::sandbox
