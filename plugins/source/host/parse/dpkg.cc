#include "plugins/source/host/parse/dpkg.h"

#include <ctime>

#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

std::string DpkgPackage::State() const {
  std::vector<std::string_view> w = Fields(status);
  return w.size() == 3 ? std::string(w[2]) : "";
}

namespace {

void SetField(DpkgPackage& p, std::string_view key, std::string_view value) {
  std::string v(value);
  if (key == "Package") p.name = v;
  else if (key == "Architecture") p.architecture = v;
  else if (key == "Version") p.version = v;
  else if (key == "Status") p.status = v;
  else if (key == "Maintainer") p.maintainer = v;
  else if (key == "Section") p.section = v;
  else if (key == "Priority") p.priority = v;
  else if (key == "Description") p.summary = v;
  else if (key == "Homepage") p.homepage = v;
  else if (key == "Multi-Arch") p.multi_arch = v;
  else if (key == "Depends") p.depends = v;
  else if (key == "Essential") p.essential = v == "yes";
  else if (key == "Installed-Size") p.installed_size_kib = ParseInt(value);
  else if (key == "Source") {
    // "name" or "name (version)"
    size_t paren = value.find('(');
    p.source = std::string(Trim(value.substr(0, paren)));
    if (paren != std::string_view::npos) {
      size_t close = value.find(')', paren);
      p.source_version = std::string(Trim(value.substr(paren + 1, close == std::string_view::npos
                                                                      ? std::string_view::npos
                                                                      : close - paren - 1)));
    }
  }
}

}  // namespace

std::vector<DpkgPackage> ParseDpkgStatus(std::string_view text, int64_t* skipped) {
  std::vector<DpkgPackage> out;
  int64_t bad = 0;
  DpkgPackage cur;
  bool any = false;
  auto finish = [&]() {
    if (any) {
      if (cur.name.empty()) ++bad;
      else out.push_back(std::move(cur));
    }
    cur = DpkgPackage();
    any = false;
  };
  for (std::string_view line : Split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) {
      finish();
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') continue;  // continuation of a multi-line field
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    any = true;
    SetField(cur, line.substr(0, colon), Trim(line.substr(colon + 1)));
  }
  finish();
  if (skipped) *skipped = bad;
  return out;
}

std::vector<std::string> DpkgListFileNames(const DpkgPackage& p) {
  std::string plain = p.name + ".list";
  if (p.architecture.empty() || p.architecture == "all") return {plain};
  std::string qualified = p.name + ":" + p.architecture + ".list";
  if (p.multi_arch == "same") return {qualified, plain};
  return {plain, qualified};
}

std::optional<DpkgLogAction> ParseDpkgLogAction(std::string_view line) {
  std::vector<std::string_view> f = Fields(Trim(line));
  if (f.size() < 6) return std::nullopt;
  std::string_view action = f[2];
  if (action != "install" && action != "upgrade" && action != "remove" && action != "purge" &&
      action != "configure" && action != "trigproc")
    return std::nullopt;
  if (f[0].size() != 10 || f[1].size() != 8) return std::nullopt;
  DpkgLogAction a;
  a.time_text = std::string(f[0]) + " " + std::string(f[1]);
  a.action = std::string(action);
  std::string_view pkg = f[3];
  size_t colon = pkg.find(':');
  a.package = std::string(pkg.substr(0, colon));
  if (colon != std::string_view::npos) a.architecture = std::string(pkg.substr(colon + 1));
  auto version = [](std::string_view v) { return v == "<none>" ? std::string() : std::string(v); };
  a.old_version = version(f[4]);
  a.new_version = version(f[5]);
  return a;
}

std::optional<int64_t> LocalTimeToMicros(std::string_view text) {
  // YYYY-MM-DD HH:MM:SS
  if (text.size() != 19 || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' ||
      text[16] != ':')
    return std::nullopt;
  auto num = [&](size_t pos, size_t len) { return ParseInt(text.substr(pos, len)); };
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !s || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 ||
      *s > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = static_cast<int>(*y - 1900);
  tm.tm_mon = static_cast<int>(*mo - 1);
  tm.tm_mday = static_cast<int>(*d);
  tm.tm_hour = static_cast<int>(*h);
  tm.tm_min = static_cast<int>(*mi);
  tm.tm_sec = static_cast<int>(*s);
  tm.tm_isdst = -1;  // let the zone rules decide
  std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<int64_t>(t) * 1000000;
}

}  // namespace ferry::plugins::host
