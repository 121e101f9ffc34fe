#include "protocol/arrow_ipc.h"

#include <iterator>
#include <utility>

#include "protocol/ipc_framing.h"
#include "protocol/record_codec.h"
#include "protocol/schema_codec.h"

namespace ferry::protocol {

namespace fb = arrowfb;
using ipc::MessageReader;
using ipc::MessageView;

namespace {

std::string FinishMessage(flatbuffers::FlatBufferBuilder& fbb, fb::MessageHeader type,
                          flatbuffers::Offset<void> header, int64_t body_length) {
  fbb.Finish(fb::CreateMessage(fbb, fb::MetadataVersion_V5, type, header, body_length));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

std::string SchemaMessage(const TableSchema& schema) {
  flatbuffers::FlatBufferBuilder fbb(1024);
  auto s = ipc::BuildSchema(fbb, schema);
  return FinishMessage(fbb, fb::MessageHeader_Schema, s.Union(), 0);
}

void Append(std::string* out, const std::string& metadata) {
  ipc::AppendMessage(out, reinterpret_cast<const uint8_t*>(metadata.data()), metadata.size());
}

// The specification's message type names, by type id.
const char* MessageName(fb::MessageHeader h) {
  static const char* const kNames[] = {"empty", "schema", "dictionary batch", "record batch", "tensor",
                                       "sparse tensor"};
  const auto i = static_cast<size_t>(h);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

Result<ipc::DecodedSchema> ReadSchema(MessageReader& reader) {
  MessageView m;
  FERRY_ASSIGN_OR_RETURN(bool more, reader.Next(&m));
  if (!more) return Status::Invalid("arrow ipc: empty stream (no schema message)");
  if (m.message->header_type() != fb::MessageHeader_Schema || !m.message->header_as_Schema())
    return Status::Invalid(std::string("arrow ipc: stream starts with a ") +
                           MessageName(m.message->header_type()) + " message, not a schema");
  return ipc::ParseSchema(*m.message->header_as_Schema());
}

Status ExpectEnd(MessageReader& reader) {
  MessageView m;
  FERRY_ASSIGN_OR_RETURN(bool more, reader.Next(&m));
  if (more)
    return Status::Invalid(std::string("arrow ipc: unexpected ") + MessageName(m.message->header_type()) +
                           " message at the end of the stream");
  return Status::OK();
}

Status CheckExpected(const TableSchema& got, bool has_name, const TableSchema& want) {
  auto mismatch = [&](const std::string& m) {
    return Status::Invalid("arrow ipc: record does not match table " + want.name + ": " + m);
  };
  if (has_name && got.name != want.name) return mismatch("the record is for table " + got.name);
  if (got.columns.size() != want.columns.size())
    return mismatch(std::to_string(got.columns.size()) + " columns, expected " +
                    std::to_string(want.columns.size()));
  for (size_t i = 0; i < got.columns.size(); ++i) {
    const Column& g = got.columns[i];
    const Column& w = want.columns[i];
    if (g.name != w.name) return mismatch("column " + std::to_string(i) + " is " + g.name + ", expected " + w.name);
    if (!g.type->Equals(*w.type))
      return mismatch("column " + g.name + " has type " + g.type->ToString() + ", expected " + w.type->ToString());
  }
  return Status::OK();
}

}  // namespace

Result<std::string> EncodeSchemaStream(const TableSchema& schema) {
  std::string out;
  Append(&out, SchemaMessage(schema));
  ipc::AppendEndOfStream(&out);
  return out;
}

Result<std::string> EncodeRecordStream(const Batch& batch) {
  if (!batch.schema()) return Status::Invalid("arrow ipc: batch without schema");
  ipc::EncodedBody body;
  FERRY_RETURN_NOT_OK(ipc::PlanBody(batch, &body));

  const std::string schema_msg = SchemaMessage(*batch.schema());
  flatbuffers::FlatBufferBuilder fbb(256 + 16 * (body.nodes.size() + body.buffers.size()));
  auto nodes = fbb.CreateVectorOfStructs(body.nodes);
  auto buffers = fbb.CreateVectorOfStructs(body.buffers);
  auto rb = fb::CreateRecordBatch(fbb, batch.num_rows(), nodes, buffers);
  const std::string record_msg = FinishMessage(fbb, fb::MessageHeader_RecordBatch, rb.Union(), body.size);

  std::string out;
  out.reserve(static_cast<size_t>(ipc::FramedMetadataSize(schema_msg.size()) +
                                  ipc::FramedMetadataSize(record_msg.size()) + body.size + 8));
  Append(&out, schema_msg);
  Append(&out, record_msg);
  ipc::AppendBody(body, &out);
  ipc::AppendEndOfStream(&out);
  return out;
}

Result<TableSchemaPtr> DecodeSchemaStream(std::string_view stream) {
  MessageReader reader(stream);
  FERRY_ASSIGN_OR_RETURN(ipc::DecodedSchema schema, ReadSchema(reader));
  if (!schema.has_table_name)
    return Status::Invalid("arrow ipc: schema has no cq:table_name metadata (not a CloudQuery table)");
  FERRY_RETURN_NOT_OK(ExpectEnd(reader));
  return schema.table;
}

namespace {
Result<BatchPtr> DecodeRecordAfterSchema(MessageReader& reader, const ipc::DecodedSchema& schema,
                                         TableSchemaPtr expected) {
  if (expected) FERRY_RETURN_NOT_OK(CheckExpected(*schema.table, schema.has_table_name, *expected));

  MessageView m;
  FERRY_ASSIGN_OR_RETURN(bool more, reader.Next(&m));
  if (!more) return Status::Invalid("arrow ipc: record stream has no record batch");
  if (m.message->header_type() == fb::MessageHeader_DictionaryBatch)
    return Status::Unsupported("arrow ipc: dictionary batches are not supported");
  const fb::RecordBatch* rb = m.message->header_as_RecordBatch();
  if (!rb)
    return Status::Invalid(std::string("arrow ipc: expected a record batch message, got ") +
                           MessageName(m.message->header_type()));
  FERRY_ASSIGN_OR_RETURN(std::vector<ArrayPtr> columns,
                         ipc::DecodeColumns(*rb, m.body, *schema.table, schema.wire));
  auto batch = std::make_shared<const Batch>(expected ? expected : schema.table, std::move(columns), rb->length());
  FERRY_RETURN_NOT_OK(ExpectEnd(reader));
  std::string why;
  if (!batch->Validate(&why)) return Status::Invalid("arrow ipc: invalid record batch: " + why);
  return BatchPtr(std::move(batch));
}
}  // namespace

Result<BatchPtr> DecodeRecordStream(std::string_view stream, TableSchemaPtr expected) {
  MessageReader reader(stream);
  FERRY_ASSIGN_OR_RETURN(ipc::DecodedSchema schema, ReadSchema(reader));
  return DecodeRecordAfterSchema(reader, schema, std::move(expected));
}

Result<BatchPtr> DecodeRecordStreamByName(std::string_view stream,
                                          const std::function<TableSchemaPtr(const std::string&)>& lookup) {
  MessageReader reader(stream);
  FERRY_ASSIGN_OR_RETURN(ipc::DecodedSchema schema, ReadSchema(reader));
  if (!schema.has_table_name)
    return Status::Invalid("arrow ipc: record has no cq:table_name metadata (not a CloudQuery record)");
  TableSchemaPtr expected = lookup(schema.table->name);
  if (!expected) return Status::NotFound("arrow ipc: record for unknown table " + schema.table->name);
  auto batch = DecodeRecordAfterSchema(reader, schema, std::move(expected));
  if (!batch.ok()) return batch.status().WithContext("table " + schema.table->name);
  return batch;
}

}  // namespace ferry::protocol
