// libFuzzer target for Ferry's Arrow IPC decoders (src/protocol/arrow_ipc.h).
// Every input goes through DecodeSchemaStream and DecodeRecordStream, with and
// without an expected schema; a decoded batch has every cell read back, so the
// sanitizers see any out-of-bounds buffer. See fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ferry/builder.h"
#include "protocol/arrow_ipc.h"

namespace {

int64_t TouchAll(const ferry::Batch& b) {
  int64_t n = 0;
  for (const auto& c : b.columns())
    for (int64_t r = 0; r < b.num_rows(); ++r) n += ferry::GetValue(*c, r).is_null();
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A copy of exactly `size` bytes: reads past the end are caught.
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto schema = ferry::protocol::DecodeSchemaStream(input);
  if (schema.ok()) {
    for (const auto& c : (*schema)->columns) (void)c.type->ToString();
    // Re-encoding a decoded schema must work and decode to the same columns.
    auto again = ferry::protocol::EncodeSchemaStream(**schema);
    if (!again.ok() || !ferry::protocol::DecodeSchemaStream(*again).ok()) __builtin_trap();
  }
  auto batch = ferry::protocol::DecodeRecordStream(input);
  if (batch.ok()) {
    TouchAll(**batch);
    auto again = ferry::protocol::EncodeRecordStream(**batch);
    if (!again.ok()) __builtin_trap();
    auto back = ferry::protocol::DecodeRecordStream(*again, (*batch)->schema());
    if (!back.ok() || (*back)->num_rows() != (*batch)->num_rows()) __builtin_trap();
  }
  return 0;
}
