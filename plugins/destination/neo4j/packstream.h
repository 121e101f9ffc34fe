// PackStream v1, the value encoding of Neo4j's Bolt protocol.
//
// Written here because no C++ Bolt driver is packaged for Debian 12 (the
// developers' guide: Bolt is Ferry's own). The markers, sizes and structure
// signatures are those of Neo4j's PackStream specification; the known-answer
// tests (packstream_test.cc) use the byte examples it publishes.
//
// Encoding goes straight into a byte string (Packer), so a batch of rows
// becomes one message without an intermediate value tree. Decoding produces
// PackValue trees: only server answers (metadata, records) are decoded, and
// those are small.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/status.h"

namespace ferry::plugins::neo4j::bolt {

// Structure signatures of the values Ferry sends or reads (PackStream tags).
namespace sig {
inline constexpr uint8_t kNode = 0x4E;              // 'N'
inline constexpr uint8_t kRelationship = 0x52;      // 'R'
inline constexpr uint8_t kDate = 0x44;              // 'D': days since the epoch
inline constexpr uint8_t kTime = 0x54;              // 'T': nanoseconds, tz offset seconds
inline constexpr uint8_t kLocalTime = 0x74;         // 't': nanoseconds since midnight
inline constexpr uint8_t kDateTime = 0x49;          // 'I': UTC seconds, nanoseconds, tz offset seconds (Bolt 5, 4.4 + utc)
inline constexpr uint8_t kLegacyDateTime = 0x46;    // 'F': local seconds, nanoseconds, tz offset seconds
inline constexpr uint8_t kDateTimeZoneId = 0x69;    // 'i': UTC seconds, nanoseconds, zone id (Bolt 5, 4.4 + utc)
inline constexpr uint8_t kLegacyDateTimeZoneId = 0x66;  // 'f': local seconds, nanoseconds, zone id
inline constexpr uint8_t kLocalDateTime = 0x64;     // 'd': seconds, nanoseconds
inline constexpr uint8_t kDuration = 0x45;          // 'E': months, days, seconds, nanoseconds
}  // namespace sig

// Appends PackStream values to a byte string. Containers are written as a
// header with the element count followed by the elements.
class Packer {
 public:
  explicit Packer(std::string* out) : out_(out) {}

  void Null();
  void Bool(bool v);
  void Int(int64_t v);      // the smallest of TINY_INT, INT_8, 16, 32, 64
  void Float(double v);     // always FLOAT_64
  void String(std::string_view utf8);
  void Bytes(std::string_view bytes);
  void ListHeader(uint32_t size);
  void MapHeader(uint32_t size);
  void StructHeader(uint8_t fields, uint8_t signature);  // fields <= 15

  std::string* out() const { return out_; }

 private:
  void SizedHeader(uint32_t size, uint8_t tiny, uint8_t m8, uint8_t m16, uint8_t m32);
  std::string* out_;
};

// A decoded value.
class PackValue {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kFloat, kString, kBytes, kList, kMap, kStruct };
  using List = std::vector<PackValue>;
  using Map = std::vector<std::pair<std::string, PackValue>>;  // wire order kept

  PackValue() = default;
  static PackValue Bool(bool v);
  static PackValue Int(int64_t v);
  static PackValue Float(double v);
  static PackValue String(std::string v);
  static PackValue Bytes(std::string v);
  static PackValue MakeList(List v);
  static PackValue MakeMap(Map v);
  static PackValue Struct(uint8_t signature, List fields);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  double as_float() const { return f_; }
  const std::string& as_string() const { return s_; }  // kString and kBytes
  const List& as_list() const { return list_; }         // kList and kStruct fields
  const Map& as_map() const { return map_; }
  uint8_t signature() const { return sig_; }

  // Map lookup: the value of `key`, or nullptr (also when not a map).
  const PackValue* Find(std::string_view key) const;
  // Map lookup of a string entry, or `def`.
  std::string GetString(std::string_view key, const std::string& def = "") const;

  // Debug text, Cypher-like: {a: 1, b: [true, null]}; structures as Name(...).
  std::string ToString() const;
  bool operator==(const PackValue& o) const;

  // Encodes this value (tests, and small metadata maps).
  void Pack(Packer& p) const;

 private:
  Kind kind_ = Kind::kNull;
  bool b_ = false;
  uint8_t sig_ = 0;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;
  List list_;
  Map map_;
};

// Decodes one value from data[*pos...], advancing *pos. Invalid on a
// truncated or unknown marker, or nesting deeper than 64.
Result<PackValue> Unpack(std::string_view data, size_t* pos);

}  // namespace ferry::plugins::neo4j::bolt
