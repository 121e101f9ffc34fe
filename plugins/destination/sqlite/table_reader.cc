#include "plugins/destination/sqlite/table_reader.h"

#include <charconv>
#include <cstdint>
#include <cmath>
#include <limits>

#include "ferry/uuid.h"
#include "plugins/common/json_cell.h"
#include "plugins/destination/sqlite/type_map.h"

namespace ferry::plugins::sqlite {

namespace {

std::string_view TextOf(sqlite3_stmt* s, int col) {
  const auto* p = sqlite3_column_text(s, col);
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, col))};
}

std::string_view BlobOf(sqlite3_stmt* s, int col) {
  const void* p = sqlite3_column_blob(s, col);
  return {static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, col))};
}

const char* StorageName(int t) {
  switch (t) {
    case SQLITE_INTEGER: return "INTEGER";
    case SQLITE_FLOAT: return "REAL";
    case SQLITE_TEXT: return "TEXT";
    case SQLITE_BLOB: return "BLOB";
    default: return "NULL";
  }
}

Status Unexpected(int storage, const DataType& type) {
  return Status::Invalid(std::string("a ") + StorageName(storage) + " value cannot hold " + type.ToString());
}

Result<Value> FloatFromText(std::string_view t, const DataType& type) {
  if (t == "NaN") return Value::Double(std::numeric_limits<double>::quiet_NaN());
  return Status::Invalid("text \"" + std::string(t.substr(0, 32)) + "\" in a " + type.ToString() + " column");
}

double FloatOfType(double v, const DataType& type) {
  return type.id == TypeId::kFloat32 ? static_cast<double>(static_cast<float>(v)) : v;
}

Result<Value> UuidFromText(std::string_view t) {
  FERRY_ASSIGN_OR_RETURN(std::string bytes, uuid::Parse(t));
  return Value::String(std::move(bytes));
}

}  // namespace

Result<Value> ReadCell(sqlite3_stmt* s, int col, const DataType& type) {
  const int storage = sqlite3_column_type(s, col);
  if (storage == SQLITE_NULL) return Value::Null();
  switch (type.id) {
    case TypeId::kBool:
      if (storage != SQLITE_INTEGER) return Unexpected(storage, type);
      return Value::Bool(sqlite3_column_int64(s, col) != 0);
    case TypeId::kInt8: case TypeId::kInt16: case TypeId::kInt32: case TypeId::kInt64:
      if (storage != SQLITE_INTEGER) return Unexpected(storage, type);
      return Value::Int(sqlite3_column_int64(s, col));
    case TypeId::kUInt8: case TypeId::kUInt16: case TypeId::kUInt32: case TypeId::kUInt64: {
      if (storage == SQLITE_INTEGER) {
        const int64_t v = sqlite3_column_int64(s, col);
        if (v < 0) return Status::Invalid("negative INTEGER in a " + type.ToString() + " column");
        return Value::UInt(static_cast<uint64_t>(v));
      }
      if (storage == SQLITE_BLOB && type.id == TypeId::kUInt64) {
        const std::string_view digits = BlobOf(s, col);
        uint64_t v = 0;
        auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
        if (r.ec != std::errc() || r.ptr != digits.data() + digits.size())
          return Status::Invalid("BLOB in a uint64 column is not a decimal number");
        return Value::UInt(v);
      }
      return Unexpected(storage, type);
    }
    case TypeId::kFloat32: case TypeId::kFloat64:
      if (storage == SQLITE_FLOAT || storage == SQLITE_INTEGER)
        return Value::Double(FloatOfType(sqlite3_column_double(s, col), type));
      if (storage == SQLITE_TEXT) return FloatFromText(TextOf(s, col), type);
      return Unexpected(storage, type);
    case TypeId::kUtf8: case TypeId::kJson: case TypeId::kInet:
      if (storage != SQLITE_TEXT) return Unexpected(storage, type);
      return Value::String(std::string(TextOf(s, col)));
    case TypeId::kBinary: case TypeId::kMac: case TypeId::kFixedSizeBinary:
      if (storage != SQLITE_BLOB) return Unexpected(storage, type);
      return Value::String(std::string(BlobOf(s, col)));
    case TypeId::kTimestamp: {
      if (storage != SQLITE_TEXT) return Unexpected(storage, type);
      FERRY_ASSIGN_OR_RETURN(int64_t us, ParseTimestamp(TextOf(s, col)));
      return Value::Int(us);
    }
    case TypeId::kDate32: {
      if (storage != SQLITE_TEXT) return Unexpected(storage, type);
      FERRY_ASSIGN_OR_RETURN(int64_t days, ParseDate(TextOf(s, col)));
      return Value::Int(days);
    }
    case TypeId::kUuid:
      if (storage != SQLITE_TEXT) return Unexpected(storage, type);
      return UuidFromText(TextOf(s, col));
    case TypeId::kList: case TypeId::kStruct: {
      if (storage != SQLITE_TEXT) return Unexpected(storage, type);
      return ParseJsonCell(type, TextOf(s, col));
    }
    case TypeId::kTime32: case TypeId::kTime64: case TypeId::kDuration: case TypeId::kIntervalMonth:
    case TypeId::kIntervalDayTime: case TypeId::kIntervalMonthDayNano: case TypeId::kDecimal128:
      if (storage != SQLITE_TEXT) return Unexpected(storage, type);
      return ParseArrowScalarText(type, TextOf(s, col));
  }
  return Unexpected(storage, type);
}

Result<std::vector<Row>> ReadTable(Connection& conn, const TableSchema& table, const std::string& where) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i) sql += ", ";
    sql += QuoteIdent(table.columns[i].name);
  }
  sql += " FROM " + QuoteIdent(table.name);
  if (!where.empty()) sql += " WHERE " + where;
  sql += " ORDER BY rowid";
  const std::string context = "table " + table.name + ": read";
  FERRY_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql, context));
  std::vector<Row> rows;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    Row row;
    row.reserve(table.columns.size());
    for (size_t i = 0; i < table.columns.size(); ++i) {
      auto v = ReadCell(stmt.get(), static_cast<int>(i), *table.columns[i].type);
      if (!v.ok())
        return v.status().WithContext(context + ": row " + std::to_string(rows.size()) + ": column " +
                                      table.columns[i].name);
      row.push_back(v.MoveValue());
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return conn.Error(rc, context);
  return rows;
}

}  // namespace ferry::plugins::sqlite
