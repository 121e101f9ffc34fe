// libFuzzer target for what Ferry reads from a Neo4j server: PackStream
// values (plugins/destination/neo4j/packstream.h) and their conversion to
// Ferry values (cell_codec.h). Every input is decoded value after value; a
// decoded value is re-encoded and must decode to the same value, and is read
// as every Ferry type (DecodeCell must refuse, never crash). See fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ferry/types.h"
#include "plugins/destination/neo4j/cell_codec.h"
#include "plugins/destination/neo4j/packstream.h"

namespace {

using ferry::plugins::neo4j::bolt::PackValue;

const std::vector<ferry::DataTypePtr>& Types() {
  namespace t = ferry::types;
  static const std::vector<ferry::DataTypePtr> types = {
      t::Bool(), t::Int64(), t::UInt64(), t::Float32(), t::Float64(), t::Utf8(), t::Binary(), t::Timestamp(),
      t::Date32(), t::Uuid(), t::Json(), t::Mac(), t::Inet(), t::FixedSizeBinary(4), t::List(t::Int64()),
      t::List(t::Timestamp()), t::Struct({{"x", t::Int32()}, {"y", t::Utf8()}})};
  return types;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A copy of exactly `size` bytes: reads past the end are caught.
  const std::string input(reinterpret_cast<const char*>(data), size);
  size_t pos = 0;
  while (pos < input.size()) {
    auto v = ferry::plugins::neo4j::bolt::Unpack(input, &pos);
    if (!v.ok()) break;
    (void)v->ToString();
    std::string again;
    ferry::plugins::neo4j::bolt::Packer p(&again);
    v->Pack(p);
    size_t p2 = 0;
    auto w = ferry::plugins::neo4j::bolt::Unpack(again, &p2);
    if (!w.ok() || !(*w == *v) || p2 != again.size()) std::abort();
    for (const auto& type : Types()) (void)ferry::plugins::neo4j::DecodeCell(*type, *v).ok();
  }
  return 0;
}
