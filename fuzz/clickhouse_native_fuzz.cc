// libFuzzer target for what Ferry reads from a ClickHouse server over the
// native protocol (plugins/destination/clickhouse/native_protocol.h): the
// first byte picks the revision (18.16's 54412 or Ferry's offered 54462)
// and whether blocks travel in compressed frames; the rest is a server
// Hello followed by answer packets, read as the connection reads them.
// Every block read is decoded (native_decoder.h) and rendered as TSV. Bad
// input must fail with a Status, never crash, hang or allocate without
// bound. See fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <string>

#include "plugins/destination/clickhouse/native_decoder.h"
#include "plugins/destination/clickhouse/native_protocol.h"

namespace native = ferry::plugins::clickhouse::native;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint64_t revision = (data[0] & 1) ? native::kOfferedRevision : 54412;
  const bool compressed = (data[0] & 2) != 0;
  // A copy of exactly the rest: reads past the end are caught.
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  ferry::plugins::clickhouse::StringReader in(input);
  native::ServerHello hello;
  if (!native::ReadServerHello(in, native::kOfferedRevision, &hello).ok()) return 0;
  native::ServerPacket p;
  for (int i = 0; i < 1000 && !in.done(); ++i) {
    if (!native::ReadServerPacket(in, revision, compressed, &p).ok()) break;
    if (p.block.size() > 0) {
      (void)ferry::plugins::clickhouse::DecodeNative(p.block.data()).ok();
      (void)native::NativeToTsv(p.block.data()).ok();
    }
    if (p.type == native::server_packet::kEndOfStream) break;
  }
  return 0;
}
