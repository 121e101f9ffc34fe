// A fault proxy for BigQuery's Storage Write API (gRPC service
// google.cloud.bigquery.storage.v1.BigQueryWrite, Ferry's own
// plugins/destination/bigquery/proto): a gRPC server on 127.0.0.1 that
// forwards every call to a real upstream (the bqemulator test server) and
// fails the calls a test scripts, the way Google's front ends fail them:
//
//   - before the upstream sees the call: the call ends with the chosen status
//     (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, PERMISSION_DENIED,
//     INVALID_ARGUMENT, ...); nothing reached the emulator;
//   - after it (`after_forward`): the request is forwarded and answered by
//     the emulator, which has done it (rows appended, stream finalized), and
//     the answer is dropped; the call ends with the chosen status, so the
//     client cannot tell whether it went through ("answer lost").
//
// For AppendRows a fault applies to one request message of the bidi stream
// (the call then ends); the other requests are forwarded one at a time, each
// answered before the next is read (BigQuery answers AppendRows requests in
// order, one answer each). A fault can be limited to one table (matched on
// the stream or parent name: .../tables/<table>[/streams/...]).
//
// Upstream calls are always ended cleanly (WritesDone, then Finish): the
// emulator keeps a worker thread for each AppendRows call cancelled under it
// (plugins/destination/bigquery/EMULATOR.md). Not a mock: every answer a
// client gets that is not an injected fault is the emulator's.
//
// Thread-safe: Inject and the counters may be used while calls run.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <grpcpp/grpcpp.h>

namespace ferry::testing {

class StorageWriteFaultProxy {
 public:
  enum class Method { kCreateWriteStream, kAppendRows, kGetWriteStream, kFinalizeWriteStream, kBatchCommit };

  struct Fault {
    Method method = Method::kAppendRows;
    grpc::StatusCode code = grpc::StatusCode::UNAVAILABLE;
    bool after_forward = false;   // forward, drop the emulator's answer, then fail
    std::string table;            // only calls for this table; "" any
    int pass = 0;                 // matching calls let through before the one that fails
  };

  // Listens on a free port of 127.0.0.1; forwards to `upstream` (host:port,
  // plaintext).
  explicit StorageWriteFaultProxy(const std::string& upstream);
  ~StorageWriteFaultProxy();
  StorageWriteFaultProxy(const StorageWriteFaultProxy&) = delete;
  StorageWriteFaultProxy& operator=(const StorageWriteFaultProxy&) = delete;

  // The next `count` calls (AppendRows: request messages) that match `fault`
  // get it. Faults are taken in the order injected, per method.
  void Inject(const Fault& fault, int count = 1);

  // host:port to point a client at (storage_write_endpoint); port 0 when
  // the proxy could not listen.
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  int faults_served() const { return faults_served_; }
  int faults_served(Method m) const;
  // Calls (AppendRows: request messages) the emulator answered, of `m`.
  int forwarded(Method m) const;
  // AppendRows answers of the emulator passed on with `error.code` `code`
  // (ALREADY_EXISTS: a repeated append found its rows at their offset).
  int append_errors(grpc::StatusCode code) const;
  // Faults injected and not served yet.
  int faults_pending() const;

  class Service;   // the gRPC service (storage_write_fault_proxy.cc)

 private:
  friend class Service;
  // The fault for the next call of `m` on `table`, if one is scripted.
  std::optional<Fault> Take(Method m, const std::string& table);
  void Forwarded(Method m);
  void AppendAnswered(int error_code);

  mutable std::mutex mu_;
  std::deque<Fault> script_;                  // guarded by mu_
  std::map<Method, int> forwarded_, served_;  // guarded by mu_
  std::map<int, int> append_errors_;          // guarded by mu_
  std::atomic<int> faults_served_{0};
  int port_ = 0;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;      // last: its threads use the members above
};

}  // namespace ferry::testing
