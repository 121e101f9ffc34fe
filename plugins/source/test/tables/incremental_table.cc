#include "plugins/source/test/tables/incremental_table.h"

#include <charconv>

namespace ferry::plugins::test {

namespace {
constexpr int64_t kBaseTimeUs = 1704067200000000LL;  // 2024-01-01T00:00:00Z
}

Row IncrementalRow(int64_t client_id, int64_t id) {
  uint64_t h = Mix64(static_cast<uint64_t>(client_id) * 1000003u ^ static_cast<uint64_t>(id));
  return {Value::Int(id), Value::Int(client_id), Value::Int(kBaseTimeUs + id * 1000000),
          Value::String("event_" + std::to_string(h % 100000))};
}

sdk::TableDef IncrementalTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kIncrementalTable;
  t.schema.description =
      "Ferry: an append-only event stream synced incrementally; the cursor is the last id synced per client.";
  t.schema.is_incremental = true;
  Column id{.name = "id", .type = types::Int64(), .description = "Event id, 1..incremental_rows"};
  id.primary_key = true;
  id.incremental_key = true;
  Column client{.name = "client_id", .type = types::Int64(), .description = "Client the event belongs to"};
  client.primary_key = true;
  t.schema.columns = {id, client,
                      {.name = "created_at", .type = types::Timestamp(), .description = "Event time"},
                      {.name = "payload", .type = types::Utf8(), .description = "Deterministic payload"}};
  t.multiplex = ClientsMultiplexer(spec);
  t.resolve = [spec](const sdk::ResolveContext& ctx, sdk::RowWriter& w) -> Status {
    FERRY_RETURN_NOT_OK(BeforeResolve(*spec, kIncrementalTable, Immediate::kIgnore, ctx));
    const int64_t client_id = ClientIdOf(ctx);
    int64_t last = 0;
    const std::string cursor = ctx.Cursor(kIncrementalTable);
    if (!cursor.empty()) {
      auto r = std::from_chars(cursor.data(), cursor.data() + cursor.size(), last);
      if (r.ec != std::errc() || r.ptr != cursor.data() + cursor.size())
        return Status::Invalid("test_incremental_table: cursor \"" + cursor + "\" is not an id; reset it with `ferry state reset`");
    }
    int64_t since_checkpoint = 0;
    for (int64_t id = last + 1; id <= spec->incremental_rows; ++id) {
      FERRY_RETURN_NOT_OK(w.Write(IncrementalRow(client_id, id)));
      if (++since_checkpoint == spec->checkpoint_every) {
        FERRY_RETURN_NOT_OK(w.Checkpoint(std::to_string(id)));
        since_checkpoint = 0;
      }
    }
    if (since_checkpoint > 0) FERRY_RETURN_NOT_OK(w.Checkpoint(std::to_string(spec->incremental_rows)));
    return Status::OK();
  };
  return t;
}

}  // namespace ferry::plugins::test
