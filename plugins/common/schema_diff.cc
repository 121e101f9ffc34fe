#include "plugins/common/schema_diff.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace ferry::plugins {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string KeyList(const std::vector<std::string>& names) {
  if (names.empty()) return "(none)";
  std::string out = "(";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + ")";
}

class Names {
 public:
  explicit Names(const DiffRules& rules) : rules_(rules) {}
  // The name as the database stores it (shown in messages).
  std::string Stored(const std::string& name) const { return rules_.stored_name ? rules_.stored_name(name) : name; }
  // The name as the database compares it.
  std::string Key(const std::string& name) const {
    return rules_.case_insensitive ? Lower(Stored(name)) : Stored(name);
  }
  bool SameType(const std::string& a, const std::string& b, const DataType& type) const {
    const std::string x = rules_.case_insensitive ? Lower(a) : a, y = rules_.case_insensitive ? Lower(b) : b;
    return x == y || (rules_.equivalent_types && rules_.equivalent_types(x, y, type));
  }

 private:
  const DiffRules& rules_;
};

}  // namespace

TablePlan PlanTable(const TableSchemaPtr& want, const std::optional<std::vector<ExistingColumn>>& have,
                    const DiffRules& rules) {
  TablePlan plan;
  plan.table = want;
  if (!have) {
    plan.action = TablePlan::Action::kCreate;
    return plan;
  }
  const Names names(rules);
  auto find_existing = [&](const std::string& name) -> const ExistingColumn* {
    const std::string key = names.Key(name);
    for (const auto& c : *have)
      if (names.Key(c.name) == key) return &c;
    return nullptr;
  };
  auto wanted = [&](const std::string& existing) {
    const std::string key = names.Key(existing);
    return std::any_of(want->columns.begin(), want->columns.end(),
                       [&](const Column& c) { return names.Key(c.name) == key; });
  };

  std::vector<std::pair<int, std::string>> old_pk_pos;
  for (const auto& c : *have)
    if (c.pk > 0) old_pk_pos.emplace_back(c.pk, c.name);
  std::sort(old_pk_pos.begin(), old_pk_pos.end());
  std::vector<std::string> old_pk, new_pk;
  std::set<std::string> old_keys, new_keys;
  for (auto& [pos, name] : old_pk_pos) {
    old_pk.push_back(name);
    old_keys.insert(names.Key(name));
  }
  for (const auto& k : want->PrimaryKeys()) {
    new_pk.push_back(names.Stored(k));
    new_keys.insert(names.Key(k));
  }
  if (old_keys != new_keys) {
    if (rules.alter_in_place && !old_keys.empty() && new_keys == std::set<std::string>{names.Key(meta::kId)} &&
        find_existing(meta::kId) != nullptr)
      plan.key_to_cq_id = true;
    else
      plan.unsafe.push_back("primary key changed from " + KeyList(old_pk) + " to " + KeyList(new_pk));
  }

  for (const auto& col : want->columns) {
    const ExistingColumn* old = find_existing(col.name);
    if (!old) {
      if (col.not_null) plan.unsafe.push_back("column " + col.name + ": new NOT NULL column");
      else if (!col.primary_key) plan.add.push_back(col);
      continue;  // a new key column is reported by the key change above
    }
    const std::string want_type = rules.column_type(*col.type);
    if (!names.SameType(old->type, want_type, *col.type))
      plan.unsafe.push_back("column " + col.name + ": type changed from " + old->type + " to " + want_type);
    // A nullable column where the schema says NOT NULL stays as it is: it
    // accepts every row the schema allows, so nothing is lost (CloudQuery's
    // SQLite tables have nullable primary-key columns).
    const bool want_not_null = col.not_null || col.primary_key;
    if (!want_not_null && old->not_null) {
      if (rules.alter_in_place && (old->pk == 0 || plan.key_to_cq_id))
        plan.drop_not_null.push_back(old->name);
      else if ((old->pk > 0) == col.primary_key)  // otherwise the key change explains it
        plan.unsafe.push_back("column " + col.name + ": NOT NULL removed");
    }
  }
  for (const auto& old : *have)
    if (!wanted(old.name) && old.not_null && old.pk == 0)
      plan.unsafe.push_back("column " + old.name + ": removed, but it is NOT NULL, so new rows could not be inserted");
  if (!plan.unsafe.empty()) {
    plan.action = TablePlan::Action::kRecreate;
    plan.drop_not_null.clear();
    plan.key_to_cq_id = false;
  } else if (!plan.add.empty() || !plan.drop_not_null.empty() || plan.key_to_cq_id) {
    plan.action = TablePlan::Action::kAddColumns;
  }
  return plan;
}

Result<std::vector<TablePlan>> PlanMigration(const std::vector<TableSchemaPtr>& tables, bool safe_mode,
                                             const std::string& destination, const ReadColumnsFn& read,
                                             const DiffRules& rules) {
  std::vector<TablePlan> plans;
  std::string unsafe_text;
  size_t unsafe_tables = 0;
  for (const auto& t : tables) {
    FERRY_ASSIGN_OR_RETURN(auto have, read(t->name));
    plans.push_back(PlanTable(t, have, rules));
    if (plans.back().unsafe.empty()) continue;
    ++unsafe_tables;
    for (const auto& change : plans.back().unsafe) unsafe_text += "\n  table " + t->name + ": " + change;
  }
  if (unsafe_tables > 0 && safe_mode) {
    return Status::SchemaChange(
        "cannot migrate " + std::to_string(unsafe_tables) + (unsafe_tables == 1 ? " table" : " tables") +
        " without losing data:" + unsafe_text + "\nset migrate_mode: forced in destination \"" + destination +
        "\" to drop and recreate " +
        (unsafe_tables == 1 ? "this table (its data is lost)" : "these tables (their data is lost)"));
  }
  return plans;
}

Status CheckBatchMatchesTable(const TableSchema& table, const Batch& batch) {
  const auto& cols = batch.schema()->columns;
  if (cols.size() != table.columns.size())
    return Status::Invalid("table " + table.name + ": a batch has " + std::to_string(cols.size()) +
                           " columns, the table " + std::to_string(table.columns.size()));
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].name != table.columns[i].name || !cols[i].type->Equals(*table.columns[i].type))
      return Status::Invalid("table " + table.name + ": batch column " + cols[i].name + " " + cols[i].type->ToString() +
                             " does not match the table's " + table.columns[i].name + " " +
                             table.columns[i].type->ToString());
  }
  return Status::OK();
}

}  // namespace ferry::plugins
