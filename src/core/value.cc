#include "ferry/value.h"

namespace ferry {

bool Value::operator==(const Value& o) const {
  if (kind_ != o.kind_) return false;
  switch (kind_) {
    case Kind::kNull: return true;
    case Kind::kBool: return as_bool() == o.as_bool();
    case Kind::kInt:
    case Kind::kUInt: return bits_ == o.bits_;
    case Kind::kDouble: {
      const double a = as_double(), b = o.as_double();
      return a == b || (a != a && b != b);  // NaN == NaN for tests
    }
    case Kind::kString: return s_ == o.s_;
    case Kind::kList: return items_ == o.items_;
  }
  return false;
}

}  // namespace ferry
