#include "plugins/source/test/tables/some_table.h"

#include <string>
#include <vector>

namespace ferry::plugins::test {

namespace {

Column Col(std::string name, DataTypePtr type, std::string description, bool pk = false) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.description = std::move(description);
  c.primary_key = pk;
  return c;
}

// Columns of test_some_table and test_paid_table.
std::vector<Column> SomeColumns() {
  return {
      Col("resource_id", types::Int64(), "Resource ID", true),
      Col("column2", types::Utf8(), "Test Column 2"),
      Col("client_id", types::Int64(), "ID of client", true),
  };
}

// Rows of test_some_table / test_paid_table for one client.
sdk::Resolver SomeRows(SpecPtr spec, std::string table) {
  return [spec, table](const sdk::ResolveContext& ctx, sdk::RowWriter& w) -> Status {
    FERRY_RETURN_NOT_OK(BeforeResolve(*spec, table, Immediate::kObey, ctx));
    const int64_t client_id = ClientIdOf(ctx);
    for (int64_t i = 0; i < spec->num_rows; ++i) {
      FERRY_RETURN_NOT_OK(w.Write({Value::Int(i + 1), Value::String("test_column_data_" + std::to_string(i % 3)),
                                   Value::Int(client_id)}));
    }
    return Status::OK();
  };
}

sdk::TableDef SubTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kSubTable;
  t.schema.description = "Sub table of test_some_table";
  t.schema.columns = {
      Col("parent_resource_id", types::Int64(), "Parent resource ID", true),
      Col("sub_resource_id", types::Int64(), "Sub resource ID", true),
      Col("data_column", types::Utf8(), "Data column"),
  };
  for (int64_t k = 0; k < spec->num_sub_cols; ++k) {
    t.schema.columns.push_back(Col("extra_column_" + std::to_string(k), types::Int64(),
                                   "Extra column " + std::to_string(k)));
  }
  t.resolve = [spec](const sdk::ResolveContext& ctx, sdk::RowWriter& w) -> Status {
    FERRY_RETURN_NOT_OK(BeforeResolve(*spec, kSubTable, Immediate::kObey, ctx));
    const Value& parent_id = ctx.ParentValue("resource_id");
    if (parent_id.is_null()) return Status::Internal("test_sub_table resolved without a parent resource_id");
    const int64_t client_id = ClientIdOf(ctx);
    std::vector<Value> extra;
    for (int64_t k = 0; k < spec->num_sub_cols; ++k)
      extra.push_back(Value::Int(ExtraColumnValue(spec->seed, client_id, parent_id.as_int(), k)));
    for (int64_t i = 0; i < spec->num_sub_rows; ++i) {
      Row row{parent_id, Value::Int(i), Value::String("sub_data_" + std::to_string(i % 3))};
      row.insert(row.end(), extra.begin(), extra.end());
      FERRY_RETURN_NOT_OK(w.Write(std::move(row)));
    }
    return Status::OK();
  };
  return t;
}

}  // namespace

int64_t ExtraColumnValue(int64_t seed, int64_t client_id, int64_t parent_resource_id, int64_t column) {
  uint64_t h = Mix64(static_cast<uint64_t>(seed));
  h = Mix64(h ^ static_cast<uint64_t>(client_id));
  h = Mix64(h ^ static_cast<uint64_t>(parent_resource_id));
  h = Mix64(h ^ static_cast<uint64_t>(column));
  return static_cast<int64_t>(h >> 1);  // non-negative, like Go's rand.Int63
}

sdk::TableDef SomeTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kSomeTable;
  t.schema.description = "Test table";
  t.schema.columns = SomeColumns();
  t.resolve = SomeRows(spec, kSomeTable);
  t.multiplex = ClientsMultiplexer(spec);
  t.relations.push_back(SubTable(spec));
  return t;
}

sdk::TableDef PaidTable(SpecPtr spec) {
  sdk::TableDef t;
  t.schema.name = kPaidTable;
  t.schema.description = "Test Paid table";
  t.schema.columns = SomeColumns();
  t.schema.is_paid = true;
  t.resolve = SomeRows(spec, kPaidTable);
  t.multiplex = ClientsMultiplexer(spec);
  return t;
}

}  // namespace ferry::plugins::test
