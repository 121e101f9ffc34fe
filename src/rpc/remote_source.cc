#include "rpc/remote_source.h"

#include <set>

#include "ferry/builder.h"
#include "protocol/arrow_ipc.h"
#include "rpc/channel.h"
#include "rpc/messages.h"
#include "rpc/state_proxy.h"

namespace ferry::rpc {

namespace {

bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The longest of `tables` that `text` names as a whole word, or "".
std::string NamedTable(const std::string& text, const std::vector<std::string>& tables) {
  std::string best;
  for (const auto& t : tables) {
    if (t.size() <= best.size()) continue;
    for (size_t p = text.find(t); p != std::string::npos; p = text.find(t, p + 1)) {
      const bool left = p == 0 || !IsIdentChar(text[p - 1]);
      const bool right = p + t.size() >= text.size() || !IsIdentChar(text[p + t.size()]);
      if (left && right) {
        best = t;
        break;
      }
    }
  }
  return best;
}

// Small batches of one table, appended into one bigger batch.
class Coalescer {
 public:
  Coalescer(SyncSink& sink) : sink_(sink) {}

  Status Add(const BatchPtr& batch, int64_t* rows) {
    const std::string& table = batch->schema()->name;
    *rows += batch->num_rows();
    if (batch->num_rows() >= kCoalesceRows / 4) {
      FERRY_RETURN_NOT_OK(Flush(table));
      return sink_.Insert(batch);
    }
    auto& b = builders_[table];
    if (!b) b = std::make_unique<BatchBuilder>(batch->schema());
    for (int64_t r = 0; r < batch->num_rows(); ++r) {
      for (size_t c = 0; c < batch->columns().size(); ++c)
        b->column(c).AppendChecked(GetValue(*batch->column(c), r));
      b->EndRow();
    }
    if (b->num_rows() >= kCoalesceRows || b->ByteSize() >= (4 << 20)) return Flush(table);
    return Status::OK();
  }

  Status Flush(const std::string& table) {
    auto it = builders_.find(table);
    if (it == builders_.end() || it->second->num_rows() == 0) return Status::OK();
    return sink_.Insert(it->second->Finish());
  }

  Status FlushAll() {
    for (auto& [t, b] : builders_) FERRY_RETURN_NOT_OK(Flush(t));
    return Status::OK();
  }

 private:
  SyncSink& sink_;
  std::map<std::string, std::unique_ptr<BatchBuilder>> builders_;
};

}  // namespace

RemoteSource::~RemoteSource() {
  if (client_) client_->Close().IgnoreError();
}

Status RemoteSource::Init(const Options& options, const SourceInit& init) {
  FERRY_ASSIGN_OR_RETURN(client_, PluginClient::Connect(ref_));
  FERRY_RETURN_NOT_OK(client_->Init(options.json(), init.no_connection, init.invocation_id));
  FERRY_ASSIGN_OR_RETURN(tables_, client_->GetTables({"*"}, {}, false));
  for (const auto& t : tables_) by_name_[t->name] = t;
  return Status::OK();
}

Status RemoteSource::Sync(const SyncRequest& request, SyncSink& sink) {
  const std::string& who = client_->who();
  std::set<std::string> selected(request.tables.begin(), request.tables.end());
  std::vector<std::string> names(request.tables.begin(), request.tables.end());

  pb::Sync::Request req;
  for (const auto& t : ref_.tables) req.add_tables(t);
  if (ref_.tables.empty()) req.add_tables("*");
  for (const auto& t : ref_.skip_tables) req.add_skip_tables(t);
  req.set_skip_dependent_tables(ref_.skip_dependent_tables);
  req.set_deterministic_cq_id(request.deterministic_cq_id);
  if (request.shard.sharded()) {   // the plugin splits its own pairs (CloudQuery's SDKs do)
    req.mutable_shard()->set_num(request.shard.num);
    req.mutable_shard()->set_total(request.shard.total);
  }
  req.set_witherrormessages(true);
  // Cursors: the plugin reads and writes them through Ferry's proxy (state_proxy.h).
  std::unique_ptr<StateProxy> proxy;
  if (request.has_state_backend) {
    FERRY_ASSIGN_OR_RETURN(proxy, StateProxy::Start(request.state, who));
    req.mutable_backend()->set_table_name(ref_.backend_table);
    req.mutable_backend()->set_connection(proxy->address());
  }

  std::map<std::string, std::vector<std::string>> table_errors;
  std::vector<std::string> general_errors;
  std::map<std::string, int64_t> rows;
  std::set<std::string> warned_unselected;
  auto lookup = [&](const std::string& name) -> TableSchemaPtr {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  };

  for (const auto& name : names) sink.TablePlanned(name, {""});
  grpc::ClientContext ctx;
  CallWatch watch(&ctx, client_->process(), [&sink] { return sink.Cancelled(); }, PluginTimeout());
  auto reader = client_->stub().Sync(&ctx, req);
  Coalescer coalescer(sink);
  Status sink_status;
  pb::Sync::Response resp;
  while (sink_status.ok() && reader->Read(&resp)) {
    watch.Progress();
    switch (resp.message_case()) {
      case pb::Sync::Response::kMigrateTable:
        break;  // tables come from GetTables; the engine migrates them
      case pb::Sync::Response::kInsert: {
        auto batch = protocol::DecodeRecordStreamByName(resp.insert().record(), lookup);
        if (!batch.ok()) {
          const std::string t = NamedTable(batch.status().message(), names);
          (t.empty() ? general_errors : table_errors[t]).push_back("insert: " + batch.status().message());
          break;
        }
        const std::string& table = (*batch)->schema()->name;
        if (!selected.count(table)) {
          if (warned_unselected.insert(table).second)
            sink.Warning(table, who + " sent rows of table " + table + ", which the spec does not select; skipped");
          break;
        }
        sink_status = coalescer.Add(*batch, &rows[table]);
        break;
      }
      case pb::Sync::Response::kDeleteRecord: {
        auto del = DecodeDeleteRecord(resp.delete_record());
        if (!del.ok()) table_errors[resp.delete_record().table_name()].push_back(del.status().message());
        else {
          sink_status = coalescer.FlushAll();
          if (sink_status.ok()) sink_status = sink.DeleteRecord(std::move(*del));
        }
        break;
      }
      case pb::Sync::Response::kError: {
        const std::string& t = resp.error().table_name();
        (selected.count(t) ? table_errors[t] : general_errors)
            .push_back((t.empty() || selected.count(t) ? "" : "table " + t + ": ") + resp.error().error());
        break;
      }
      default:
        general_errors.push_back("unknown Sync message (field " + std::to_string(resp.message_case()) +
                                 "); is the plugin newer than this Ferry?");
    }
  }
  if (!sink_status.ok()) ctx.TryCancel();
  grpc::Status gs = reader->Finish();
  if (sink_status.ok()) sink_status = coalescer.FlushAll();

  Status stream;
  if (!gs.ok()) {
    const std::string why = watch.Reason();
    stream = why.empty() ? client_->CallError(gs, "Sync")
                         : Status::IOError(who + ": Sync stopped: " + why);
    if (sink.Cancelled()) stream = Status::Cancelled(who + ": Sync cancelled");
  }
  // Error log lines of a local plugin: some SDKs report table errors only there.
  if (auto* proc = client_->process()) {
    int64_t dropped = 0;
    for (const auto& line : proc->TakeErrors(&dropped)) {
      std::string t = selected.count(line.table) ? line.table : NamedTable(line.message, names);
      (t.empty() ? general_errors : table_errors[t]).push_back("plugin logged: " + line.message);
    }
    if (dropped > 0) general_errors.push_back("and " + std::to_string(dropped) + " more error lines (see the log)");
    // Warning lines count as the summary's warnings, under the table they name.
    for (const auto& line : proc->TakeWarnings(&dropped)) {
      std::string t = selected.count(line.table) ? line.table : NamedTable(line.message, names);
      sink.Warning(t.empty() ? (names.empty() ? "" : names.front()) : t, who + " logged: " + line.message);
    }
    if (dropped > 0)
      sink.Warning(names.empty() ? "" : names.front(), who + " logged " + std::to_string(dropped) + " more warnings");
  }
  // A failed table fails its relations too: their rows depend on it.
  std::map<std::string, std::string> failed;
  for (const auto& [t, errs] : table_errors) {
    std::string msg = errs.front();
    if (errs.size() > 1) msg += " (and " + std::to_string(errs.size() - 1) + " more errors)";
    failed[t] = msg;
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& name : names) {
      auto s = lookup(name);
      if (s && !s->parent.empty() && failed.count(s->parent) && !failed.count(name)) {
        failed[name] = "parent table " + s->parent + " failed";
        grew = true;
      }
    }
  }
  std::string general;
  for (const auto& e : general_errors) general += (general.empty() ? "" : "; ") + e;
  // The plugin's cursors become checkpoints now that every row they cover
  // has arrived; none for a table that failed or when the stream broke.
  if (proxy && stream.ok() && sink_status.ok() && general.empty()) {
    for (const auto& e : proxy->Errors()) sink.Warning(names.empty() ? "" : names.front(), who + ": " + e);
    for (const auto& [key, value] : proxy->Written()) {
      auto was = request.state.find(key);
      if (was != request.state.end() && was->second == value) continue;
      std::string table;  // the longest selected table name the key starts with
      for (const auto& n : names)
        if (key.compare(0, n.size(), n) == 0 && n.size() > table.size()) table = n;
      if (table.empty()) {
        sink.Warning(names.empty() ? "" : names.front(),
                     who + " stored cursor \"" + key + "\", which names no selected table; it is not saved, "
                     "so the next sync starts from the previous cursor");
        continue;
      }
      if (failed.count(table)) continue;
      Status st = sink.Checkpoint(table, "", StateEntry{key, value, 0});
      if (!st.ok()) sink.Warning(table, "cursor " + key + " not saved: " + st.message());
    }
  }
  for (const auto& name : names) {
    Status st;
    if (!stream.ok()) st = Status::IOError("not synced completely: the plugin's Sync stream failed");
    else if (failed.count(name)) st = Status::IOError(failed[name]);
    else if (!general.empty()) st = Status::IOError("the plugin reported errors it did not tie to a table: " + general);
    else if (!sink_status.ok()) st = sink_status;
    sink.TableDone(name, "", st, rows[name]);
  }
  if (!stream.ok()) return stream;
  if (!sink_status.ok()) return sink_status;
  return Status::OK();
}

}  // namespace ferry::rpc
