// The state backend Ferry serves to a plugin source (CloudQuery protocol v3).
//
// CloudQuery sources keep their cursors themselves: Sync.backend names a
// destination plugin they Read from and Write to. Ferry hands them this proxy
// instead (a gRPC server on 127.0.0.1 for the length of one Sync): Read answers
// with the cursors the engine read from the real backend before the sync;
// Write only records what the plugin stores. RemoteSource turns the recorded
// cursors into engine checkpoints once the Sync stream has ended, that is,
// after every row they cover was received, so the engine commits each one
// only after its rows are durable, in the same transaction where the backend
// is the data destination. CloudQuery itself writes a cursor whenever the
// plugin does, possibly before the rows reach the destination.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "ferry/state.h"
#include "ferry/status.h"

namespace ferry::rpc {

class StateProxy {
 public:
  static Result<std::unique_ptr<StateProxy>> Start(StateSnapshot initial, const std::string& who);
  ~StateProxy();
  StateProxy(const StateProxy&) = delete;
  StateProxy& operator=(const StateProxy&) = delete;

  // "127.0.0.1:<port>", for Sync.backend.connection.
  const std::string& address() const { return address_; }
  // Cursors the plugin wrote (latest per key), and problems with its writes.
  std::map<std::string, std::string> Written() const;
  std::vector<std::string> Errors() const;

 private:
  struct Impl;
  StateProxy() = default;
  std::unique_ptr<Impl> impl_;
  std::string address_;
};

}  // namespace ferry::rpc
