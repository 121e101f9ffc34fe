#include "engine/table_docs.h"

#include "ferry/snapshot_views.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace ferry::engine {

namespace {

using ojson = nlohmann::ordered_json;

// The tables nested by parent, sorted by name at every level.
struct Node {
  const TableSchema* table;
  std::vector<const Node*> children;
};

class Tree {
 public:
  explicit Tree(const std::vector<TableSchemaPtr>& tables) {
    nodes_.reserve(tables.size());
    for (const auto& t : tables)
      if (t) nodes_.push_back(Node{t.get(), {}});
    std::map<std::string, Node*> by_name;
    for (auto& n : nodes_) by_name.emplace(n.table->name, &n);
    std::vector<Node*> roots;
    for (auto& n : nodes_) {
      auto it = n.table->parent.empty() ? by_name.end() : by_name.find(n.table->parent);
      if (it == by_name.end() || it->second == &n) roots.push_back(&n);
      else it->second->children.push_back(&n);
    }
    auto by_table_name = [](const Node* a, const Node* b) { return a->table->name < b->table->name; };
    for (auto& n : nodes_) std::stable_sort(n.children.begin(), n.children.end(), by_table_name);
    std::stable_sort(roots.begin(), roots.end(), by_table_name);
    // Walk from the roots; anything unreachable (a parent cycle) becomes a root.
    std::set<const Node*> seen;
    for (Node* r : roots) Visit(r, &seen);
    for (auto& n : nodes_) {
      if (seen.count(&n)) continue;
      roots.push_back(&n);
      Visit(&n, &seen);
    }
    roots_.assign(roots.begin(), roots.end());
  }

  const std::vector<const Node*>& roots() const { return roots_; }

  // Depth-first, parents first; each table once even if the input has a cycle.
  template <typename F>
  void Walk(F&& f) const {
    std::set<const Node*> seen;
    for (const Node* r : roots_) WalkFrom(r, 0, &seen, f);
  }

 private:
  static void Visit(const Node* n, std::set<const Node*>* seen) {
    if (!seen->insert(n).second) return;
    for (const Node* c : n->children) Visit(c, seen);
  }
  template <typename F>
  static void WalkFrom(const Node* n, int depth, std::set<const Node*>* seen, F& f) {
    if (!seen->insert(n).second) return;
    f(*n, depth);
    for (const Node* c : n->children) WalkFrom(c, depth + 1, seen, f);
  }

  std::vector<Node> nodes_;  // reserved up front: Node pointers stay valid
  std::vector<const Node*> roots_;
};

bool HasPkComponents(const TableSchema& t) {
  return std::any_of(t.columns.begin(), t.columns.end(), [](const Column& c) { return c.primary_key_component; });
}

std::vector<std::string> PkComponents(const TableSchema& t) {
  std::vector<std::string> out;
  for (const auto& c : t.columns)
    if (c.primary_key_component) out.push_back(c.name);
  return out;
}

ojson ColumnJson(const TableSchema& t, const Column& c) {
  ojson j;
  j["name"] = c.name;
  j["type"] = c.type ? c.type->ToString() : "";
  // CloudQuery's CLI shows components as primary keys, and hides _cq_id's PK
  // flag when components define it.
  bool is_pk = (c.primary_key && !(c.name == meta::kId && HasPkComponents(t))) || c.primary_key_component;
  if (is_pk) j["is_primary_key"] = true;
  if (c.incremental_key) j["is_incremental_key"] = true;
  if (c.primary_key_component) j["is_primary_key_component"] = true;
  if (!c.type_schema.empty()) j["type_schema"] = c.type_schema;
  j["description"] = c.description;
  j["not_null"] = c.not_null;
  j["unique"] = c.unique;
  return j;
}

// A _changes view exists for tables with a key that are not incremental.
bool HasChanges(const TableSchema& t) { return !t.is_incremental && !t.PrimaryKeys().empty(); }

ojson TableJson(const Node& n, std::set<const Node*>* seen, const std::vector<std::string>& views) {
  const TableSchema& t = *n.table;
  ojson j;
  j["name"] = t.name;
  j["title"] = t.title;
  j["description"] = t.description;
  ojson cols = ojson::array();
  for (const auto& c : t.columns) cols.push_back(ColumnJson(t, c));
  j["columns"] = std::move(cols);
  ojson rels = ojson::array();
  for (const Node* c : n.children)
    if (seen->insert(c).second) rels.push_back(TableJson(*c, seen, views));
  j["relations"] = std::move(rels);
  if (t.is_paid) j["is_paid"] = true;
  if (t.is_incremental) j["is_incremental"] = true;
  j["parent"] = t.parent;
  j["incremental_keys"] = t.IncrementalKeys();
  if (!views.empty()) {
    ojson v;
    v["latest"] = t.name + snapshot::kLatestSuffix;
    if (HasChanges(t)) v["changes"] = t.name + snapshot::kChangesSuffix;
    v["destinations"] = views;
    j["snapshot_views"] = std::move(v);
  }
  return j;
}

// "**a**" or "(**a**, **b**)".
std::string BoldList(const std::vector<std::string>& names) {
  if (names.size() == 1) return "**" + names[0] + "**";
  std::string s = "(";
  for (size_t i = 0; i < names.size(); ++i) s += (i ? ", **" : "**") + names[i] + "**";
  return s + ")";
}

// Text safe inside one Markdown table cell.
std::string Cell(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '|') out += "\\|";
    else if (ch == '\r') continue;
    else if (ch == '\n') out += "<br>";
    else out += ch;
  }
  return out;
}

std::string TableMarkdown(const Node& n, const std::vector<std::string>& views) {
  const TableSchema& t = *n.table;
  std::string md = "# Table: " + t.name + "\n\n";
  if (t.is_paid) md += "This table is marked as paid (`is_paid`).\n\n";
  if (!t.title.empty()) md += "This table shows data for " + t.title + ".\n\n";
  if (!t.description.empty()) md += t.description + "\n\n";

  std::vector<std::string> lines;
  const auto pks = t.PrimaryKeys();
  if (pks.size() == 1) lines.push_back("The primary key for this table is " + BoldList(pks) + ".");
  else if (pks.size() > 1) lines.push_back("The composite primary key for this table is " + BoldList(pks) + ".");
  const auto comps = PkComponents(t);
  if (comps.size() == 1)
    lines.push_back("The following field is used to calculate the value of `_cq_id`: " + BoldList(comps) + ".");
  else if (comps.size() > 1)
    lines.push_back("The following fields are used to calculate the value of `_cq_id`: " + BoldList(comps) + ".");
  if (t.is_incremental) {
    const auto keys = t.IncrementalKeys();
    std::string s = "It supports incremental syncs";
    if (keys.size() == 1) s += " based on the " + BoldList(keys) + " column";
    else if (keys.size() > 1) s += " based on the " + BoldList(keys) + " columns";
    lines.push_back(s + ".");
  }
  for (const auto& l : lines) md += l + "\n";
  if (!lines.empty()) md += "\n";

  if (!t.parent.empty() || !n.children.empty()) {
    md += "## Relations\n\n";
    if (!t.parent.empty()) md += "This table depends on [" + t.parent + "](" + t.parent + ".md).\n\n";
    if (!n.children.empty()) {
      md += "The following tables depend on " + t.name + ":\n";
      for (const Node* c : n.children) md += "  - [" + c->table->name + "](" + c->table->name + ".md)\n";
      md += "\n";
    }
  }

  if (!views.empty()) {
    std::string where;
    for (const auto& d : views) where += (where.empty() ? "`" : ", `") + d + "`";
    md += "## Snapshot views\n\nIn " + where + " (append mode, `snapshot_views: true`):\n";
    md += "  - `" + t.name + snapshot::kLatestSuffix + "`: " +
          (t.is_incremental ? "the newest row per source and primary key (an incremental table)"
                            : "the rows of the latest sync in which this table synced completely, per source") +
          "\n";
    if (HasChanges(t))
      md += "  - `" + t.name + snapshot::kChangesSuffix +
            "`: rows added, removed and changed between the last two complete syncs (`_ferry_change`, "
            "`_ferry_from_sync_time`, `_ferry_to_sync_time`, then the columns below)\n";
    md += "\n";
  }

  md += "## Columns\n\n";
  md += "| Name          | Type          | Description   |\n";
  md += "| ------------- | ------------- | ------------- |\n";
  for (const auto& c : t.columns) {
    std::string name = c.name;
    if (c.primary_key) name += " (PK)";
    if (c.incremental_key) name += " (Incremental Key)";
    if (c.not_null) name += " (Not Null)";
    if (c.unique) name += " (Unique)";
    md += "|" + Cell(name) + "|`" + (c.type ? c.type->ToString() : "") + "`|" + Cell(c.description) + "|\n";
  }
  return md;
}

}  // namespace

std::string TablesJson(const std::vector<TableSchemaPtr>& tables, const std::vector<std::string>& view_destinations) {
  Tree tree(tables);
  ojson out = ojson::array();
  std::set<const Node*> seen;
  for (const Node* r : tree.roots())
    if (seen.insert(r).second) out.push_back(TableJson(*r, &seen, view_destinations));
  // Invalid UTF-8 in a description must not throw: replace it, as Go does.
  return out.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

std::map<std::string, std::string> TablesMarkdown(const std::string& plugin_name,
                                                  const std::vector<TableSchemaPtr>& tables,
                                                  const std::vector<std::string>& view_destinations) {
  Tree tree(tables);
  std::map<std::string, std::string> files;
  std::string readme = "# Source Plugin: " + plugin_name + "\n\n## Tables\n\n";
  tree.Walk([&](const Node& n, int depth) {
    readme += std::string(2 * depth, ' ') + "- [" + n.table->name + "](" + n.table->name + ".md)";
    if (n.table->is_incremental) readme += " (Incremental)";
    readme += "\n";
    files[n.table->name + ".md"] = TableMarkdown(n, view_destinations);
  });
  files["README.md"] = readme;
  return files;
}

}  // namespace ferry::engine
