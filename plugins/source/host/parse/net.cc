#include "plugins/source/host/parse/net.h"

#include <arpa/inet.h>

#include <cstring>

#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

std::string KernelHexToCidr(std::string_view hex, bool v6) {
  const size_t words = v6 ? 4 : 1;
  if (hex.size() != words * 8) return "";
  unsigned char bytes[16];
  for (size_t w = 0; w < words; ++w) {
    auto v = ParseUInt(hex.substr(w * 8, 8), 16);
    if (!v) return "";
    uint32_t word = static_cast<uint32_t>(*v);
    std::memcpy(bytes + w * 4, &word, 4);  // back to the kernel's in-memory (host) order
  }
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, buf, sizeof(buf))) return "";
  return std::string(buf) + (v6 ? "/128" : "/32");
}

std::vector<InetSocketEntry> ParseInetSockets(std::string_view text, bool v6, int64_t* skipped) {
  std::vector<InetSocketEntry> out;
  int64_t bad = 0;
  bool header = true;
  for (std::string_view line : Split(text, '\n')) {
    if (Trim(line).empty()) continue;
    if (header) {  // "  sl  local_address rem_address   st ..."
      header = false;
      continue;
    }
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    std::vector<std::string_view> f = Fields(line);
    InetSocketEntry e;
    bool ok = f.size() >= 10;
    auto endpoint = [&](std::string_view s, std::string* addr, int64_t* port) {
      size_t colon = s.find(':');
      if (colon == std::string_view::npos) return false;
      *addr = KernelHexToCidr(s.substr(0, colon), v6);
      auto p = ParseUInt(s.substr(colon + 1), 16);
      if (addr->empty() || !p || *p > 65535) return false;
      *port = static_cast<int64_t>(*p);
      return true;
    };
    ok = ok && endpoint(f[1], &e.local_address, &e.local_port) && endpoint(f[2], &e.remote_address, &e.remote_port);
    if (ok) {
      auto st = ParseUInt(f[3], 16);
      size_t colon = f[4].find(':');
      auto tx = colon == std::string_view::npos ? std::nullopt : ParseUInt(f[4].substr(0, colon), 16);
      auto rx = colon == std::string_view::npos ? std::nullopt : ParseUInt(f[4].substr(colon + 1), 16);
      auto uid = ParseInt(f[7]);
      auto inode = ParseUInt(f[9]);
      ok = st && tx && rx && uid && inode;
      if (ok) {
        e.state = static_cast<int>(*st);
        e.tx_queue = static_cast<int64_t>(*tx);
        e.rx_queue = static_cast<int64_t>(*rx);
        e.uid = *uid;
        e.inode = *inode;
      }
    }
    if (ok) out.push_back(std::move(e));
    else ++bad;
  }
  if (skipped) *skipped = bad;
  return out;
}

std::string SocketStateName(int state, bool tcp) {
  if (!tcp) {
    if (state == 1) return "ESTABLISHED";
    if (state == 7) return "UNCONN";
  }
  switch (state) {
    case 1: return "ESTABLISHED";
    case 2: return "SYN_SENT";
    case 3: return "SYN_RECV";
    case 4: return "FIN_WAIT1";
    case 5: return "FIN_WAIT2";
    case 6: return "TIME_WAIT";
    case 7: return "CLOSE";
    case 8: return "CLOSE_WAIT";
    case 9: return "LAST_ACK";
    case 10: return "LISTEN";
    case 11: return "CLOSING";
    case 12: return "NEW_SYN_RECV";
    default: return "UNKNOWN_" + std::to_string(state);
  }
}

std::optional<std::string> ParseMac(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  std::string out;
  for (std::string_view part : Split(text, ':')) {
    if (part.size() != 2) return std::nullopt;
    auto v = ParseUInt(part, 16);
    if (!v) return std::nullopt;
    out.push_back(static_cast<char>(*v));
  }
  return out;
}

std::string LinkTypeName(int64_t type) {
  switch (type) {
    case 1: return "ether";
    case 24: return "ieee1394";
    case 32: return "infiniband";
    case 512: return "ppp";
    case 768: return "ipip";
    case 769: return "tunnel6";
    case 772: return "loopback";
    case 776: return "sit";
    case 778: return "gre";
    case 801: return "ieee80211";
    case 803: return "ieee80211_radiotap";
    case 823: return "ip6gre";
    case 65534: return "none";
    default: return std::to_string(type);
  }
}

}  // namespace ferry::plugins::host
