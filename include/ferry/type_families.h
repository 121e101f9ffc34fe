// Which Arrow type families a destination stores (DestinationCapabilities::
// type_families), checked before any data moves: by the engine for every
// selected table, and by a destination Ferry serves as a plugin for every
// table its client migrates or writes. Pure functions, thread-safe.
#pragma once

#include <set>
#include <string>

#include "ferry/schema.h"
#include "ferry/status.h"
#include "ferry/types.h"

namespace ferry {

// The first type in `type` (itself, or at any depth of its lists and structs)
// whose family (FamilyOf) is not kNone and not in `stored`; nullptr if none.
const DataType* FirstUnstoredType(const DataType& type, const std::set<TypeFamily>& stored);

// Unsupported when a column of `table` holds such a type:
//   <who> cannot store column "c" (<type>[, holding <inner type>]) of table "t"
//   yet: it stores <what it stores>; skip the table (skip_tables) or send it
//   to <elsewhere>
// `who` names the destination ("destination \"d\" (clickhouse)"), `elsewhere`
// where such columns can go.
Status CheckTypeFamilies(const std::string& who, const std::set<TypeFamily>& stored, const TableSchema& table,
                         const std::string& elsewhere);

}  // namespace ferry
