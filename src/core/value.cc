#include "ferry/value.h"

namespace ferry {

bool Value::operator==(const Value& o) const {
  if (kind_ != o.kind_) return false;
  switch (kind_) {
    case Kind::kNull: return true;
    case Kind::kBool: return (i_ != 0) == (o.i_ != 0);
    case Kind::kInt: return i_ == o.i_;
    case Kind::kUInt: return u_ == o.u_;
    case Kind::kDouble: return d_ == o.d_ || (d_ != d_ && o.d_ != o.d_);  // NaN == NaN for tests
    case Kind::kString: return s_ == o.s_;
    case Kind::kList: return items_ == o.items_;
  }
  return false;
}

}  // namespace ferry
