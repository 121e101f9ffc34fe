// The WHERE clause of a delete_record message, shared by the SQL
// destinations: groups are OR-ed, the predicates of a group AND-ed or OR-ed as
// its grouping says (an empty AND group is true, an empty OR group false), a
// null value is `IS NULL`, and every other value is a placeholder whose value
// is a one-row array of the column's type, so the destination binds it the
// way Write stored the column and it compares byte for byte. No groups: no
// WHERE (every row goes, as in CloudQuery's destinations).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ferry/batch.h"
#include "ferry/message.h"
#include "ferry/schema.h"
#include "ferry/status.h"

namespace ferry::plugins {

struct DeleteSql {
  std::function<std::string(const std::string& column)> quote_column;   // as the database names it, quoted
  std::function<std::string(size_t n)> placeholder;                      // the n-th (1-based): "?1", "$1"
  std::string true_literal = "TRUE";
  std::string false_literal = "FALSE";
  // The type a value is bound as (default: its column's type).
  std::function<DataTypePtr(const Column& column, const Value& value)> value_type;
};

struct DeleteWhere {
  std::string where;                 // "" when there are no groups
  std::vector<ArrayPtr> values;      // placeholder n is values[n - 1]
  std::vector<std::string> columns;  // the column of each value, for messages
};

// Fails on a column the table does not have or a value its type cannot hold;
// `context` starts the message ("table t: delete record").
Result<DeleteWhere> BuildDeleteWhere(const TableSchema& schema, const DeleteRecord& request, const DeleteSql& sql,
                                     const std::string& context);

}  // namespace ferry::plugins
