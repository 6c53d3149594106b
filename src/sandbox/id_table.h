#pragma once
// Table<T>: one resource's objects under one integration, in creation order, found by id.
//
// Each object gets a serial (its position, 0, 1, 2, ... in creation order) that never changes
// and is never reused: references between objects (a payout's employee and payrun) hold serials,
// so a rename is one write and a reference always shows the current id. A deleted object stays
// as a tombstone (an empty id) so that serials stay valid. The id index is an open-addressing
// table of serials (4 bytes a slot, at most half full): a million objects cost no second copy
// of their ids. Not thread-safe: the caller holds the state lock.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gigasync::sandbox {

using Serial = std::uint32_t;
inline constexpr Serial kNoSerial = UINT32_MAX;

// T has a member `std::string id`; an object with an empty id is deleted.
template <class T>
class Table {
 public:
  // The live object with this id, or nullptr.
  T* find(std::string_view id) { return const_cast<T*>(std::as_const(*this).find(id)); }
  const T* find(std::string_view id) const {
    Serial s = serial_of(id);
    return s == kNoSerial ? nullptr : &rows_[s];
  }
  Serial serial_of(std::string_view id) const {
    if (index_.empty() || id.empty()) return kNoSerial;
    for (std::size_t i = home(id);; i = (i + 1) & mask()) {
      Serial s = index_[i];
      if (s == kNoSerial) return kNoSerial;
      if (rows_[s].id == id) return s;
    }
  }
  // REQUIRES: alive(s) for a meaningful object (a tombstone has an empty id).
  T& at(Serial s) { return rows_[s]; }
  const T& at(Serial s) const { return rows_[s]; }
  bool alive(Serial s) const { return s < rows_.size() && !rows_[s].id.empty(); }

  // Appends `row` and returns its serial. REQUIRES: row.id is not empty and not in the table.
  Serial insert(T row) {
    auto s = static_cast<Serial>(rows_.size());
    rows_.push_back(std::move(row));
    ++live_;
    if ((live_ + 1) * 2 > index_.size()) rehash(std::max<std::size_t>(16, index_.size() * 2));
    else place(s);
    return s;
  }
  // Deletes the object: its fields are freed, its serial stays a tombstone. REQUIRES: alive(s).
  void erase(Serial s) {
    unplace(rows_[s].id);
    rows_[s] = T{};
    --live_;
  }
  // Gives the object a new id. REQUIRES: alive(s), `id` not empty and not in the table.
  void rename(Serial s, std::string id) {
    unplace(rows_[s].id);
    rows_[s].id = std::move(id);
    place(s);
  }

  std::size_t size() const { return live_; }            // live objects
  std::size_t serial_count() const { return rows_.size(); }  // serials handed out, tombstones included
  bool has_tombstones() const { return live_ != rows_.size(); }
  void reserve(std::size_t n) {
    rows_.reserve(n);
    if ((n + 1) * 2 > index_.size()) {
      std::size_t cap = 16;
      while (cap < (n + 1) * 2) cap *= 2;
      rehash(cap);
    }
  }

  // f(serial, object) for every live object in creation order.
  template <class F>
  void for_each(F&& f) const {
    for (Serial s = 0; s < rows_.size(); ++s) {
      if (!rows_[s].id.empty()) f(s, rows_[s]);
    }
  }

 private:
  std::size_t mask() const { return index_.size() - 1; }
  std::size_t home(std::string_view id) const { return std::hash<std::string_view>{}(id) & mask(); }
  void place(Serial s) {
    std::size_t i = home(rows_[s].id);
    while (index_[i] != kNoSerial) i = (i + 1) & mask();
    index_[i] = s;
  }
  // Removes `id` from the index by backward-shift deletion (linear probing, no tombstones).
  void unplace(std::string_view id) {
    std::size_t i = home(id);
    while (index_[i] != kNoSerial && rows_[index_[i]].id != id) i = (i + 1) & mask();
    if (index_[i] == kNoSerial) return;
    index_[i] = kNoSerial;
    for (std::size_t j = (i + 1) & mask(); index_[j] != kNoSerial; j = (j + 1) & mask()) {
      std::size_t k = home(rows_[index_[j]].id);
      bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);  // k cyclically in (i, j]
      if (stays) continue;
      index_[i] = index_[j];
      index_[j] = kNoSerial;
      i = j;
    }
  }
  void rehash(std::size_t capacity) {
    index_.assign(capacity, kNoSerial);
    for (Serial s = 0; s < rows_.size(); ++s) {
      if (!rows_[s].id.empty()) place(s);
    }
  }

  std::vector<T> rows_;
  std::vector<Serial> index_;  // power-of-two size; kNoSerial = empty slot
  std::size_t live_ = 0;
};

}  // namespace gigasync::sandbox
