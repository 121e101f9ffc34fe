// Table schemas: the data shape a source declares and destinations create.
//
// Mirrors CloudQuery's schema model (Column flags, table metadata, relations)
// so that it maps one-to-one onto protocol v3's Arrow schema metadata. A
// TableSchema is immutable once shared (TableSchemaPtr); build a copy to change it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ferry/types.h"

namespace ferry {

struct Column {
  std::string name;
  DataTypePtr type;
  std::string description;
  bool primary_key = false;
  bool not_null = false;
  bool unique = false;
  bool incremental_key = false;
  bool primary_key_component = false;
  std::string type_schema;
};

struct TableSchema {
  std::string name;
  std::string title;
  std::string description;
  std::vector<Column> columns;
  std::string parent;            // parent table name for relations, "" for top level
  bool is_incremental = false;
  bool is_paid = false;
  // The source's primary key, kept when the write mode drops the key
  // (append): destinations that use it otherwise read it here (Kafka keys
  // messages with it). Empty when the source table has none.
  std::vector<std::string> source_primary_key;

  int FindColumn(const std::string& column_name) const;  // -1 when absent
  std::vector<std::string> PrimaryKeys() const;
  std::vector<std::string> IncrementalKeys() const;
};
using TableSchemaPtr = std::shared_ptr<const TableSchema>;

// Meta columns, in the order destinations receive them.
namespace meta {
inline constexpr const char* kSyncTime = "_cq_sync_time";
inline constexpr const char* kSourceName = "_cq_source_name";
inline constexpr const char* kSyncGroupId = "_cq_sync_group_id";
inline constexpr const char* kId = "_cq_id";
inline constexpr const char* kParentId = "_cq_parent_id";
}  // namespace meta

// True when `name` is a valid table or column name: ^[a-z_][a-z0-9_]*$.
bool IsValidIdentifier(const std::string& name);

}  // namespace ferry
