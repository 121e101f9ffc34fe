#include "rpc/remote_destination.h"

#include <atomic>

#include "engine/log.h"
#include "protocol/arrow_ipc.h"
#include "rpc/channel.h"
#include "rpc/messages.h"
#include "rpc/record_split.h"

namespace ferry::rpc {

namespace {
// Live plugin destinations: with more than one, batches they share are
// encoded once (EncodingCache).
std::atomic<int> g_live_destinations{0};
}  // namespace

DestinationCapabilities RemoteDestinationCapabilities() {
  DestinationCapabilities c;
  c.write_modes = {WriteMode::kAppend, WriteMode::kOverwrite, WriteMode::kOverwriteDeleteStale};
  c.forced_migration = true;
  c.delete_record = true;
  c.state_backend = true;
  // Ferry re-encodes every type it carries to the plugin as it came.
  c.type_families = {TypeFamily::kTime, TypeFamily::kDuration, TypeFamily::kInterval, TypeFamily::kDecimal};
  return c;
}

struct RemoteDestination::Stream {
  grpc::ClientContext ctx;
  pb::Write::Response resp;
  std::unique_ptr<grpc::ClientWriter<pb::Write::Request>> writer;
  std::unique_ptr<CallWatch> watch;
  std::string last;   // what the last message Ferry sent was, for errors
};

RemoteDestination::RemoteDestination(RemotePluginRef ref) : ref_(std::move(ref)) { ++g_live_destinations; }

RemoteDestination::~RemoteDestination() {
  if (client_) Close().IgnoreError();
  --g_live_destinations;
}

Status RemoteDestination::Init(const Options& options, const DestinationInit& init) {
  FERRY_ASSIGN_OR_RETURN(client_, PluginClient::Connect(ref_));
  return client_->Init(options.json(), false, init.invocation_id);
}

Status RemoteDestination::Send(const pb::Write::Request& msg, const std::string& what) {
  if (!client_) return Status::Invalid("destination \"" + ref_.spec_name + "\": not initialised");
  if (!stream_) {
    stream_ = std::make_unique<Stream>();
    stream_->watch = std::make_unique<CallWatch>(&stream_->ctx, client_->process(), nullptr, PluginTimeout());
    stream_->writer = client_->stub().Write(&stream_->ctx, &stream_->resp);
  }
  stream_->last = what;
  stream_->watch->Progress();
  if (stream_->writer->Write(msg)) {
    stream_->watch->Progress();
    return Status::OK();
  }
  // The plugin ended the stream: its status says why.
  Status st = Flush();
  if (st.ok()) st = Status::IOError(client_->who() + ": Write stream closed by the plugin after Ferry sent " + what);
  return st;
}

Status RemoteDestination::Flush() {
  if (!stream_) return Status::OK();
  std::unique_ptr<Stream> s = std::move(stream_);
  s->writer->WritesDone();
  grpc::Status gs = s->writer->Finish();
  std::string why = s->watch->Reason();
  s->watch.reset();
  if (gs.ok()) return Status::OK();
  // The plugin may refuse any message of the stream, not only the last one
  // Ferry sent (it works through them at its own pace): its message says
  // which, so ours only says where Ferry was.
  const std::string call = "Write stream (ended after Ferry sent " + s->last + ")";
  if (!why.empty()) return Status::IOError(client_->who() + ": " + call + " stopped: " + why);
  return client_->CallError(gs, call);
}

Status RemoteDestination::Migrate(const std::vector<TableSchemaPtr>& tables, const MigrateOptions& options) {
  for (const auto& t : tables) {
    tables_[t->name] = t;
    pb::Write::Request msg;
    FERRY_ASSIGN_OR_RETURN(std::string schema, protocol::EncodeSchemaStream(*t));
    msg.mutable_migrate_table()->set_table(std::move(schema));
    msg.mutable_migrate_table()->set_migrate_force(options.mode == MigrateMode::kForced);
    FERRY_RETURN_NOT_OK(Send(msg, "migrate_table " + t->name));
  }
  return Flush();
}

Status RemoteDestination::Write(const WriteRequest& request) {
  pb::Write::Request msg;
  const std::string what = "insert into " + request.table->name;
  for (const auto& b : request.batches) {
    if (g_live_destinations.load() > 1) {
      bool hit = false;
      FERRY_ASSIGN_OR_RETURN(EncodingCache::Pieces pieces, EncodingCache::Global().Encode(b, kMaxSendBytes, &hit));
      ++batches_;
      if (hit) ++shared_;
      for (const auto& record : *pieces) {
        msg.mutable_insert()->set_record(record);
        FERRY_RETURN_NOT_OK(Send(msg, what));
      }
      continue;
    }
    FERRY_RETURN_NOT_OK(EncodeRecords(*b, kMaxSendBytes, [&](std::string record) {
      msg.mutable_insert()->set_record(std::move(record));
      return Send(msg, what);
    }));
  }
  if (request.state.empty()) return Status::OK();
  // Cursors only after the plugin acknowledged their rows.
  FERRY_RETURN_NOT_OK(Flush());
  FERRY_ASSIGN_OR_RETURN(BatchPtr state, StateBatch(request.state_table, request.state));
  FERRY_ASSIGN_OR_RETURN(std::string record, protocol::EncodeRecordStream(*state));
  msg.mutable_insert()->set_record(std::move(record));
  FERRY_RETURN_NOT_OK(Send(msg, "insert into state table " + request.state_table->name));
  return Flush();
}

Status RemoteDestination::DeleteStale(const DeleteStaleRequest& request) {
  pb::Write::Request msg;
  auto* d = msg.mutable_delete_();
  d->set_table_name(request.table->name);
  d->set_source_name(request.source_name);
  SetTimestampMicros(request.sync_time_us, d->mutable_sync_time());
  // The deprecated `table` field still carries the schema for older plugins.
  FERRY_ASSIGN_OR_RETURN(std::string schema, protocol::EncodeSchemaStream(*request.table));
  d->set_table(std::move(schema));
  return Send(msg, "delete stale rows of " + request.table->name);
}

Status RemoteDestination::DeleteRecord(const ferry::DeleteRecord& request) {
  pb::Write::Request msg;
  auto table = tables_.find(request.table_name);
  if (table == tables_.end())
    return Status::Invalid(client_->who() + ": delete_record on " + request.table_name + ", which was not migrated");
  FERRY_RETURN_NOT_OK(EncodeDeleteRecord(request, *table->second, msg.mutable_delete_record()));
  return Send(msg, "delete_record on " + request.table_name);
}

Status RemoteDestination::Close() {
  if (!client_) return Status::OK();
  EncodingCache::Global().Clear();  // the sync is ending: nothing left to share
  if (shared_ > 0)
    log::Debug(client_->who() + ": " + std::to_string(shared_) + " of " + std::to_string(batches_) +
               " batches were sent as encoded for another plugin destination");
  Status st = Flush();
  Status closed = client_->Close();
  client_.reset();
  FERRY_RETURN_NOT_OK(st);
  return closed;
}

Result<std::vector<StateEntry>> RemoteDestination::ReadState(const TableSchemaPtr& state_table) {
  FERRY_RETURN_NOT_OK(Flush());
  pb::Read::Request req;
  FERRY_ASSIGN_OR_RETURN(std::string schema, protocol::EncodeSchemaStream(*state_table));
  req.set_table(std::move(schema));
  grpc::ClientContext ctx;
  CallWatch watch(&ctx, client_->process(), nullptr, PluginTimeout());
  auto reader = client_->stub().Read(&ctx, req);
  std::vector<StateEntry> out;
  pb::Read::Response resp;
  Status decode;
  while (decode.ok() && reader->Read(&resp)) {
    watch.Progress();
    auto batch = protocol::DecodeRecordStream(resp.record());
    if (!batch.ok()) {
      decode = batch.status().WithContext(client_->who() + ": Read " + state_table->name);
      break;
    }
    auto entries = StateEntriesOf(**batch);
    if (!entries.ok()) {
      decode = entries.status().WithContext(client_->who() + ": Read");
      break;
    }
    for (auto& e : *entries) out.push_back(std::move(e));
  }
  if (!decode.ok()) ctx.TryCancel();
  grpc::Status gs = reader->Finish();
  FERRY_RETURN_NOT_OK(decode);
  if (!gs.ok()) {
    std::string why = watch.Reason();
    return why.empty() ? client_->CallError(gs, "Read " + state_table->name)
                       : Status::IOError(client_->who() + ": Read stopped: " + why);
  }
  return out;
}

}  // namespace ferry::rpc
