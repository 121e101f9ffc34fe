// Connections to plugins: addresses, channel settings, call deadlines and
// gRPC status to Ferry Status.
//
// Message limits follow CloudQuery (docs/protocol.md): Ferry accepts
// messages up to 200 MiB as CloudQuery's plugins and CLI do, but sends at most
// kMaxSendBytes per message, splitting record batches to stay under it,
// because plugins built with the JavaScript SDK (grpc-js defaults) refuse
// anything over 4 MiB (tests/peers/cq-plugins/README.md, quirk 6).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "ferry/status.h"

namespace ferry::rpc {

inline constexpr int64_t kMaxReceiveBytes = 200ll << 20;
inline constexpr int64_t kMaxSendBytes = (4ll << 20) - (64 << 10);

// How long Ferry waits for a plugin: quick metadata calls (GetName, ...)
// get kQuickTimeout; everything else (Init, GetTables, each message of a Sync
// or Write stream, Close) may take up to PluginTimeout() without progress
// before the plugin is declared hung. FERRY_PLUGIN_TIMEOUT (a duration such
// as "90s" or "10m") overrides the default of 10 minutes.
inline constexpr std::chrono::seconds kQuickTimeout{30};
std::chrono::milliseconds PluginTimeout();

// gRPC target for `address`: "unix:/path" and "host:port" pass through, a
// bare absolute path becomes "unix:/path".
std::string GrpcTarget(const std::string& address);

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

// Waits until the channel is connected (or `timeout`); the error says why not.
Status WaitConnected(grpc::Channel& channel, std::chrono::milliseconds timeout);

void SetDeadline(grpc::ClientContext& ctx, std::chrono::milliseconds timeout);

// `what` names the plugin and call ("source \"aws\": Init"). UNAVAILABLE and
// DEADLINE_EXCEEDED read as "connection lost" / "timed out"; the plugin's own
// message is kept.
Status FromGrpc(const grpc::Status& st, const std::string& what);
grpc::Status ToGrpc(const Status& st);

}  // namespace ferry::rpc
