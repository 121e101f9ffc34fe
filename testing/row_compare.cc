#include "testing/row_compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ferry::testing {

std::string DebugString(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: return "null";
    case Value::Kind::kBool: return v.as_bool() ? "true" : "false";
    case Value::Kind::kInt: return "Int(" + std::to_string(v.as_int()) + ")";
    case Value::Kind::kUInt: return "UInt(" + std::to_string(v.as_uint()) + ")";
    case Value::Kind::kDouble: {
      if (std::isnan(v.as_double())) return "Double(nan)";
      char buf[40];
      std::snprintf(buf, sizeof(buf), "Double(%.17g)", v.as_double());
      return buf;
    }
    case Value::Kind::kString: {
      std::string out = "\"";
      for (char ch : v.as_string()) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
          out += '\\';
          out += ch;
        } else if (c >= 0x20 && c < 0x7f) {
          out += ch;
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        }
      }
      return out + "\"";
    }
    case Value::Kind::kList: {
      std::string out = "[";
      for (size_t i = 0; i < v.items().size(); ++i) out += (i ? ", " : "") + DebugString(v.items()[i]);
      return out + "]";
    }
  }
  return "?";
}

std::string DebugString(const Row& row) {
  std::string out = "(";
  for (size_t i = 0; i < row.size(); ++i) out += (i ? ", " : "") + DebugString(row[i]);
  return out + ")";
}

::testing::AssertionResult SameRows(const std::vector<Row>& expected, const std::vector<Row>& actual) {
  std::vector<std::string> want, got;
  for (const auto& r : expected) want.push_back(DebugString(r));
  for (const auto& r : actual) got.push_back(DebugString(r));
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  if (want == got) return ::testing::AssertionSuccess();
  std::vector<std::string> missing, unexpected;
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(unexpected));
  auto out = ::testing::AssertionFailure();
  out << "expected " << expected.size() << " rows, read " << actual.size() << "; " << missing.size()
      << " missing, " << unexpected.size() << " unexpected";
  for (size_t i = 0; i < missing.size() && i < 5; ++i) out << "\n  missing:    " << missing[i];
  for (size_t i = 0; i < unexpected.size() && i < 5; ++i) out << "\n  unexpected: " << unexpected[i];
  return out;
}

}  // namespace ferry::testing
