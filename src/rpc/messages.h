// Conversions between protocol v3 messages and Ferry's message types that
// both the host (remote_*.cc) and the server (server.cc) need.
#pragma once

#include <map>
#include <string>

#include "ferry/message.h"
#include "ferry/schema.h"
#include "ferry/state.h"
#include "rpc/pb.h"

namespace ferry::rpc {

// Sync.MessageDeleteRecord and Write.MessageDeleteRecord have the same fields.
template <typename M>
Result<ferry::DeleteRecord> DecodeDeleteRecord(const M& m);

// Fills `m` from `del`. Each predicate value is sent as a 1-row, 1-column
// record typed like the column in `table` (which must have it).
template <typename M>
Status EncodeDeleteRecord(const ferry::DeleteRecord& del, const TableSchema& table, M* m);

// Answers a Read call with `entries` as rows of `table` (StateBatch), in
// messages under kMaxSendBytes.
Status SendStateRows(const TableSchemaPtr& table, const std::vector<StateEntry>& entries,
                     grpc::ServerWriter<pb::Read::Response>* writer);

// google.protobuf.Timestamp <-> microseconds since the epoch.
int64_t TimestampMicros(const google::protobuf::Timestamp& t);
void SetTimestampMicros(int64_t us, google::protobuf::Timestamp* t);

}  // namespace ferry::rpc
