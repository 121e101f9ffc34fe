#include "plugins/common/delete_record.h"

#include "ferry/builder.h"

namespace ferry::plugins {

Result<DeleteWhere> BuildDeleteWhere(const TableSchema& schema, const DeleteRecord& request, const DeleteSql& sql,
                                     const std::string& context) {
  DeleteWhere out;
  for (const auto& group : request.where) {
    std::string cond;
    const char* op = group.grouping == DeletePredicateGroup::Grouping::kAnd ? " AND " : " OR ";
    for (const auto& p : group.predicates) {
      const int idx = schema.FindColumn(p.column);
      if (idx < 0) return Status::Invalid(context + ": no column " + p.column);
      if (!cond.empty()) cond += op;
      if (p.value.is_null()) {
        cond += sql.quote_column(p.column) + " IS NULL";
        continue;
      }
      const Column& column = schema.columns[idx];
      ArrayBuilder b(sql.value_type ? sql.value_type(column, p.value) : column.type);
      FERRY_RETURN_NOT_OK(b.Append(p.value).WithContext(context + ": column " + p.column));
      out.values.push_back(b.Finish());
      out.columns.push_back(p.column);
      cond += sql.quote_column(p.column) + " = " + sql.placeholder(out.values.size());
    }
    if (cond.empty())
      cond = group.grouping == DeletePredicateGroup::Grouping::kAnd ? sql.true_literal : sql.false_literal;
    out.where += (out.where.empty() ? "(" : " OR (") + cond + ")";
  }
  return out;
}

}  // namespace ferry::plugins
