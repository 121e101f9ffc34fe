#include "config/spec.h"

namespace ferry::config {

std::string Location::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  return out;
}

namespace {
template <typename T>
const T* FindByName(const std::vector<T>& specs, const std::string& name) {
  for (const auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}
}  // namespace

const SourceSpec* Config::FindSource(const std::string& name) const { return FindByName(sources, name); }
const DestinationSpec* Config::FindDestination(const std::string& name) const {
  return FindByName(destinations, name);
}
const TransformerSpec* Config::FindTransformer(const std::string& name) const {
  return FindByName(transformers, name);
}

}  // namespace ferry::config
