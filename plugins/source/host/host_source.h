// The `host` source: the machine Ferry runs on as tables (processes, sockets,
// packages, mounts, logs, ...), read from Linux's own interfaces (/proc,
// /sys, /etc, dpkg's database), with no credentials and no external
// commands. See README.md for the tables and options.
//
// Source declares the tables on sdk::TableSource, which resolves them
// concurrently; HostSourcePlugin() is the registry entry.
//
// Thread-safety: Init is called once, before Tables() and Sync(); after Init
// the spec is immutable and shared read-only by the resolver threads.
#pragma once

#include "ferry/registry.h"
#include "ferry/sdk/table_source.h"
#include "plugins/source/host/host_spec.h"

namespace ferry::plugins::host {

class Source : public sdk::TableSource {
 public:
  // Declares the tables with the default spec, so Tables() works before Init.
  Source();

  // Reads the spec (ParseSpec) and declares the tables and the scheduler.
  Status Init(const Options& options, const SourceInit& init) override;

  const Spec& spec() const { return *spec_; }

 private:
  void Declare();

  std::shared_ptr<const Spec> spec_;
};

// Registry entry: name "host", the option table, and the factory.
SourcePlugin HostSourcePlugin();
// Adds the plugin to `registry` (called by the generated registration list).
Status Register(Registry& registry);

}  // namespace ferry::plugins::host
