// Parsers for the kernel's network tables: /proc/net/{tcp,tcp6,udp,udp6}
// (format: the kernel's Documentation/networking/proc_net_tcp.rst) and
// hardware addresses as sysfs prints them. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::plugins::host {

// One line of /proc/net/{tcp,udp}[6].
struct InetSocketEntry {
  std::string local_address;   // CIDR text: "127.0.0.1/32", "::1/128"
  int64_t local_port = 0;
  std::string remote_address;
  int64_t remote_port = 0;
  int state = 0;               // the kernel's TCP_* state number (hex "st" column)
  int64_t tx_queue = 0;
  int64_t rx_queue = 0;
  int64_t uid = 0;
  uint64_t inode = 0;          // 0 for sockets without a file (e.g. TIME_WAIT)
};

// Parses the whole file; the header and malformed lines are skipped and
// counted in *skipped (may be null). `v6` selects 32-hex-digit addresses.
std::vector<InetSocketEntry> ParseInetSockets(std::string_view text, bool v6, int64_t* skipped = nullptr);

// The kernel prints an address as the hex of its 32-bit words in host byte
// order. Returns CIDR text (full-length prefix), or "" when malformed.
std::string KernelHexToCidr(std::string_view hex, bool v6);

// State name of a TCP state number (include/net/tcp_states.h); for UDP the
// kernel reuses TCP_ESTABLISHED (connected) and TCP_CLOSE (unconnected,
// printed "UNCONN" as ss(8) does).
std::string SocketStateName(int state, bool tcp);

// "aa:bb:cc:dd:ee:ff" (any length) to raw bytes; nullopt when malformed.
std::optional<std::string> ParseMac(std::string_view text);

// Name of an ARPHRD_* link type number (/sys/class/net/<if>/type).
std::string LinkTypeName(int64_t type);

}  // namespace ferry::plugins::host
