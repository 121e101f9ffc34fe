// host_interfaces (from /sys/class/net) and its relation
// host_interface_addresses (from getifaddrs(3), which asks the kernel over
// netlink).
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "plugins/source/host/parse/net.h"
#include "plugins/source/host/tables/tables.h"
#include "plugins/source/host/util/files.h"
#include "plugins/source/host/util/text.h"

namespace ferry::plugins::host {

namespace {

struct Address {
  std::string family;       // ipv4, ipv6
  std::string cidr;         // address with its prefix length
  int64_t prefix = 0;
  std::string broadcast;    // CIDR with full prefix, or ""
};

std::string Ntop(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {0};
  const void* src = sa->sa_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr)
                                             : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  return inet_ntop(sa->sa_family, src, buf, sizeof(buf)) ? buf : "";
}

// Interface name -> its IPv4 and IPv6 addresses.
std::map<std::string, std::vector<Address>> Addresses(Skips& skips) {
  std::map<std::string, std::vector<Address>> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    skips.Add("interface addresses not readable", ErrnoMessage("getifaddrs", errno));
    return out;
  }
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6)) continue;
    const bool v4 = a->ifa_addr->sa_family == AF_INET;
    Address addr;
    addr.family = v4 ? "ipv4" : "ipv6";
    std::string ip = Ntop(a->ifa_addr);
    if (ip.empty()) continue;
    addr.prefix = v4 ? 32 : 128;
    if (a->ifa_netmask && a->ifa_netmask->sa_family == a->ifa_addr->sa_family) {
      const unsigned char* m = v4 ? reinterpret_cast<const unsigned char*>(
                                        &reinterpret_cast<const sockaddr_in*>(a->ifa_netmask)->sin_addr)
                                  : reinterpret_cast<const unsigned char*>(
                                        &reinterpret_cast<const sockaddr_in6*>(a->ifa_netmask)->sin6_addr);
      int p = PrefixLength(m, v4 ? 4 : 16);
      if (p >= 0) addr.prefix = p;
    }
    addr.cidr = ip + "/" + std::to_string(addr.prefix);
    if (v4 && (a->ifa_flags & IFF_BROADCAST) && a->ifa_broadaddr && a->ifa_broadaddr->sa_family == AF_INET) {
      std::string b = Ntop(a->ifa_broadaddr);
      if (!b.empty()) addr.broadcast = b + "/32";
    }
    out[a->ifa_name].push_back(std::move(addr));
  }
  ::freeifaddrs(list);
  return out;
}

Value SysInt(const std::string& path) {
  auto v = ParseInt(ReadAttr(path));
  return v ? Value::Int(*v) : Value::Null();
}

Status ResolveInterfaces(const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  Skips skips;
  std::vector<std::string> names;
  int err = ListDir("/sys/class/net", &names);
  if (err != 0) {
    ctx.Warning(kInterfaces, "no network interfaces listed: " + ErrnoMessage("/sys/class/net", err));
    return Status::OK();
  }
  std::sort(names.begin(), names.end());
  auto addresses = Addresses(skips);
  for (const auto& name : names) {
    const std::string dir = "/sys/class/net/" + name;
    std::string operstate = ReadAttr(dir + "/operstate");
    if (operstate.empty() && ReadAttr(dir + "/ifindex").empty()) {
      skips.Add("interfaces skipped because they vanished while being read", name);
      continue;
    }
    auto mac = ParseMac(ReadAttr(dir + "/address"));
    auto type = ParseInt(ReadAttr(dir + "/type"));
    std::string flags_text = ReadAttr(dir + "/flags");  // "0x1003"
    auto flags = ParseUInt(StartsWith(flags_text, "0x") ? flags_text.substr(2) : flags_text, 16);
    auto speed = ParseInt(ReadAttr(dir + "/speed"));  // EINVAL while down or virtual; -1 when unknown
    std::vector<Value> addrs;
    for (const auto& a : addresses[name]) addrs.push_back(Value::String(a.cidr));
    auto stat = [&](const char* counter) { return SysInt(dir + "/statistics/" + counter); };
    Row row{
        Value::String(name),
        SysInt(dir + "/ifindex"),
        mac && !mac->empty() ? Value::String(*mac) : Value::Null(),
        type ? Value::String(LinkTypeName(*type)) : Value::Null(),
        SysInt(dir + "/mtu"),
        OptString(operstate),
        flags ? Value::Bool((*flags & IFF_UP) != 0) : Value::Null(),
        flags ? Value::Bool((*flags & IFF_LOOPBACK) != 0) : Value::Null(),
        speed && *speed > 0 ? Value::Int(*speed) : Value::Null(),
        Value::List(std::move(addrs)),
        stat("rx_bytes"), stat("rx_packets"), stat("rx_errors"), stat("rx_dropped"),
        stat("tx_bytes"), stat("tx_packets"), stat("tx_errors"), stat("tx_dropped"),
        stat("multicast"), stat("collisions"),
    };
    FERRY_RETURN_NOT_OK(w.Write(std::move(row)));
  }
  skips.Report(ctx, kInterfaces);
  return Status::OK();
}

Status ResolveAddresses(const sdk::ResolveContext& ctx, sdk::RowWriter& w) {
  const Value& name = ctx.ParentValue("name");
  if (name.is_null()) return Status::OK();
  Skips skips;
  auto all = Addresses(skips);
  for (const auto& a : all[name.as_string()]) {
    FERRY_RETURN_NOT_OK(w.Write({name, Value::String(a.cidr), Value::String(a.family), Value::Int(a.prefix),
                                 OptString(a.broadcast)}));
  }
  return Status::OK();
}

sdk::TableDef AddressesTable() {
  sdk::TableDef t;
  t.schema.name = kInterfaceAddresses;
  t.schema.title = "Host interface addresses";
  t.schema.description = "IPv4 and IPv6 addresses of each network interface (getifaddrs), with prefix length.";
  t.schema.columns = {
      Col("interface", types::Utf8(), "Interface name (host_interfaces.name)", true),
      Col("address", types::Inet(), "Address with its prefix length, e.g. 192.168.1.5/24", true),
      Col("family", types::Utf8(), "ipv4 or ipv6"),
      Col("prefix_length", types::Int64(), "Network prefix length in bits"),
      Col("broadcast", types::Inet(), "IPv4 broadcast address"),
  };
  t.resolve = ResolveAddresses;
  return t;
}

}  // namespace

sdk::TableDef InterfacesTable(SpecPtr) {
  sdk::TableDef t;
  t.schema.name = kInterfaces;
  t.schema.title = "Host network interfaces";
  t.schema.description =
      "Network interfaces (/sys/class/net) with their state, hardware address, addresses and traffic counters "
      "since boot.";
  auto counter = [](const char* name, const char* what) {
    return Col(name, types::Int64(), std::string(what) + " since boot (/sys/class/net/<if>/statistics)");
  };
  t.schema.columns = {
      Col("name", types::Utf8(), "Interface name", true),
      Col("if_index", types::Int64(), "Interface index (ifindex)"),
      Col("mac", types::Mac(), "Hardware address"),
      Col("type", types::Utf8(), "Link type: ether, loopback, none, ... (ARPHRD_*)"),
      Col("mtu", types::Int64(), "Maximum transmission unit in bytes"),
      Col("oper_state", types::Utf8(), "Operational state: up, down, unknown, dormant, ..."),
      Col("is_up", types::Bool(), "Administratively up (IFF_UP)"),
      Col("is_loopback", types::Bool(), "Loopback interface (IFF_LOOPBACK)"),
      Col("speed_mbps", types::Int64(), "Link speed in Mbit/s, when the driver reports it"),
      Col("addresses", types::List(types::Inet()), "IPv4 and IPv6 addresses with prefix lengths"),
      counter("rx_bytes", "Bytes received"),
      counter("rx_packets", "Packets received"),
      counter("rx_errors", "Receive errors"),
      counter("rx_dropped", "Received packets dropped"),
      counter("tx_bytes", "Bytes sent"),
      counter("tx_packets", "Packets sent"),
      counter("tx_errors", "Transmit errors"),
      counter("tx_dropped", "Packets dropped on send"),
      counter("multicast", "Multicast packets received"),
      counter("collisions", "Collisions"),
  };
  t.resolve = ResolveInterfaces;
  t.relations.push_back(AddressesTable());
  return t;
}

}  // namespace ferry::plugins::host
