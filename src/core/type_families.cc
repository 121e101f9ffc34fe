#include "ferry/type_families.h"

namespace ferry {

const DataType* FirstUnstoredType(const DataType& type, const std::set<TypeFamily>& stored) {
  const TypeFamily f = FamilyOf(type.id);
  if (f != TypeFamily::kNone && !stored.count(f)) return &type;
  for (const Field& c : type.children)
    if (const DataType* u = FirstUnstoredType(*c.type, stored)) return u;
  return nullptr;
}

Status CheckTypeFamilies(const std::string& who, const std::set<TypeFamily>& stored, const TableSchema& table,
                         const std::string& elsewhere) {
  for (const Column& c : table.columns) {
    const DataType* bad = FirstUnstoredType(*c.type, stored);
    if (!bad) continue;
    std::string what;
    for (TypeFamily f : stored) what += (what.empty() ? "" : ", ") + std::string(TypeFamilyName(f));
    what = what.empty() ? "none of Arrow's time, duration, interval and decimal types" : "of those only " + what;
    std::string type = c.type->ToString();
    if (bad != c.type.get()) type += ", holding " + bad->ToString();
    return Status::Unsupported(who + " cannot store column \"" + c.name + "\" (" + type + ") of table \"" +
                               table.name + "\" yet: it stores " + what +
                               "; skip the table (skip_tables) or send it to " + elsewhere);
  }
  return Status::OK();
}

}  // namespace ferry
